"""Helpers for multi-cloud deployments."""
__version__ = "1.4.0"
