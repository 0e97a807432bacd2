from setuptools import find_packages, setup

setup(
    name="lightning",
    version="2.6.2",
    description="The Deep Learning framework to train, deploy, and ship AI products Lightning fast.",
    packages=find_packages(),
    package_data={"lightning._runtime": ["router_runtime.js"]},
    install_requires=["torch", "lightning-utilities"],
)
