from setuptools import setup
setup(name="fastapi-auth2", version="0.1.1", packages=["fastapi_auth2"])
