"""`chaingate inspect`: read one package's files without executing anything (an archive, a
directory, or name==version from the index) and report what its code does at install and
import time; exit 1 when the verdict is at or above --fail-on, else 3 when part of it could not
be analysed within the analyser's memory and time bounds (the inspection is incomplete)."""

from __future__ import annotations

from pathlib import Path

import click

from chaingate.cli import wiring
from chaingate.cli.options import (
    CommandError,
    cache_dir_option,
    format_option,
    index_option,
    output_option,
    parse_as_of,
    parse_fail_on,
    retries_option,
    timeout_option,
    write,
)
from chaingate.core.errors import EXIT_FINDINGS, EXIT_INCOMPLETE


@click.command()
@click.argument("target")
@click.option(
    "--against",
    help="Compare with this release: a version of the same project, name==version, an "
    "archive or a directory (default for name==version: the previous release).",
)
@click.option("--no-against", is_flag=True, help="Do not compare with the previous release.")
@format_option("inspect")
@output_option
@click.option(
    "--fail-on", default="high", help="Exit 1 when the verdict is this severity or higher."
)
@index_option
@cache_dir_option
@timeout_option(60.0)
@retries_option
@click.option(
    "--as-of",
    metavar="TIME",
    help="The time machine: inspect name==version as the index listed it at this ISO 8601 "
    "time (its files uploaded by then; the previous release of then).",
)
def inspect(
    target: str,
    against: str | None,
    no_against: bool,
    fmt: str,
    output: Path | None,
    fail_on: str,
    index_url: str | None,
    cache_dir: Path | None,
    timeout: float,
    retries: int,
    as_of: str | None,
) -> None:
    """Read a package's files without executing anything and report install hooks, .pth
    payloads, obfuscated exec, exfiltration, download-and-execute and bundled binaries;
    with a previous release, what this release changed.

    TARGET: a package archive (.tar.gz, .zip, .whl), a directory, or name==version
    (downloaded from the index and verified against its sha256)."""
    from chaingate.analysis.run import run_inspect
    from chaingate.report import InspectDocument, render

    threshold = parse_fail_on(fail_on)
    opts = wiring.inspect_options(index_url, cache_dir, timeout, retries, parse_as_of(as_of))
    try:
        outcome = run_inspect(target, opts, against=against, no_against=no_against)
    except ValueError as exc:  # a malformed index URL
        raise CommandError(str(exc)) from None
    write(render(InspectDocument(outcome), fmt), output)
    if outcome.verdict is not None and outcome.verdict >= threshold:
        raise click.exceptions.Exit(EXIT_FINDINGS)
    if outcome.incomplete:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)
