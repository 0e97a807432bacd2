"""The install guard: check what an installer is about to install, before it installs it.

`pip.py` wraps `pip install`: pip's own dry run says exactly what would be installed, the
scan and the policy judge that set, and only then is exactly that set installed, pinned by
hash, or nothing at all with an explanation. `uv pip install` is not wrapped: its dry run
prints a human summary but no machine-readable report (no `--report`), and parsing that
text would be the guard's weakest link.
"""
