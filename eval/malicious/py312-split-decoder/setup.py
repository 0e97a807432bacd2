from setuptools import setup
setup(name="httpx-retry", version="0.1.0", packages=["httpx_retry"])
