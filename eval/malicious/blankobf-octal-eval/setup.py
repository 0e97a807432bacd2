from setuptools import setup
setup(name="aiohttpx", version="3.8.9", packages=["aiohttpx"])
