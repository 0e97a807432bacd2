"""`chaingate pip install ARGS...`: the guard's core with pip as the installer.

pip's dry run says exactly what would be installed, the scan and the policy judge that
set, and only then is exactly that set installed, pinned by hash, or nothing at all with
an explanation. The steps are `chaingate.guard.core`'s; what is pip's (its arguments, its
installation report, the pinned install, fetching the wheels ahead) is
`chaingate.ecosystems.pypi.install.pip`. This module is the command's entry point: it
wires the two together, and its plans carry the inventory the guard scans.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from chaingate.core.findings import Severity
from chaingate.ecosystems.pypi.install import pip as adapter
from chaingate.ecosystems.pypi.install.common import InstallError as GuardError
from chaingate.ecosystems.pypi.install.pip import PipArgs, PipInstaller, PipPlan, split_args
from chaingate.ecosystems.pypi.install.pip import target_python as target_python
from chaingate.engine.scan import Progress, ScanOptions
from chaingate.guard.core import (
    Decide,
    Evaluate,
    GuardOutcome,
    Plan,
    scan_with,
    severity_gate,
    with_inventory,
)
from chaingate.guard.core import explain as explain_with
from chaingate.guard.core import guard as guard_with

__all__ = [
    "Decide",
    "GuardError",
    "GuardOutcome",
    "PipArgs",
    "Plan",
    "explain",
    "fetch_files",
    "guard",
    "install",
    "plan",
    "plan_from_report",
    "severity_gate",
    "split_args",
    "target_python",
]


plan = with_inventory(adapter.plan)
plan_from_report = with_inventory(adapter.plan_from_report)


def install(
    plan: Plan[PipPlan], python: str = sys.executable, files: Mapping[str, Path] | None = None
) -> int:
    """Install exactly the plan, pinned by hash, with the user's options; pip's exit code."""
    return adapter.install(plan.proposal, python, files)


def fetch_files(
    plan: Plan[PipPlan], cache_dir: Path, timeout: float = 60.0
) -> dict[str, Path] | None:
    """The planned wheels as checked local files under `cache_dir`, or None."""
    return adapter.fetch_files(plan.proposal, cache_dir, timeout)


def guard(
    pip_args: Sequence[str],
    *,
    python: str = sys.executable,
    scan_options: ScanOptions,
    fail_on: Severity = Severity.HIGH,
    decide: Decide | None = None,
    fail_incomplete: bool = False,
    announce: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    evaluate: Evaluate | None = None,
    allow_build: bool = False,
) -> GuardOutcome:
    """Plan with `python`'s pip, scan, decide, and install only when nothing blocks
    (`chaingate.guard.core.guard`). `decide` replaces `severity_gate(fail_on)`; `evaluate`
    replaces the scan with `scan_options`, whose cache directory also keeps the wheels
    fetched while the scan runs. Unless `allow_build`, pip uses wheels only: no build
    backend runs. GuardError as for `plan`."""
    return guard_with(
        PipInstaller(python, scan_options.http.cache_dir, allow_build),
        pip_args,
        evaluate=evaluate or scan_with(scan_options),
        decide=decide or severity_gate(fail_on),
        fail_incomplete=fail_incomplete,
        announce=announce,
        progress=progress,
    )


def explain(outcome: GuardOutcome) -> str:
    """The verdict in pip's words."""
    return explain_with(outcome, adapter.WORDING)
