"""`chaingate scan`: whom the project trusts, and the author, release and email-domain risk,
in the chosen format; exit 1 at or above --fail-on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from chaingate.cli import wiring
from chaingate.cli.options import (
    Common,
    fail_incomplete_option,
    format_option,
    output_option,
    parse_fail_on,
    project_options,
    stdout_console,
    write,
)
from chaingate.core.errors import EXIT_FINDINGS, EXIT_INCOMPLETE

if TYPE_CHECKING:
    from chaingate.engine.result import ScanResult


@click.command()
@format_option("scan")
@output_option
@click.option(
    "--fail-on",
    default="high",
    help="Exit 1 when a finding has this severity or higher (critical, high, medium, low, info).",
)
@fail_incomplete_option()
@project_options()
def scan(
    common: Common, fmt: str, output: Path | None, fail_on: str, fail_incomplete: bool
) -> None:
    """Show whom a project trusts and flag author, release and email-domain risk."""
    threshold = parse_fail_on(fail_on)
    result = wiring.analyse(common)
    _emit(result, fmt, output)
    worst = result.worst()
    if worst is not None and worst >= threshold:
        raise click.exceptions.Exit(EXIT_FINDINGS)
    if fail_incomplete and result.incomplete:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def _emit(result: ScanResult, fmt: str, output: Path | None) -> None:
    from chaingate.report import ScanDocument, render

    if fmt == "text" and output is None:
        from chaingate.report.formats.text import print_to

        print_to(stdout_console(), ScanDocument(result))
        return
    write(render(ScanDocument(result), fmt), output)
