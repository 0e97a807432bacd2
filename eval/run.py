"""Evaluate `chaingate inspect` (the artifact analyser): malicious samples against the real
releases of the most downloaded PyPI projects.

    .venv/bin/python eval/run.py                    # everything (downloads once, then cached)
    .venv/bin/python eval/run.py --only-malicious   # the samples only, offline
    .venv/bin/python eval/run.py --json results.json
    .venv/bin/python eval/run.py --benign 1000      # the 1,000-project set (ranks 1-1,000)
    .venv/bin/python eval/run.py --benign 1000 --download-only   # fill the cache first

Positives are the samples under eval/malicious/, built into the archives they would be
published as; a sample is caught when every one of its archives gets a `high` or `critical`
verdict. Negatives are the latest releases of the projects in eval/benign.txt: the sdist and
the wheel pip would install here; a project is a false positive when any of its archives gets
`high` or `critical`. Targets (issue 4): at most 1% of the benign projects high or critical,
every sample high or critical. Exit 1 when a target is missed, 2 on a download failure.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from packaging.tags import Tag, sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from samples import build, load_samples

from chaingate.analysis.inspect import inspect_path
from chaingate.ecosystems.pypi.artifacts import sha256_file

HERE = Path(__file__).resolve().parent
BENIGN_LISTS = {200: HERE / "benign.txt", 1000: HERE / "benign-1000.txt"}
BENIGN_LIST = BENIGN_LISTS[200]
# Healthy releases once rated high, checked in every benign run whatever the set (issue 15)
PINNED = HERE / "pinned.txt"
DEFAULT_INDEX = "https://pypi.org"
DEFAULT_CACHE = Path.home() / ".cache" / "chaingate-eval"
BENIGN_TARGET = 0.003  # at most 0.3% of benign projects high or critical (issue 15)
RECALL_TARGET = 1.0  # every malicious sample high or critical
MAX_FILE_MB = 150  # larger files are listed as not evaluated
ATTEMPTS = 4
EXIT_TARGET_MISSED = 1
EXIT_DOWNLOAD_FAILED = 2


# --------------------------------------------------------------------------- results


@dataclass
class ArchiveResult:
    """One archive analysed: `kind` is sdist or wheel, `verdict` a severity label or None."""

    kind: str
    filename: str
    verdict: str | None
    files: int
    bytes_read: int
    seconds: float
    findings: list[dict[str, Any]]

    @property
    def flagged(self) -> bool:
        return self.verdict in ("high", "critical")

    def severe_findings(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] in ("high", "critical")]


@dataclass
class Subject:
    """A benign project or a malicious sample, with its archives' results."""

    name: str
    version: str
    malicious: bool
    archives: list[ArchiveResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # reasons, one per archive left out
    title: str = ""
    klass: str = ""  # a malicious sample's attack class (SAMPLE.md `class:`)

    @property
    def flagged(self) -> bool:
        """Benign: any archive high+ (what a user would be blocked on). Malicious: every
        archive high+ (a miss on any of them lets the attack through)."""
        if not self.archives:
            return False
        flags = [a.flagged for a in self.archives]
        return all(flags) if self.malicious else any(flags)

    @property
    def verdict(self) -> str:
        order = [None, "info", "low", "medium", "high", "critical"]
        worst = max((a.verdict for a in self.archives), key=order.index, default=None)
        return worst or "none"


def analyse(path: str, kind: str) -> ArchiveResult:
    """Run the analyser on one archive (in a worker process)."""
    start = time.perf_counter()
    inspection = inspect_path(Path(path))
    return ArchiveResult(
        kind=kind,
        filename=Path(path).name,
        verdict=inspection.verdict.label if inspection.verdict is not None else None,
        files=inspection.files,
        bytes_read=inspection.bytes_read,
        seconds=time.perf_counter() - start,
        findings=[
            {
                "id": f.id,
                "severity": f.severity.label,
                "path": f.path,
                "line": f.line,
                "message": f.message,
                "excerpt": f.excerpt,
            }
            for f in inspection.findings
        ],
    )


# --------------------------------------------------------------------------- downloads


class FetchError(Exception):
    """A project that could not be fetched; the message names it and says why."""


@dataclass(frozen=True)
class Dist:
    """A release file chosen for analysis."""

    kind: str  # sdist or wheel
    filename: str
    url: str
    sha256: str
    size: int


def read_benign(path: Path = BENIGN_LIST) -> list[str]:
    """Project names, canonicalised; a `name==version` line pins a release (pinned.txt)."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pinned = f"=={version.strip()}" if version else ""
            names.append(str(canonicalize_name(name.strip())) + pinned)
    return names


def choose(files: list[dict[str, Any]], tags: list[Tag], base: str) -> list[Dist]:
    """The sdist and the wheel pip would pick on this machine (best `sys_tags` rank; a
    py3-none-any wheel is in that ranking, so it is the fallback). A release with no wheel
    for this interpreter (numpy dropping an old CPython) falls back to a wheel for this
    platform and another interpreter, so its compiled files are still looked at. File URLs
    are resolved against `base`, the JSON document's URL (mirrors give relative ones)."""
    rank = {tag: i for i, tag in enumerate(tags)}
    platforms = {tag.platform for tag in tags}
    sdist: dict[str, Any] | None = None
    wheel: tuple[tuple[int, int, str], dict[str, Any]] | None = None
    for f in files:
        if f.get("yanked"):
            continue
        name = f["filename"]
        if f["packagetype"] == "sdist" and name.endswith((".tar.gz", ".zip")):
            sdist = sdist or f
        elif f["packagetype"] == "bdist_wheel" and name.endswith(".whl"):
            try:
                wheel_tags = parse_wheel_filename(name)[3]
            except ValueError:
                continue
            best = min((rank[t] for t in wheel_tags if t in rank), default=None)
            if best is not None:
                key = (0, best, name)
            elif any(t.platform in platforms and not t.abi.endswith("t") for t in wheel_tags):
                key = (1, 0, name)  # this platform, another interpreter
            else:
                continue
            if wheel is None or key < wheel[0]:
                wheel = (key, f)
    chosen = [("sdist", sdist), ("wheel", wheel[1] if wheel else None)]
    return [
        Dist(kind, f["filename"], urljoin(base, f["url"]), f["digests"]["sha256"], f["size"])
        for kind, f in chosen
        if f is not None
    ]


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET with retries on transport errors, 429 and 5xx (exponential backoff)."""
    for attempt in range(ATTEMPTS):
        try:
            response = await client.get(url)
            if response.status_code != 429 and response.status_code < 500:
                return response
            error: Exception = httpx.HTTPStatusError(
                f"HTTP {response.status_code}", request=response.request, response=response
            )
        except httpx.TransportError as exc:
            error = exc
        if attempt == ATTEMPTS - 1:
            raise error
        await asyncio.sleep(0.5 * 2**attempt + random.random() / 4)
    raise AssertionError("unreachable")


async def _download(client: httpx.AsyncClient, dist: Dist, target: Path) -> None:
    if (
        target.exists()
        and target.stat().st_size == dist.size
        and sha256_file(target) == dist.sha256
    ):
        return
    tmp = target.with_suffix(target.suffix + ".part")
    for attempt in range(ATTEMPTS):  # streamed to disk: eight 150 MB files stay out of memory
        digest = hashlib.sha256()
        try:
            async with client.stream("GET", dist.url) as response:
                if response.status_code == 429 or response.status_code >= 500:
                    raise httpx.HTTPStatusError(
                        f"HTTP {response.status_code}", request=response.request, response=response
                    )
                response.raise_for_status()
                with tmp.open("wb") as out:
                    async for chunk in response.aiter_bytes(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            break
        except (httpx.TransportError, httpx.HTTPStatusError) as exc:
            status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else 0
            if attempt == ATTEMPTS - 1 or (400 <= status < 500 and status != 429):
                raise
            await asyncio.sleep(0.5 * 2**attempt + random.random() / 4)
    got = digest.hexdigest()
    if got != dist.sha256:
        tmp.unlink(missing_ok=True)
        raise ValueError(f"{dist.filename}: sha256 {got} differs from the index's {dist.sha256}")
    tmp.replace(target)


async def fetch_one(
    client: httpx.AsyncClient,
    name: str,
    index: str,
    cache: Path,
    tags: list[Tag],
    limit: asyncio.Semaphore,
    refresh: bool,
) -> tuple[str, str, list[tuple[Dist, Path]], list[str]]:
    """Download (or find in the cache) one project's chosen files. The chosen list is kept
    in the cache too, so a rerun needs no network."""
    try:
        return await _fetch_one(client, name, index, cache, tags, limit, refresh)
    except (httpx.HTTPError, ValueError, KeyError, OSError) as exc:
        raise FetchError(f"{name}: {type(exc).__name__}: {exc}") from exc


async def _fetch_one(
    client: httpx.AsyncClient,
    name: str,
    index: str,
    cache: Path,
    tags: list[Tag],
    limit: asyncio.Semaphore,
    refresh: bool,
) -> tuple[str, str, list[tuple[Dist, Path]], list[str]]:
    project, _, pinned = name.partition("==")
    meta_path = cache / "meta" / (f"{project}-{pinned}.json" if pinned else f"{project}.json")
    async with limit:
        if meta_path.exists() and not refresh:
            meta = json.loads(meta_path.read_text())
        else:
            response = await _get(client, f"{index}/pypi/{project}/json")
            response.raise_for_status()
            doc = response.json()
            # a pinned release's files from the project document's `releases` (the
            # per-version document is not served by every index)
            files = doc["releases"][pinned] if pinned else doc["urls"]
            meta = {
                "version": pinned or doc["info"]["version"],
                "dists": [asdict(d) for d in choose(files, tags, str(response.url))],
            }
            meta_path.parent.mkdir(parents=True, exist_ok=True)
            meta_path.write_text(json.dumps(meta, indent=1))
        got: list[tuple[Dist, Path]] = []
        skipped: list[str] = []
        for raw in meta["dists"]:
            dist = Dist(**raw)
            if dist.size > MAX_FILE_MB * 1024 * 1024:
                skipped.append(
                    f"{dist.filename}: {dist.size / 1e6:.0f} MB, over the {MAX_FILE_MB} MB cap"
                )
                continue
            target = cache / "files" / dist.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            await _download(client, dist, target)
            got.append((dist, target))
        if not meta["dists"]:
            skipped.append("no sdist and no wheel for this platform in the latest release")
        return name, meta["version"], got, skipped


async def fetch_all(
    names: list[str], index: str, cache: Path, concurrency: int, refresh: bool
) -> tuple[list[tuple[str, str, list[tuple[Dist, Path]], list[str]]], list[str]]:
    tags = list(sys_tags())
    limit = asyncio.Semaphore(concurrency)
    timeout = httpx.Timeout(60.0, connect=15.0)
    errors: list[str] = []
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        tasks = [fetch_one(client, n, index, cache, tags, limit, refresh) for n in names]
        results = []
        for done, coro in enumerate(asyncio.as_completed(tasks), start=1):
            try:
                results.append(await coro)
            except FetchError as exc:
                errors.append(str(exc))
            if done % 20 == 0 or done == len(tasks):
                print(f"  fetched {done}/{len(tasks)}", file=sys.stderr, flush=True)
    order = {n: i for i, n in enumerate(names)}
    results.sort(key=lambda r: order[r[0]])
    return results, errors


# --------------------------------------------------------------------------- report


def _finding_line(f: dict[str, Any]) -> str:
    where = f"{f['path']}:{f['line']}" if f["line"] else f["path"]
    excerpt = f"  | {f['excerpt']}" if f["excerpt"] else ""
    return f"      {f['severity']:<8} {f['id']:<18} {where}{excerpt}"


def _verdicts(subject: Subject) -> str:
    parts = [f"{a.kind}: {a.verdict or 'none'}" for a in subject.archives]
    parts += [f"skipped ({r})" for r in subject.skipped]
    return ", ".join(parts)


def report(
    subjects: list[Subject], wall: float, analysis: float, workers: int, only_malicious: bool
) -> bool:
    """Print the tables and the summary; True when every target is met."""
    benign = [s for s in subjects if not s.malicious]
    malicious = [s for s in subjects if s.malicious]
    if benign:
        print(f"\n== benign projects ({len(benign)}) ==")
        for s in benign:
            mark = "FP " if s.flagged else "   "
            print(f"{mark}{s.name + '==' + s.version:<48} {_verdicts(s)}")
    print(f"\n== malicious samples ({len(malicious)}) ==")
    for s in malicious:
        mark = "ok  " if s.flagged else "MISS"
        print(f"{mark} {s.title:<32} {s.name + '==' + s.version:<30} {_verdicts(s)}")

    fps = [s for s in benign if s.flagged]
    if benign:
        print(f"\n== false positives: benign projects with a high or critical verdict ({len(fps)})")
        for s in fps:
            for a in s.archives:
                if a.flagged:
                    print(f"  {s.name}=={s.version}  {a.filename}  verdict {a.verdict}")
                    for f in a.severe_findings():
                        print(_finding_line(f))
    misses = [s for s in malicious if not s.flagged]
    print(f"\n== malicious samples missed: some archive below high ({len(misses)})")
    for s in misses:
        for a in s.archives:
            print(f"  {s.name}=={s.version}  {a.filename}  verdict {a.verdict or 'none'}")
            for f in a.findings:
                print(_finding_line(f))

    tp = sum(s.flagged for s in malicious)
    fp = len(fps)
    recall = tp / len(malicious) if malicious else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    rate = fp / len(benign) if benign else 0.0
    archives = [a for s in subjects for a in s.archives]
    mb = sum(a.bytes_read for a in archives) / 1e6
    benign_mb = sum(a.bytes_read for s in benign for a in s.archives) / 1e6
    skipped = [(s.name, r) for s in benign for r in s.skipped]
    recall_ok = recall >= RECALL_TARGET
    benign_ok = only_malicious or rate <= BENIGN_TARGET
    classes = sorted({s.klass for s in malicious})
    if malicious:
        print("\n== recall per attack class (SAMPLE.md `class:`; 'other': the earlier samples)")
        for klass in classes:
            members = [s for s in malicious if s.klass == klass]
            caught = sum(s.flagged for s in members)
            print(f"  {klass:<16} {caught}/{len(members)}  {caught / len(members):.0%}")
    print("\n== summary")
    if not only_malicious:
        print(f"benign projects analysed:  {len(benign)} ({sum(len(s.archives) for s in benign)}"
              f" archives, {len(skipped)} archives skipped)")  # fmt: skip
        for name, reason in skipped:
            print(f"  skipped {name}: {reason}")
    print(f"malicious samples:         {len(malicious)} "
          f"({sum(len(s.archives) for s in malicious)} archives)")  # fmt: skip
    if not only_malicious:
        print(f"precision:                 {precision:.3f}  ({tp} TP, {fp} FP)")
    print(f"recall (malicious caught): {recall:.1%}  ({tp}/{len(malicious)})  target 100%  "
          f"{'met' if recall_ok else 'MISSED'}")  # fmt: skip
    if not only_malicious:
        print(f"benign high+ rate:         {rate:.1%}  ({fp}/{len(benign)})  target <= 0.3%  "
              f"{'met' if benign_ok else 'MISSED'}")  # fmt: skip
    print(f"uncompressed bytes read:   {mb:.1f} MB ({benign_mb:.1f} MB benign) in "
          f"{len(archives)} archives")  # fmt: skip
    print(f"analysis time:             {analysis:.1f} s ({workers} processes)")
    print(f"wall time:                 {wall:.1f} s")
    return recall_ok and benign_ok


# --------------------------------------------------------------------------- main


def analyse_all(jobs: list[tuple[Subject, str, str]], workers: int) -> float:
    """Analyse every (subject, path, kind) across `workers` processes; results are
    appended to the subjects in job order. Returns the seconds taken."""
    start = time.perf_counter()
    # largest first, so one big archive does not finish last on its own
    order = sorted(range(len(jobs)), key=lambda i: -os.path.getsize(jobs[i][1]))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {i: pool.submit(analyse, jobs[i][1], jobs[i][2]) for i in order}
        results = {i: f.result() for i, f in futures.items()}
    for i, (subject, _, _) in enumerate(jobs):
        subject.archives.append(results[i])
    return time.perf_counter() - start


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--index-url",
        default=os.environ.get("CHAINGATE_INDEX_URL") or DEFAULT_INDEX,
        help="index serving the JSON API at <url>/pypi/<name>/json "
        "(default: CHAINGATE_INDEX_URL, then https://pypi.org)",
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="download cache")
    parser.add_argument("--json", type=Path, help="write the full results to this file")
    parser.add_argument("--only-malicious", action="store_true", help="the samples only (offline)")
    parser.add_argument("--refresh", action="store_true", help="ask the index for new releases")
    parser.add_argument("--limit", type=int, help="only the first N benign projects")
    parser.add_argument(
        "--benign",
        type=int,
        choices=sorted(BENIGN_LISTS),
        default=200,
        help="benign set: the 200 (fast) or 1,000 most downloaded projects",
    )
    parser.add_argument(
        "--download-only", action="store_true", help="fill the cache, analyse nothing"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="parallel downloads")
    parser.add_argument("--workers", type=int, default=2, help="analysis processes")
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    subjects: list[Subject] = []
    jobs: list[tuple[Subject, str, str]] = []
    download_errors: list[str] = []
    if not args.only_malicious:
        names = read_benign(BENIGN_LISTS[args.benign])[: args.limit] + read_benign(PINNED)
        print(f"fetching {len(names)} projects from {args.index_url} into {args.cache}",
              file=sys.stderr)  # fmt: skip
        index = args.index_url.rstrip("/")
        fetched, download_errors = asyncio.run(
            fetch_all(names, index, args.cache, args.concurrency, args.refresh)
        )
        if args.download_only:
            for error in download_errors:
                print(f"download failed: {error}")
            print(f"fetched {len(fetched)} projects, {len(download_errors)} failed")
            return EXIT_DOWNLOAD_FAILED if download_errors else 0
        for name, version, dists, skipped in fetched:
            subject = Subject(name.partition("==")[0], version, malicious=False, skipped=skipped)
            subjects.append(subject)
            jobs += [(subject, str(path), dist.kind) for dist, path in dists]
    with tempfile.TemporaryDirectory(prefix="chaingate-eval-") as tmp:
        for sample in load_samples():
            subject = Subject(
                sample.name, sample.version, malicious=True, title=sample.key, klass=sample.klass
            )
            subjects.append(subject)
            for path in build(sample, Path(tmp) / sample.key):
                kind = "wheel" if path.suffix == ".whl" else "sdist"
                jobs.append((subject, str(path), kind))
        print(f"analysing {len(jobs)} archives with {args.workers} processes", file=sys.stderr)
        analysis = analyse_all(jobs, args.workers)
    wall = time.perf_counter() - start
    ok = report(subjects, wall, analysis, args.workers, args.only_malicious)
    for error in download_errors:
        print(f"download failed: {error}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "index": args.index_url,
                    "date": time.strftime("%Y-%m-%d", time.gmtime()),
                    "download_errors": download_errors,
                    "subjects": [
                        {
                            **{k: v for k, v in asdict(s).items() if k != "archives"},
                            "flagged": s.flagged,
                            "verdict": s.verdict,
                            "archives": [asdict(a) for a in s.archives],
                        }
                        for s in subjects
                    ],
                },
                indent=1,
            )
        )
    if download_errors:
        return EXIT_DOWNLOAD_FAILED
    return 0 if ok else EXIT_TARGET_MISSED


if __name__ == "__main__":
    raise SystemExit(main())
