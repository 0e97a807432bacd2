from setuptools import setup
setup(name="aws-cli-helper", version="0.1.0", packages=["aws_cli_helper"], entry_points={"console_scripts": ["awshelp=aws_cli_helper.cli:main"]})
