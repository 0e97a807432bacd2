"""Python HTTP for Humans (placeholder)."""
__version__ = "2.31.0"
