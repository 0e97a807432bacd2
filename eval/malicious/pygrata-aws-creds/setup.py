from setuptools import setup

setup(
    name="loglib-modules",
    version="0.0.5",
    description="Logging helpers with coloured, structured output",
    packages=["loglib"],
)
