from ._speedups import dumps, loads  # noqa: F401
