"""Retry helpers for httpx."""
__version__ = "0.2.0"
