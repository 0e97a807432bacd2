"""Compare the reports of two chaingate versions on the same projects, judged on the same
registry documents: the "behaviour unchanged" check of the engine issue (issue 11).

    .venv/bin/python scripts/compare_reports.py                  # c4ec99d vs the working tree
    .venv/bin/python scripts/compare_reports.py --base REV --head REV2 --target DIR \\
        --format json --format sarif --recordings /tmp/docs

The base revision is exported with `git archive` (the repository's worktree list is left
alone) and installed into a venv kept under `$XDG_CACHE_HOME/chaingate-compare/venvs/<commit>`,
so the next run reuses it. The head is the working tree, run with this interpreter and
`src/` first on `PYTHONPATH` (or a second revision, installed like the base).

Both versions scan each target (default: examples/webapp and bench/lock150) through a
recording proxy on 127.0.0.1 in front of https://pypi.org: the base run asks the real index
and the proxy keeps every answer, the head run gets the very same answers. (A shared HTTP
cache with `--offline` would not do: the cache keeps no registry body, only the facts derived
from it, under a key that changes whenever the facts format does.) Each run has its own empty
cache directory and SQLite database and the same pinned `--now`, so time-dependent findings
agree and each version derives its facts itself.

The JSON and SARIF documents are then compared: keys that exist only in head are added
fields, reported once per path (`packages[].ecosystem`); timing fields (`scanned_at`,
SARIF's `startTimeUtc`/`endTimeUtc`, the wall-clock "checked HH:MM UTC" in an unavailable
check's reason) are dropped; everything else must be equal. Markdown (`--format markdown`) is
compared line by line, clock times aside. DNS and RDAP are not recorded: each run asks them
itself (here both are unavailable, so both runs say so).

Exit 0 when every pair is identical but for added fields, 1 on any difference (each printed
with its path, base value and head value), 2 when an install or a run fails.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "c4ec99d"  # the last commit before the engine issue's work
DEFAULT_TARGETS = ("examples/webapp", "bench/lock150")
DEFAULT_FORMATS = ("json", "sarif")
# Paths whose values are times of the run, not results ("[]" stands for any list index).
TIMING = {
    "json": {"scanned_at"},
    "sarif": {"runs[].invocations[].startTimeUtc", "runs[].invocations[].endTimeUtc"},
    "markdown": set(),
}
# Wall-clock times inside text: an unavailable source says when it was checked (the real
# time, not --now), and the base and head runs happen seconds apart.
CLOCK_IN_TEXT = re.compile(r"\(checked \d\d:\d\d UTC;")
SUFFIX = {"json": "json", "sarif": "sarif", "markdown": "md"}


# --- the two versions -------------------------------------------------------------------


@dataclass
class Version:
    label: str  # what the output calls it: "c4ec99d", "working tree"
    command: list[str]  # argv prefix that runs `chaingate`
    env: dict[str, str] = field(default_factory=dict)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def venv_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "chaingate-compare" / "venvs"


def installed(rev: str) -> Version:
    """A revision installed (non-editable) into a venv keyed by its commit; built once."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    venv = venv_cache() / commit
    exe = venv / "bin" / "chaingate"
    marker = venv / ".chaingate-compare-installed"
    if not marker.exists():
        shutil.rmtree(venv, ignore_errors=True)
        print(f"installing {commit[:12]} into {venv} ...", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="chaingate-src-") as src:
            tar = subprocess.run(
                ["git", "archive", "--format=tar", commit], cwd=ROOT, check=True,
                capture_output=True,
            ).stdout  # fmt: skip
            with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
                archive.extractall(src, filter="data")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", src], capture_output=True, text=True
            )
            if pip.returncode != 0:
                sys.stderr.write(f"{pip.stdout}{pip.stderr}could not install {commit[:12]}\n")
                raise SystemExit(2)
        marker.write_text(commit + "\n")
    return Version(commit[:12], [str(exe)])


def working_tree() -> Version:
    """The working tree as it is, uncommitted changes included, run by this interpreter."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return Version("working tree", [sys.executable, "-m", "chaingate"], {"PYTHONPATH": path})


# --- the recording proxy ----------------------------------------------------------------


class Recorder:
    """Answers from the upstream index, each (path, Accept) asked upstream once and the
    answer replayed ever after; kept in `directory` too when given, for the next run."""

    def __init__(self, upstream: str, directory: Path | None) -> None:
        self.upstream = upstream.rstrip("/")
        self.directory = directory
        self.answers: dict[str, tuple[int, str, bytes]] = {}
        self.locks: dict[str, threading.Lock] = {}
        self.guard = threading.Lock()
        self.upstream_requests = 0
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    def _file(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / hashlib.sha256(key.encode()).hexdigest()

    def answer(self, path: str, accept: str) -> tuple[int, str, bytes]:
        key = f"{accept} {path}"
        with self.guard:
            lock = self.locks.setdefault(key, threading.Lock())
        with lock:
            if key in self.answers:
                return self.answers[key]
            kept = self._file(key)
            if kept is not None and kept.exists():
                head, _, body = kept.read_bytes().partition(b"\n")
                status, content_type = json.loads(head)
                self.answers[key] = (status, content_type, body)
                return self.answers[key]
            got = self._ask(path, accept)
            self.answers[key] = got
            if kept is not None:
                kept.write_bytes(json.dumps(got[:2]).encode() + b"\n" + got[2])
            return got

    def _ask(self, path: str, accept: str) -> tuple[int, str, bytes]:
        request = urllib.request.Request(
            self.upstream + path,
            headers={"Accept": accept, "User-Agent": "chaingate-compare-reports"},
        )
        failure = ""
        for attempt in range(4):
            with self.guard:
                self.upstream_requests += 1
            try:
                with urllib.request.urlopen(request, timeout=60) as resp:
                    return resp.status, resp.headers.get("content-type", ""), resp.read()
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return exc.code, exc.headers.get("content-type", ""), exc.read()
                failure = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                failure = str(exc)
            time.sleep(0.5 * 2**attempt)
        # Kept like any answer: both versions must see the same failure.
        return 502, "text/plain", f"upstream failed: {failure}".encode()


def serve(recorder: Recorder) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status, content_type, body = recorder.answer(self.path, self.headers["Accept"] or "")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# --- running and comparing --------------------------------------------------------------


def scan(version: Version, target: Path, fmt: str, index: str, now: str, work: Path) -> str:
    """One report; the version's cache directory is shared by its runs, the database is not."""
    slug = hashlib.sha256(version.label.encode()).hexdigest()[:8]
    out = work / f"{slug}-{target.name}.{SUFFIX[fmt]}"
    db = work / f"{slug}-{target.name}-{fmt}.db"
    argv = [*version.command, "scan", str(target), "--format", fmt, "--output", str(out)]
    argv += ["--index-url", index, "--db", f"sqlite:///{db}", "--now", now]
    argv += ["--cache-dir", str(work / f"{slug}-cache")]
    env = {**os.environ, **version.env}
    env.pop("CHAINGATE_CACHE_DIR", None)
    env.pop("CHAINGATE_DB", None)
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if proc.returncode not in (0, 1, 3) or not out.exists():
        sys.stderr.write(
            f"{proc.stderr}{version.label}: `{' '.join(argv)}` exited {proc.returncode}\n"
        )
        raise SystemExit(2)
    print(f"  {version.label}: {fmt} in {took:.1f} s (exit {proc.returncode})")
    return out.read_text(encoding="utf-8")


@dataclass
class Comparison:
    timing: set[str]
    added: dict[str, None] = field(default_factory=dict)  # ordered set of key paths
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)

    def walk(self, base: Any, head: Any, path: str, pattern: str) -> None:
        if pattern in self.timing:
            return
        if isinstance(base, dict) and isinstance(head, dict):
            for key in base:
                sub, subpattern = _join(path, key), _join(pattern, key)
                if key not in head:
                    if subpattern not in self.timing:
                        self.differences.append((sub, base[key], "<missing>"))
                else:
                    self.walk(base[key], head[key], sub, subpattern)
            for key in head:
                if key not in base:
                    self.added.setdefault(_join(pattern, key))
        elif isinstance(base, list) and isinstance(head, list):
            for i, (b, h) in enumerate(zip(base, head, strict=False)):
                self.walk(b, h, f"{path}[{i}]", f"{pattern}[]")
            for i in range(len(head), len(base)):
                self.differences.append((f"{path}[{i}]", base[i], "<missing>"))
            for i in range(len(base), len(head)):
                self.differences.append((f"{path}[{i}]", "<missing>", head[i]))
        elif isinstance(base, str) and isinstance(head, str):
            if _unclocked(base) != _unclocked(head):
                self.differences.append((path or "<document>", base, head))
        elif base != head or type(base) is not type(head):
            self.differences.append((path or "<document>", base, head))


def _unclocked(text: str) -> str:
    return CLOCK_IN_TEXT.sub("(checked HH:MM UTC;", text)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any, width: int = 160) -> str:
    text = value if value in ("<missing>",) else json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def _summary(fmt: str, text: str) -> str:
    if fmt == "json":
        doc = json.loads(text)
        return (
            f"{len(doc.get('packages', []))} packages, {len(doc.get('findings', []))} "
            f"findings, {len(doc.get('incomplete', []))} incomplete"
        )
    if fmt == "sarif":
        return f"{sum(len(r.get('results', [])) for r in json.loads(text)['runs'])} results"
    return f"{text.count(chr(10))} lines"


def compare(fmt: str, base: str, head: str, limit: int) -> bool:
    """Print how `head` differs from `base`; True when they agree but for added fields."""
    if fmt == "markdown":
        diff = list(
            difflib.unified_diff(
                _unclocked(base).splitlines(),
                _unclocked(head).splitlines(),
                "base",
                "head",
                lineterm="",
                n=1,
            )
        )
        for line in diff[:limit]:
            print(f"    {line}")
        print(f"    {'identical' if not diff else f'{len(diff)} diff lines'}")
        return not diff
    result = Comparison(TIMING[fmt])
    result.walk(json.loads(base), json.loads(head), "", "")
    print(f"    dropped timing fields: {', '.join(sorted(TIMING[fmt])) or 'none'}; clock times")
    print(f"    added fields (head only): {', '.join(result.added) or 'none'}")
    if not result.differences:
        print("    identical otherwise")
        return True
    print(f"    {len(result.differences)} differences:")
    for path, b, h in result.differences[:limit]:
        print(f"      {path}\n        base: {_show(b)}\n        head: {_show(h)}")
    if len(result.differences) > limit:
        print(f"      ... and {len(result.differences) - limit} more (--limit)")
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="git revision (default %(default)s)")
    parser.add_argument("--head", help="git revision (default: the working tree)")
    parser.add_argument("--target", action="append", help="a project to scan (repeatable)")
    parser.add_argument(
        "--format", action="append", choices=sorted(TIMING), help="repeatable (json, sarif)"
    )
    parser.add_argument("--now", help="the pinned --now of both runs (default: this moment)")
    parser.add_argument("--upstream", default="https://pypi.org", help="the index recorded")
    parser.add_argument("--recordings", type=Path, help="keep/reuse the recorded documents here")
    parser.add_argument("--limit", type=int, default=40, help="differences shown per report")
    parser.add_argument("--keep", type=Path, help="copy the reports (and their runs' files) here")
    args = parser.parse_args(argv)
    targets = [ROOT / t for t in (args.target or DEFAULT_TARGETS)]
    formats = args.format or list(DEFAULT_FORMATS)
    now = args.now or datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    base = installed(args.base)
    head = installed(args.head) if args.head else working_tree()
    recorder = Recorder(args.upstream, args.recordings)
    server, index = serve(recorder)
    print(f"base {base.label}, head {head.label}; --now {now}; {args.upstream} via {index}")
    agree = True
    try:
        with tempfile.TemporaryDirectory(prefix="chaingate-compare-") as tmp:
            for target in targets:
                for fmt in formats:
                    name = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
                    print(f"{name} ({fmt})")
                    work = Path(tmp)
                    old = scan(base, target, fmt, index, now, work)
                    new = scan(head, target, fmt, index, now, work)
                    print(f"    base: {_summary(fmt, old)}; head: {_summary(fmt, new)}")
                    agree &= compare(fmt, old, new, args.limit)
                if args.keep:
                    shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
    finally:
        server.shutdown()
    print(f"{recorder.upstream_requests} upstream requests, {len(recorder.answers)} documents")
    print("IDENTICAL except added fields" if agree else "DIFFERENT")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
