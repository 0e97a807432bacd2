"""`chaingate scan --deep`: read the code of every package of a scan.

For each registry package at an exact version: the file pip would install on this platform
(the best-ranked wheel, else the sdist) is downloaded, verified against the index's sha256
and analysed, all archives in parallel across processes. A package whose file cannot be
listed, downloaded or verified is incomplete, with the reason; it is never taken as clean.

Analyses are kept in the cache under the archive's sha256 and a fingerprint of the analyser's
own code, so a warm `scan --deep` reads nothing twice; a new chaingate, or any change to the
detectors, analyses again.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from pathlib import Path

import msgspec

from chaingate.analysis.inspect import Inspection
from chaingate.analysis.interface import CodeFinding, CodeReport, Limits
from chaingate.core.findings import Severity
from chaingate.core.inventory import Origin, Package
from chaingate.ecosystems.pypi.artifacts import (
    Artifact,
    ArtifactError,
    Pin,
    fetch_release,
    project_files,
)
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.net.atomic import write_atomic
from chaingate.net.http import HttpClient, HttpSettings


class DeepResult(msgspec.Struct):
    reports: dict[tuple[str, str], CodeReport] = msgspec.field(default_factory=dict)
    failed: dict[tuple[str, str], str] = msgspec.field(default_factory=dict)  # reason


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

    def load(self, artifact: Artifact) -> CodeReport | None:
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
        except (OSError, ValueError, KeyError, TypeError):
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


class _ChosenFiles:
    """Which file was chosen for a pin on this interpreter, kept as long as the index's
    documents are (`--cache-ttl`): a warm deep scan then neither fetches nor parses the
    project's file list (tens of MB for boto3 and botocore). The file itself is verified
    again against the digest on every use."""

    def __init__(self, root: Path, index: str, ttl: float) -> None:
        from packaging.tags import sys_tags

        self.root, self.ttl = root, ttl
        key = f"{index}\0{next(iter(sys_tags()))}"
        self.key = hashlib.sha256(key.encode()).hexdigest()[:16]

    def _path(self, pin: Pin) -> Path:
        return self.root / self.key / f"{pin.name}=={pin.version}.json"

    def load(self, pin: Pin, folder: Path) -> Artifact | None:
        import time

        from chaingate.ecosystems.pypi.artifacts import sha256_file

        path = self._path(pin)
        try:
            if time.time() - path.stat().st_mtime >= self.ttl:
                return None
            doc = json.loads(path.read_text())
            digest, filename = str(doc["sha256"]), str(doc["filename"])
            file = folder / digest[:2] / digest / Path(filename).name
            if sha256_file(file) != digest:
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        kind = "wheel" if filename.endswith(".whl") else "sdist"
        return Artifact(pin, filename, str(doc.get("url", "")), digest, file, kind)

    def save(self, art: Artifact) -> None:
        path = self._path(art.pin)
        doc = {"filename": art.filename, "url": art.url, "sha256": art.sha256}
        write_atomic(path, json.dumps(doc).encode())


def deep_inspect(
    packages: tuple[Package, ...],
    index_url: str,
    http: HttpSettings,
    *,
    limits: Limits | None = None,
    workers: int | None = None,
) -> DeepResult:
    from chaingate.analysis.archive.pool import inspect_many

    out = DeepResult()
    base = http.cache_dir
    artifacts = asyncio.run(_download(packages, index_url, http, out))
    cache = _ReportCache(base / "inspections" if base else None)
    todo: list[Artifact] = []
    for art in artifacts:
        cached = cache.load(art)
        if cached is not None:
            out.reports[(art.pin.name, art.pin.version)] = cached
        else:
            todo.append(art)
    results: list[Inspection] = inspect_many([a.path for a in todo], workers, limits)
    for art, ins in zip(todo, results, strict=True):
        report = CodeReport(art.filename, art.sha256, ins.verdict, ins.findings)
        if not any(f.id == "analysis-failed" for f in ins.findings):
            cache.save(report)
        out.reports[(art.pin.name, art.pin.version)] = report
    return out


async def _download(
    packages: tuple[Package, ...], index_url: str, http: HttpSettings, out: DeepResult
) -> list[Artifact]:
    from chaingate import config

    index = IndexUrls.parse(index_url)
    folder = (http.cache_dir or config.cache_dir(None)) / "artifacts"
    wanted = sorted(
        {(p.name, p.version) for p in packages if p.origin is Origin.REGISTRY and p.version}
    )
    found: list[Artifact] = []
    chosen = _ChosenFiles(folder / "chosen", index.base, http.ttl if not http.refresh else 0)
    async with HttpClient(http) as client:

        async def one(name: str, version: str) -> None:
            pin = Pin(name, version)
            known = chosen.load(pin, folder)
            if known is not None:
                found.append(known)
                return
            try:
                listing = await project_files(client, index, name)
                art = await fetch_release(client, index, pin, folder, files=listing)
            except ArtifactError as exc:
                out.failed[(name, version)] = str(exc)
                return
            chosen.save(art)
            found.append(art)

        await asyncio.gather(*(one(n, v) for n, v in wanted))
    return found
