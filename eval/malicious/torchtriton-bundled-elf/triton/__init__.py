"""Triton: a language and compiler for custom deep-learning primitives."""
__version__ = "3.0.0"

from . import runtime  # noqa: F401
