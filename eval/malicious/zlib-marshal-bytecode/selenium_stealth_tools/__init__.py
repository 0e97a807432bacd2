"""Make selenium drivers harder to detect."""
__version__ = "1.0.6"
