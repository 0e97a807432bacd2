"""Inspect the dependency tree of an environment."""
__version__ = "1.2.7"
