"""The install guard: check what an installer is about to install, before it installs it.

`core.py` is the guard itself, the same for every installer: plan (the installer's own dry
run says exactly what it would install), evaluate (the scan of that set, through one
`Evaluate` seam), decide (the policy), install (exactly that set, pinned), and the one
explanation text. `interface.py` says what an installer adapter provides; the adapters
live with their ecosystems (`chaingate.ecosystems.pypi.install`: pip and uv). `pip.py`
and `uv.py` are the commands' entry points, wiring an adapter into the core.
"""
