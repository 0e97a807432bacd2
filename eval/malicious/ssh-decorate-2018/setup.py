from setuptools import setup

setup(
    name="ssh-decorate",
    version="0.0.2",
    description="Decorate your SSH sessions: run remote commands with a decorator",
    packages=["ssh_decorate"],
    install_requires=["paramiko", "requests"],
)
