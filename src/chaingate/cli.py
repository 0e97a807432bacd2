"""Command line: parse options, wire the stages, choose the exit code. Logic lives below.

Exit codes (the one place they are defined):
  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage or input error (bad option, malformed manifest, resolver failure, bad database)
  3  analysis incomplete and --fail-incomplete given (only when no finding already gave 1)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from chaingate.inventory.interface import Inventory
    from chaingate.result import ScanResult
    from chaingate.scan import Progress

from chaingate import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

app = typer.Typer(
    name="chaingate",
    help="Whom does your project trust? Supply-chain risk from the people behind your "
    "dependencies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `chaingate: <message>` on stderr and exit; never a traceback for bad input."""
    print(f"chaingate: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        print(f"chaingate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """chaingate: inventory, registry facts, author and release signals."""


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now: not an ISO 8601 date or time: {value!r}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


@app.command()
def scan(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Project directory or one manifest / lock file (default: the current "
            "directory). With --env: a virtualenv (default: this interpreter).",
            show_default=False,
        ),
    ] = None,
    env: Annotated[
        bool, typer.Option("--env", help="Scan an installed environment instead of files.")
    ] = False,
    no_resolve: Annotated[
        bool,
        typer.Option(
            "--no-resolve",
            help="Take the input as complete: do not resolve unpinned requirements.",
        ),
    ] = False,
    index_url: Annotated[
        str | None,
        typer.Option(
            "--index-url",
            "-i",
            help="PyPI-compatible index: its base (https://pypi.org) or its /simple URL. "
            "Default: CHAINGATE_INDEX_URL, then pip's index-url, then https://pypi.org.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            help="Exit 1 when a finding has this severity or higher "
            "(critical, high, medium, low, info)."
        ),
    ] = "high",
    fail_incomplete: Annotated[
        bool,
        typer.Option("--fail-incomplete", help="Exit 3 when any package could not be analysed."),
    ] = False,
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy database URL for observations over time (default: CHAINGATE_DB, "
            "else SQLite in the user data directory).",
            show_default=False,
        ),
    ] = None,
    no_db: Annotated[
        bool, typer.Option("--no-db", help="Keep no history (ownership-change is unavailable).")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            help="HTTP cache directory (default: CHAINGATE_CACHE_DIR or the user cache directory).",
            show_default=False,
        ),
    ] = None,
    cache_ttl: Annotated[
        float,
        typer.Option(
            help="Seconds a cached document stays fresh when the index does "
            "not say (pypi.org says 900)."
        ),
    ] = 900.0,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Revalidate every cached document.")
    ] = False,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Use only the cache; a miss makes the package incomplete."),
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=128, help="Parallel requests.")] = 16,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds per request.")] = 20.0,
    retries: Annotated[int, typer.Option(min=0, max=10, help="Retries per request.")] = 3,
    cooldown: Annotated[float, typer.Option(help="Hours a release is 'new' (new-release).")] = 72.0,
    now: Annotated[
        str | None,
        typer.Option(
            help="Evaluate as of this ISO 8601 time (replaying an incident).", show_default=False
        ),
    ] = None,
) -> None:
    """Show whom a project trusts and flag author and release risk."""
    from chaingate import config
    from chaingate.inventory.interface import InventoryError
    from chaingate.registry.http import HttpSettings
    from chaingate.registry.pypi import IndexUrls
    from chaingate.signals.interface import Severity
    from chaingate.signals.registry import Thresholds
    from chaingate.store.interface import StoreError

    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        fail(f"--fail-on: {exc}")
    index, _source = config.index_url(index_url)
    try:
        IndexUrls.parse(index)
    except ValueError as exc:
        fail(f"--index-url: {exc}")
    pinned_now = _parse_now(now)

    from chaingate.policy import ignore

    try:
        ignores = ignore.load(path or Path(".")) if not env else []
    except ignore.PolicyError as exc:
        fail(str(exc))
    inventory = _inventory(path, env=env, resolve=not no_resolve, index=index)

    from chaingate.scan import ScanOptions, run_scan

    opts = ScanOptions(
        index_url=index,
        http=HttpSettings(
            cache_dir=config.cache_dir(cache_dir),
            ttl=cache_ttl,
            timeout=timeout,
            retries=retries,
            concurrency=concurrency,
            refresh=refresh,
            offline=offline,
        ),
        db_url=None if no_db else config.db_url(db),
        now=pinned_now,
        thresholds=Thresholds(cooldown_hours=cooldown),
        ignores=tuple(ignores),
    )
    try:
        result = _with_progress(lambda cb: run_scan(inventory, opts, cb))
    except StoreError as exc:
        fail(str(exc))
    except InventoryError as exc:
        fail(str(exc))

    _emit(result, fmt, output)
    worst = result.worst()
    if worst is not None and worst >= threshold:
        raise typer.Exit(EXIT_FINDINGS)
    if fail_incomplete and result.incomplete:
        raise typer.Exit(EXIT_INCOMPLETE)


def _inventory(path: Path | None, *, env: bool, resolve: bool, index: str) -> Inventory:
    from chaingate.inventory.build import build_inventory
    from chaingate.inventory.interface import InventoryError
    from chaingate.inventory.resolve import ResolutionError

    try:
        if env:
            where = str(path) if path else sys.executable
            return build_inventory(Path("."), resolve_deps=False, index_url=index, env=where)
        target = path or Path(".")
        if not target.exists():
            fail(f"{target}: no such file or directory")
        try:
            return build_inventory(target, resolve_deps=resolve, index_url=index)
        except ResolutionError as exc:
            # A name missing from the index is the dependency-confusion case the scan exists
            # to report: scan what the files declare, and say the tree is incomplete.
            reason = f"could not resolve dependencies, so transitive ones are unknown: {exc}"
            print(f"chaingate: warning: {reason}", file=sys.stderr)
            declared = build_inventory(target, resolve_deps=False, index_url=index)
            return replace(declared, unresolved=(*declared.unresolved, reason))
    except InventoryError as exc:
        fail(str(exc))


def _with_progress(run: Callable[[Progress | None], ScanResult]) -> ScanResult:
    """Run with a progress bar on stderr when a person is watching."""
    if not sys.stderr.isatty():
        return run(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("fetching registry facts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None)

        def cb(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run(cb)


def _emit(result: ScanResult, fmt: Format, output: Path | None) -> None:
    from chaingate.report.interface import get_report

    if fmt is Format.text and output is None:
        from rich.console import Console

        from chaingate.report.text import print_to

        print_to(Console(), result)
        return
    text = get_report(fmt.value).render(result)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--output {output}: {exc.strerror or exc}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        print("chaingate: interrupted", file=sys.stderr)
        sys.exit(130)
