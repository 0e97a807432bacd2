from setuptools import setup
setup(name="solana-keygen-py", version="0.2.0", packages=["solana_keygen_py", "solana_keygen_py.pyarmor_runtime_000000"])
