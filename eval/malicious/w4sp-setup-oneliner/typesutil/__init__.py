"""Utilities for python types."""
__version__ = "0.0.3"


def type_name(obj):
    return type(obj).__name__

