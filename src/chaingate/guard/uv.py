"""`chaingate uv pip install ARGS...`: the guard's core with uv as the installer.

The pip guard (`chaingate.guard.pip`) with uv in pip's place: uv's dry run says what
would be installed, the scan and the policy judge that set, and only then is exactly that
set installed, pinned by hash. What is uv's (its arguments, reading its dry run, the
hashes from the indexes, the pinned install; the limits) is
`chaingate.ecosystems.pypi.install.uv`. This module is the command's entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from chaingate.core.findings import Severity
from chaingate.ecosystems.pypi.install import uv as adapter
from chaingate.ecosystems.pypi.install.common import InstallError as GuardError
from chaingate.ecosystems.pypi.install.common import Requirement as UvPlanned
from chaingate.ecosystems.pypi.install.uv import (
    Change,
    UvArgs,
    UvInstaller,
    UvPlan,
    default_index,
    find_uv,
    parse_dry_run,
    split_args,
)
from chaingate.engine.scan import Progress, ScanOptions
from chaingate.guard.build import Verdict, build_space, guard_building, own_wheels
from chaingate.guard.core import (
    Decide,
    Evaluate,
    GuardOutcome,
    Plan,
    with_inventory,
)
from chaingate.guard.core import explain as explain_with
from chaingate.guard.hints import hinting

__all__ = [
    "Change",
    "GuardError",
    "GuardOutcome",
    "UvArgs",
    "UvPlanned",
    "default_index",
    "explain",
    "find_uv",
    "guard",
    "install",
    "parse_dry_run",
    "plan",
    "plan_from_changes",
    "split_args",
]


plan = with_inventory(adapter.plan)
plan_from_changes = with_inventory(adapter.plan_from_changes)


def install(plan: Plan[UvPlan], *, python: str | None = None, uv: str | None = None) -> int:
    """Install exactly the plan, pinned, with the user's options; uv's exit code."""
    return adapter.install(plan.proposal, python=python, uv=uv)


def guard(
    uv_args: Sequence[str],
    *,
    python: str | None = None,
    uv: str | None = None,
    scan_options: ScanOptions,
    index_url: str | None = None,
    fail_on: Severity = Severity.HIGH,
    decide: Decide | None = None,
    fail_incomplete: bool = False,
    announce: Callable[[str], None] | None = None,
    progress: Progress | None = None,
    evaluate: Evaluate | None = None,
    pinned_indexes: Mapping[str, str] | None = None,
    allow_build: bool = False,
) -> GuardOutcome:
    """Plan with uv, scan, decide, and install only when nothing blocks, as
    `chaingate.guard.pip.guard`. `index_url` is uv's default index when the user names
    none (default: the scan's index). uv uses wheels only; with `allow_build`, a package
    only a source distribution provides is first judged with its build requirements and
    built (`chaingate.guard.build`). GuardError as for `plan`, and "uv is not installed".
    """
    verdict = Verdict.of(
        scan_options,
        fail_on,
        evaluate,
        decide,
        fail_incomplete=fail_incomplete,
        announce=announce,
        progress=progress,
    )
    with hinting(split_args(uv_args).packages), build_space(allow_build) as work:
        installer = UvInstaller(
            http=scan_options.http,
            python=python,
            uv=uv,
            index_url=index_url or scan_options.index_url,
            pinned=pinned_indexes,
            own=own_wheels(work),
        )
        return guard_building(
            installer,
            uv_args,
            verdict,
            work=work,
            index_url=default_index(split_args(uv_args), installer.index_url),
        )


def explain(outcome: GuardOutcome) -> str:
    """The verdict in uv's words; URL items show their URL for a version."""
    return explain_with(outcome, adapter.WORDING)
