from setuptools import setup

setup(
    name="noblesse2",
    version="0.2.4",
    description="Discord bot helpers: embeds, pagination and cooldowns",
    packages=["noblesse"],
    install_requires=["requests"],
)
