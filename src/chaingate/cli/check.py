"""`chaingate check`: the CI gate. A scan judged by the project's policy; exit 1 when
anything is blocked, with one screen per block (what, why, evidence, how to fix or except)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaingate.cli import wiring
from chaingate.cli.options import (
    Common,
    fail_on_policy_option,
    format_option,
    gate_incomplete_option,
    incomplete_gate,
    output_option,
    policy_option,
    project_options,
    today,
    with_fail_on,
    write,
)
from chaingate.core.errors import EXIT_FINDINGS

if TYPE_CHECKING:
    pass


@click.command()
@policy_option
@format_option("check")
@output_option
@fail_on_policy_option
@gate_incomplete_option()
@project_options()
def check(
    common: Common,
    policy: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    allow_incomplete: bool,
    fail_incomplete: bool,
) -> None:
    """The CI gate: scan, apply the policy, and exit 1 when anything is blocked, with one
    screen per block saying what, why, the evidence, and how to fix or except it."""
    from chaingate.policy.interface import Action
    from chaingate.policy.policy import decide, load_policy

    pol = load_policy(common.path or Path("."), policy)
    result = wiring.analyse(common, pol)
    decisions = decide(result, with_fail_on(pol, fail_on), today(common.now or common.as_of))
    from chaingate.report import CheckDocument, render

    write(render(CheckDocument(result, tuple(decisions)), fmt), output)
    if any(d.action is Action.BLOCK for d in decisions):
        raise click.exceptions.Exit(EXIT_FINDINGS)
    incomplete_gate(
        len(result.incomplete),
        allow_flag=allow_incomplete,
        fail_flag=fail_incomplete,
        policy_allows=pol.allow_incomplete,
        what="package(s) or manifest(s)",
    )
