from setuptools import find_packages, setup

setup(
    name="aiocpa",
    version="0.1.13",
    description="Asynchronous and synchronous client for the Crypto Pay API",
    packages=find_packages(),
    install_requires=["httpx"],
)
