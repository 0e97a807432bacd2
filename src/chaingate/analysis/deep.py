"""`chaingate scan --deep`: read the code of every package of a scan.

For each registry package at an exact version: the file pip would install on this platform
(the best-ranked wheel, else the sdist) is downloaded, verified against the index's sha256
and analysed, all archives in parallel across processes. A package whose file cannot be
listed, downloaded or verified is incomplete, with the reason; it is never taken as clean; so
is one the analyser could not read whole within its memory and time bounds (`Limits`).

Analyses are kept in the cache under the archive's sha256 and a fingerprint of the analyser's
own code, so a warm `scan --deep` reads nothing twice; a new chaingate, or any change to the
detectors, analyses again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec

from chaingate.analysis.inspect import Inspection
from chaingate.analysis.interface import CodeFinding, CodeReport, Limits
from chaingate.core.findings import Severity
from chaingate.core.inventory import Origin, Package
from chaingate.core.refs import PackageRef
from chaingate.ecosystems.interface import ArtifactError, ArtifactFile, Ecosystem
from chaingate.net.atomic import write_atomic
from chaingate.net.http import HttpClient, HttpSettings


class DeepResult(msgspec.Struct):
    reports: dict[PackageRef, CodeReport] = msgspec.field(default_factory=dict)
    failed: dict[PackageRef, str] = msgspec.field(default_factory=dict)  # the reason


_ROOT = Path(__file__).parent


def analyser_sources() -> list[Path]:
    """The modules the analysis fingerprint covers: all of analysis/, subpackages included."""
    return sorted(_ROOT.rglob("*.py"))


@functools.cache
def analyser_fingerprint() -> str:
    """Changes whenever chaingate's version or the artifact analysis code changes: every
    module under analysis/, the archive layer and each language's analyser and detectors."""
    from chaingate import __version__

    h = hashlib.sha256(__version__.encode())
    for path in analyser_sources():
        h.update(path.relative_to(_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


class _ReportCache:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, sha256: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / analyser_fingerprint() / f"{sha256}.json"

    def load(self, artifact: ArtifactFile) -> CodeReport | None:
        path = self._path(artifact.sha256)
        if path is None:
            return None
        try:
            doc = json.loads(path.read_text())
            findings = tuple(
                CodeFinding(
                    f["id"], Severity.parse(f["severity"]), f["path"], f["line"], f["message"],
                    f["excerpt"],
                )
                for f in doc["findings"]
            )  # fmt: skip
            verdict = Severity.parse(doc["verdict"]) if doc["verdict"] else None
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None
        return CodeReport(artifact.filename, artifact.sha256, verdict, findings)

    def save(self, report: CodeReport) -> None:
        path = self._path(report.sha256)
        if path is None:
            return
        doc = {
            "verdict": report.verdict.label if report.verdict is not None else None,
            "findings": [
                {"id": f.id, "severity": f.severity.label, "path": f.path, "line": f.line,
                 "message": f.message, "excerpt": f.excerpt}
                for f in report.findings
            ],
        }  # fmt: skip
        write_atomic(path, json.dumps(doc).encode())


def deep_inspect(
    packages: Sequence[Package],
    ecosystems: Mapping[str, Ecosystem],
    indexes: Mapping[str, str],
    http: HttpSettings,
    *,
    limits: Limits | None = None,
    workers: int | None = None,
) -> DeepResult:
    """Download (through each ecosystem's `ArtifactSource`), verify and analyse the file of
    every registry package at an exact version; `indexes` gives each ecosystem's index URL
    (default: its registry's). A package whose ecosystem has no artifact source, or whose
    file cannot be had, is in `failed` with the reason."""
    from chaingate.analysis.archive.pool import inspect_many

    out = DeepResult()
    base = http.cache_dir
    artifacts = asyncio.run(_download(packages, ecosystems, indexes, http, out))
    cache = _ReportCache(base / "inspections" if base else None)
    todo: list[tuple[PackageRef, ArtifactFile]] = []
    for ref, art in artifacts:
        cached = cache.load(art)
        if cached is not None:
            out.reports[ref] = cached
        else:
            todo.append((ref, art))
    results: list[Inspection] = inspect_many([a.path for _, a in todo], workers, limits)
    for (ref, art), ins in zip(todo, results, strict=True):
        report = CodeReport(art.filename, art.sha256, ins.verdict, ins.findings)
        if ins.incomplete:
            # Part of the file was beyond the analyser's bounds: what was read counts, and
            # the package is incomplete (never cached, so a warm scan says so again).
            more = f" (and {len(ins.incomplete) - 1} more)" if len(ins.incomplete) > 1 else ""
            out.failed[ref] = f"{art.filename}: {ins.incomplete[0]}{more}"
        elif not any(f.id == "analysis-failed" for f in ins.findings):
            cache.save(report)
        out.reports[ref] = report
    return out


async def _download(
    packages: Sequence[Package],
    ecosystems: Mapping[str, Ecosystem],
    indexes: Mapping[str, str],
    http: HttpSettings,
    out: DeepResult,
) -> list[tuple[PackageRef, ArtifactFile]]:
    from chaingate import config

    folder = (http.cache_dir or config.cache_dir(None)) / "artifacts"
    wanted = sorted({p.ref for p in packages if p.origin is Origin.REGISTRY and p.version})
    found: list[tuple[PackageRef, ArtifactFile]] = []
    ttl = http.ttl if not http.refresh else 0
    async with HttpClient(http) as client:

        async def one(ref: PackageRef) -> None:
            eco = ecosystems.get(ref.ecosystem)
            if eco is None or eco.artifacts is None or ref.version is None:
                out.failed[ref] = f"chaingate cannot fetch the files of {ref.ecosystem} packages"
                return
            index = indexes.get(ref.ecosystem) or eco.registry.default_index
            try:
                art = await eco.artifacts.fetch(client, index, ref.name, ref.version, folder, ttl)
            except ArtifactError as exc:
                out.failed[ref] = str(exc)
                return
            found.append((ref, art))

        await asyncio.gather(*(one(r) for r in wanted))
    return found
