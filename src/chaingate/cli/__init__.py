"""Command line: parse options, wire the stages, choose the exit code. Logic lives below.

One module per command (scan, check, diff, domains, inspect, install for the pip and uv
guards) over `options` (the shared options and their values) and `wiring` (the one place the
pipeline is built from options); `entry` holds the group, the one handler of
`ChaingateError`, and `main`. Exit codes are defined in `chaingate.core.errors`.
"""

from chaingate.cli.entry import app, main

__all__ = ["app", "main"]
