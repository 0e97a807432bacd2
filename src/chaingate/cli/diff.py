"""`chaingate diff`: judge a change on its own risk, only what it introduces compared with
--base (a git ref or an older manifest); exit codes as for check."""

from __future__ import annotations

from pathlib import Path

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
    stdout_console,
    today,
    with_fail_on,
    write,
)
from chaingate.core.errors import EXIT_FINDINGS


@click.command()
@click.option(
    "--base",
    required=True,
    help="Git ref to compare with (e.g. origin/main, HEAD~1), or an older copy of the "
    "manifest / lock file.",
)
@policy_option
@format_option("diff")
@output_option
@fail_on_policy_option
@gate_incomplete_option("an introduced package")
@project_options(env=False, deep=False)
def diff(
    common: Common,
    base: str,
    policy: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    allow_incomplete: bool,
    fail_incomplete: bool,
) -> None:
    """Judge a change on its own risk: only the packages, versions and findings it
    introduces compared with --base. Exit codes as for check."""
    from chaingate.policy.change import judged_with
    from chaingate.policy.interface import Action
    from chaingate.policy.policy import decide
    from chaingate.report import DiffDocument, render

    # The base revision's policy judges the change; a change to it is a finding of its own.
    pol, change = judged_with(base, common.path or Path("."), policy)
    result = wiring.analyse_diff(common, pol, base)
    day = today(common.now or common.as_of)
    if change is not None:
        result = result.with_finding(change, pol.ignores, day)
    decisions = [
        d
        for d in decide(result.as_scan_result(), with_fail_on(pol, fail_on), day)
        # A deny-listed package the change did not touch is not this change's risk.
        if d.finding.id != "policy-deny"
        or result.is_introduced(d.finding.package, d.finding.version, d.finding.ecosystem)
    ]
    if fmt == "text" and output is None:
        from chaingate.report.formats.text import print_to

        print_to(stdout_console(), DiffDocument(result))
    else:
        write(render(DiffDocument(result), fmt), output)
    if any(d.action is Action.BLOCK for d in decisions):
        raise click.exceptions.Exit(EXIT_FINDINGS)
    incomplete_gate(
        len(result.incomplete),
        allow_flag=allow_incomplete,
        fail_flag=fail_incomplete,
        policy_allows=pol.allow_incomplete,
        what="introduced package(s) or manifest(s)",
    )
