from setuptools import setup
setup(name="pandas-lite", version="0.1.4", packages=["pandas_lite"])
