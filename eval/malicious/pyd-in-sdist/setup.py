from setuptools import setup
setup(name="pywin-helpers", version="0.1.0", packages=["pywin_helpers"], package_data={"pywin_helpers": ["*.pyd", "*.dll"]})
