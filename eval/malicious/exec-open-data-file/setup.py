from setuptools import setup
setup(name="pretty-logs", version="0.1.0", packages=["pretty_logs"], package_data={"pretty_logs": ["assets/*"]})
