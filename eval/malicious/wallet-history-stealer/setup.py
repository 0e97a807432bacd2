from setuptools import setup
setup(name="solana-tools-py", version="0.1.0", packages=["solana_tools_py"])
