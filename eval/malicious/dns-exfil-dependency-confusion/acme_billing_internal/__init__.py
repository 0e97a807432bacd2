__version__ = "99.10.0"
