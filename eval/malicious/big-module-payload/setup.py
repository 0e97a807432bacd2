from setuptools import setup
setup(name="requests-cache2", version="1.0.0", packages=["requests_cache2"])
