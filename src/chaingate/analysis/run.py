"""`chaingate inspect TARGET [--against OLD]`: obtain the files, analyse them, compare.

TARGET is a local archive or directory, or `name==version` from the index (downloaded and
verified, see fetch.py). OLD is a local archive or directory, `name==version`, or a bare
version of the same project. For an index target without `--against`, the previous
release on the index is the comparison (`--no-against` turns that off); a first release has
nothing to compare with and says so.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import msgspec

from chaingate.analysis.archive.compare import Comparison, compare, is_patch_release, profile_path
from chaingate.analysis.inspect import Inspection, verdict
from chaingate.analysis.interface import CodeFinding, Limits
from chaingate.core.errors import EXIT_INCOMPLETE, EXIT_USAGE, ChaingateError
from chaingate.core.findings import Severity
from chaingate.ecosystems.pypi.artifacts import (
    Artifact,
    ArtifactError,
    Pin,
    fetch_release,
    files_as_of,
    files_of,
    parse_pin,
    previous_version,
    project_files,
)
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.ecosystems.pypi.simple import SimpleFile
from chaingate.net.http import HttpClient, HttpSettings


class InspectOptions(msgspec.Struct, frozen=True):
    index_url: str
    http: HttpSettings
    limits: Limits = msgspec.field(default_factory=Limits)
    workers: int | None = None
    as_of: datetime | None = None  # the time machine: the index's files as of then

    @property
    def artifact_dir(self) -> Path:
        from chaingate import config

        base = self.http.cache_dir or config.cache_dir(None)
        return base / "artifacts"


class Side(msgspec.Struct, frozen=True):
    """One analysed release: where its files came from and what was found."""

    label: str  # "requests==2.32.3" or the path given
    path: Path
    inspection: Inspection
    artifact: Artifact | None = None


class InspectOutcome(msgspec.Struct, frozen=True):
    side: Side
    findings: tuple[CodeFinding, ...]
    verdict: Severity | None
    against: Side | None = None
    comparison: Comparison | None = None
    note: str | None = None  # e.g. "first release: nothing to compare with"

    @property
    def new(self) -> frozenset[int]:
        return self.comparison.new if self.comparison else frozenset()

    @property
    def incomplete(self) -> tuple[str, ...]:
        """What the analysis of either release could not read (see `Inspection.incomplete`)."""
        older = self.against.inspection.incomplete if self.against else ()
        return self.side.inspection.incomplete + older


class InspectError(ChaingateError):
    """The target cannot be inspected: missing, not on the index (`unavailable` False), or
    the index could not be reached or its bytes not verified (`unavailable` True)."""

    def __init__(self, message: str, *, unavailable: bool = False) -> None:
        super().__init__(message)
        self.unavailable = unavailable

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return EXIT_INCOMPLETE if self.unavailable else EXIT_USAGE


def _local(text: str) -> Path | None:
    path = Path(text)
    return path if path.exists() else None


def run_inspect(
    target: str, opts: InspectOptions, *, against: str | None = None, no_against: bool = False
) -> InspectOutcome:
    return asyncio.run(_run(target, opts, against, no_against))


async def _run(
    target: str, opts: InspectOptions, against: str | None, no_against: bool
) -> InspectOutcome:
    local = _local(target)
    pin = None if local else parse_pin(target)
    if local is None and pin is None:
        raise InspectError(f"{target}: no such file or directory, and not name==version")
    old_local = _local(against) if against else None
    note = None
    async with HttpClient(opts.http) as client:
        index = IndexUrls.parse(opts.index_url)
        try:
            new_art: Artifact | None = None
            listing = None
            if pin is not None:
                listing = await _listing(client, index, pin, opts.as_of)
                new_art = await fetch_release(client, index, pin, opts.artifact_dir, files=listing)
            old_pin: Pin | None = None
            if against and old_local is None:
                old_pin = parse_pin(against)
                if old_pin is None and pin is not None:
                    old_pin = Pin(pin.name, against.strip())
                if old_pin is None:
                    raise InspectError(
                        f"--against {against}: no such file or directory, and not name==version"
                    )
            elif against is None and pin is not None and not no_against and listing is not None:
                prev = previous_version(listing, pin.version)
                if prev is None:
                    note = f"{pin} has no earlier release on the index: nothing to compare with"
                else:
                    old_pin = Pin(pin.name, prev)
            old_art = None
            if old_pin is not None:
                old_listing = listing if pin is not None and old_pin.name == pin.name else None
                if old_listing is None and opts.as_of is not None:
                    old_listing = await _listing(client, index, old_pin, opts.as_of)
                old_art = await fetch_release(
                    client, index, old_pin, opts.artifact_dir, files=old_listing
                )
        except ArtifactError as exc:
            raise InspectError(str(exc), unavailable=exc.unavailable) from None

    new_path = local or (new_art.path if new_art else None)
    assert new_path is not None
    old_path = old_local or (old_art.path if old_art else None)
    paths = [new_path] + ([old_path] if old_path is not None else [])
    inspections = analyse(paths, opts)
    side = Side(str(pin) if pin else target, new_path, inspections[0], new_art)
    if old_path is None:
        ins = inspections[0]
        return InspectOutcome(side, ins.findings, ins.verdict, note=note)
    old_label = str(old_pin) if old_pin else str(against)
    old_side = Side(old_label, old_path, inspections[1], old_art)
    new_version = pin.version if pin else ""
    old_version = old_pin.version if old_pin else ""
    comparison = compare(
        inspections[0].findings,
        profile_path(new_path, opts.limits),
        inspections[1].findings,
        profile_path(old_path, opts.limits),
        new_target=new_path,
        old_target=old_path,
        against=old_label,
        patch=is_patch_release(old_version, new_version),
    )
    findings = tuple(sorted(comparison.findings, key=lambda f: (-f.severity, f.path, f.line or 0)))
    # Indexes of new findings follow the sort.
    new_ids = {id(comparison.findings[i]) for i in comparison.new}
    comparison = Comparison(
        findings,
        frozenset(i for i, f in enumerate(findings) if id(f) in new_ids),
        comparison.against,
        comparison.patch,
    )
    return InspectOutcome(side, findings, verdict(findings), old_side, comparison)


async def _listing(
    client: HttpClient, index: IndexUrls, pin: Pin, as_of: datetime | None
) -> list[SimpleFile]:
    """The project's files on the index, or with `--as-of` those it listed then; a pin
    first uploaded later was not yet published then (exit 3, like check's incomplete)."""
    files = await project_files(client, index, pin.name)
    if as_of is None:
        return files
    stamp = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    then = files_as_of(files, as_of)
    if then is None:
        raise InspectError(
            f"{pin}: the index gives no upload times (PEP 700), so its files as of {stamp} "
            "cannot be known",
            unavailable=True,
        )
    if not files_of(then, pin.version):
        if not files_of(files, pin.version):
            raise InspectError(f"{pin}: no such release on the index ({index.base})")
        raise InspectError(f"{pin}: not yet published as of {stamp}", unavailable=True)
    return then


# Below this much archive, starting a worker process costs more than it saves.
PARALLEL_FROM_BYTES = 8 * 1024 * 1024


def analyse(paths: list[Path], opts: InspectOptions) -> list[Inspection]:
    """Inspect each path; two releases of a big package in parallel across processes."""
    from chaingate.analysis.archive.pool import inspect_many

    size = sum(p.stat().st_size for p in paths if p.is_file())
    workers = opts.workers if size >= PARALLEL_FROM_BYTES else 1
    return inspect_many(paths, workers, opts.limits)
