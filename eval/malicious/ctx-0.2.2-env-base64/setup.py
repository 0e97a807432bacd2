from setuptools import setup

with open("README.md") as fh:
    long_description = fh.read()

setup(
    name="ctx",
    version="0.2.2",
    author="Figlief",
    description="A minimal Python dictionary with dot access to keys",
    long_description=long_description,
    long_description_content_type="text/markdown",
    py_modules=["ctx"],
    install_requires=["requests"],
    classifiers=[
        "Programming Language :: Python :: 3",
        "License :: OSI Approved :: MIT License",
    ],
)
