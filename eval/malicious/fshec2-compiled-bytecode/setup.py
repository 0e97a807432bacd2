from setuptools import setup

setup(
    name="fshec2",
    version="0.0.5",
    description="File system helpers",
    packages=["fshec2"],
    package_data={"fshec2": ["full.pyc"]},
)
