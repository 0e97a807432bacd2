__version__ = "999.0.4"
