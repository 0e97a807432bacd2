from setuptools import setup

setup(
    name="flask-authz-lite",
    version="1.4.2",
    description="Role checks for Flask views",
    packages=["flask_authz"],
    install_requires=["flask"],
)
