from setuptools import setup
setup(name="requests-oauth3", version="0.0.4", packages=["requests_oauth3"])
