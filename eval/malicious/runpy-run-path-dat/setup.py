from setuptools import setup
setup(name="tqdm-extras", version="0.1.0", packages=["tqdm_extras"])
