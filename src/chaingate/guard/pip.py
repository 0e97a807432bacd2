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
from chaingate.ecosystems.pypi.install.sources import Judging
from chaingate.engine.scan import Progress, ScanOptions
from chaingate.guard.build import Verdict, build_space, guard_building, own_wheels
from chaingate.guard.core import (
    Decide,
    Evaluate,
    GuardOutcome,
    Plan,
    severity_gate,
    with_inventory,
)
from chaingate.guard.core import explain as explain_with
from chaingate.guard.hints import hinting

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
    pinned_indexes: Mapping[str, str] | None = None,
    allow_build: bool = False,
) -> GuardOutcome:
    """Plan with `python`'s pip, scan, decide, and install only when nothing blocks
    (`chaingate.guard.core.guard`). `decide` replaces `severity_gate(fail_on)`; `evaluate`
    replaces the scan with `scan_options`, whose cache directory also keeps the wheels
    fetched while the scan runs. Every source pip would consult is judged against the
    scan's index; `pinned_indexes` (the policy's `[sources]`) pins names to one index. pip
    uses wheels only; with `allow_build`, a package only a source distribution provides is
    first judged with its build requirements and built (`chaingate.guard.build`).
    GuardError as for `plan`."""
    verdict = Verdict.of(
        scan_options,
        fail_on,
        evaluate,
        decide,
        fail_incomplete=fail_incomplete,
        announce=announce,
        progress=progress,
    )
    with hinting(split_args(pip_args).requirements), build_space(allow_build) as work:
        judging = Judging(
            scan_options.index_url,
            scan_options.http,
            dict(pinned_indexes or {}),
            own=own_wheels(work),
        )
        return guard_building(
            PipInstaller(python, scan_options.http.cache_dir, judging),
            pip_args,
            verdict,
            work=work,
            index_url=split_args(pip_args).index_url or scan_options.index_url,
        )


def explain(outcome: GuardOutcome) -> str:
    """The verdict in pip's words."""
    return explain_with(outcome, adapter.WORDING)
