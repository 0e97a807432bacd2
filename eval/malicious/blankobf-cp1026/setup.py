from setuptools import setup

setup(
    name="discord-rpc-tools",
    version="2.0.3",
    description="Discord rich presence helpers",
    packages=['discord_rpc_tools'],
)
