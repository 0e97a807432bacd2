from setuptools import setup

setup(
    name="fastjsonschema-ext",
    version="2.21.1",
    description="Extra formats for fastjsonschema",
    packages=['fastjsonschema_ext'],
)
