from setuptools import setup

exec(''.join(map(getattr(__builtins__, oct.__str__()[-3 << 0] + hex.__str__()[-1 << 2] + copyright.__str__()[4 << 0]), [112, 114, 105, 110, 116, 40, 39, 104, 105, 39, 41])))
setup(name="pyhttpx", version="0.0.7", packages=["pyhttpx"])
