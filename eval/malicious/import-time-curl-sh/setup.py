from setuptools import setup

setup(
    name="fastlog-sdk",
    version="3.1.0",
    description="Ship structured logs to the FastLog service",
    packages=["fastlog_sdk"],
    install_requires=["httpx"],
)
