"""`chaingate check`: the CI gate. A scan judged by the project's policy; exit 1 when
anything is blocked, with one screen per block (what, why, evidence, how to fix or except)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaingate.cli import wiring
from chaingate.cli.options import (
    Common,
    Format,
    fail_incomplete_option,
    fail_on_policy_option,
    format_option,
    output_option,
    policy_option,
    project_options,
    today,
    with_fail_on,
    write,
)
from chaingate.core.errors import EXIT_FINDINGS, EXIT_INCOMPLETE

if TYPE_CHECKING:
    from chaingate.engine.result import ScanResult
    from chaingate.policy.interface import Decision


@click.command()
@policy_option
@format_option(Format, Format.text)
@output_option
@fail_on_policy_option
@fail_incomplete_option()
@project_options()
def check(
    common: Common,
    policy: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    fail_incomplete: bool,
) -> None:
    """The CI gate: scan, apply the policy, and exit 1 when anything is blocked, with one
    screen per block saying what, why, the evidence, and how to fix or except it."""
    from chaingate.policy.interface import Action
    from chaingate.policy.policy import decide, load_policy

    pol = load_policy(common.path or Path("."), policy)
    result = wiring.analyse(common, pol)
    decisions = decide(result, with_fail_on(pol, fail_on), today(common.now))
    _emit_gate(result, decisions, Format(fmt), output)
    if any(d.action is Action.BLOCK for d in decisions):
        raise click.exceptions.Exit(EXIT_FINDINGS)
    if fail_incomplete and result.incomplete:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def _emit_gate(
    result: ScanResult, decisions: Sequence[Decision], fmt: Format, output: Path | None
) -> None:
    from chaingate.report import gate

    if fmt is Format.text:
        text = gate.render_text(result, list(decisions))
    elif fmt is Format.json:
        from chaingate.report.json import pretty_json

        document = gate.as_document(result, list(decisions))
        text = pretty_json(document)
    else:
        from chaingate.report.interface import get_report

        text = get_report(fmt.value).render(gate.gated_result(result, list(decisions)))
    write(text, output)
