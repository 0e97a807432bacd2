"""pip and uv as installer adapters of the install guard (`chaingate.guard`).

Each adapter asks its installer what it would install (`plan`: pip's installation report,
uv's dry run), hands the guard that set as a `PypiPlan` of `Requirement`s, and installs
exactly that set pinned by hash (`install`). `common.py` holds what both truly share:
option tables and the argument walk, the pinned item and its requirements-file line, the
pinned install runs. `sources.py` knows every other source the installer would consult
(pip's learnt in `sources.py`, uv's in `uv_config.py`) and judges what each offers
against the judged index: `dependency-confusion` findings, re-pinned items, and items a
source could not be asked about.
"""
