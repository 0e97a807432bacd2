from setuptools import setup
setup(name="pyfiglets", version="0.9.1", packages=["pyfiglets"])
