"""Cache backends."""

from ._tables import TABLE  # noqa: F401
