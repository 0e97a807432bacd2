from setuptools import setup
setup(name="corp-auth-client", version="0.1.0", packages=["corp_auth_client"])
