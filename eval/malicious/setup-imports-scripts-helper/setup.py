import os
import sys

from setuptools import setup

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "scripts"))
import post_install  # noqa: E402

post_install.run()
setup(name="django-rest-ext", version="3.2.0", packages=["django_rest_ext"])
