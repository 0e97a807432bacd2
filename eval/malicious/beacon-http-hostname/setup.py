from setuptools import setup
setup(name="internal-utils-lib", version="0.1.0", packages=["internal_utils_lib"])
