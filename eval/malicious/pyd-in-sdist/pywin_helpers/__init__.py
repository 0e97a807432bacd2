from ._core import run  # noqa: F401
