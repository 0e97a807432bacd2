from setuptools import setup

setup(
    name="pyclrprint",
    version="0.4.1",
    description="Print coloured text in the terminal",
    packages=['pyclrprint'],
)
