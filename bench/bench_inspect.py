"""Benchmark: `chaingate inspect` on real package archives, and GuardDog on the same ones.

The corpus is 26 pinned sdists and wheels of popular projects (plus one 80 MB wheel, 202 MB
uncompressed, for the memory figure), downloaded once from the index into
~/.cache/chaingate-bench and checked against the sha256 written below. Every measurement runs
in a fresh Python process, so peak RSS (`ru_maxrss`) is that measurement's alone:

- sequential: `inspect_path` on each archive in turn, one process: per-archive seconds;
- parallel: `inspect_many(corpus, workers=N)`: wall time for the whole corpus, as MB/s of
  (a) every uncompressed byte of the archives' regular files and (b) the `.py` bytes alone;
- big: `inspect_path` on the big wheel: seconds and peak RSS;
- GuardDog (with `--guarddog PATH`): `guarddog pypi scan ARCHIVE --output-format json` per
  archive, timed as a whole process, with the rules it flagged.

    .venv/bin/python bench/bench_inspect.py [--workers 2] [--rounds 3]
        [--guarddog /tmp/guarddog-venv/bin/guarddog] [--no-big] [--json OUT]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from chaingate.ecosystems.pypi.artifacts import sha256_file

CACHE = Path.home() / ".cache" / "chaingate-bench"
INDEX = "https://pypi.org"

# (project, version, file name, sha256), pinned 2026-11-25 from the index's JSON API.
CORPUS = [
    ("requests", "2.34.2", "requests-2.34.2.tar.gz",
     "f288924cae4e29463698d6d60bc6a4da69c89185ad1e0bcc4104f584e960b9ed"),
    ("urllib3", "2.8.0", "urllib3-2.8.0-py3-none-any.whl",
     "0cf3cae568d36aa9576b28dfb35f11328f1cb974ca7647d9475ebb86c75ac6e3"),
    ("pyyaml", "6.0.4", "pyyaml-6.0.4.tar.gz",
     "e24bf71af8a432d7808fabff134d38dfe16d3cbb41f2873bb4b1e42422de0a1a"),
    ("boto3", "1.44.8", "boto3-1.44.8-py3-none-any.whl",
     "099caf21553bbbfef118904aa02fadb8776a534704cf00bede0ed9f29a4da88e"),
    ("botocore", "1.44.8", "botocore-1.44.8-py3-none-any.whl",
     "76342a76c338701db80dcb8afe1c9bd079283d6fffbb9d881442abb02a215043"),
    ("setuptools", "84.2.1", "setuptools-84.2.1.tar.gz",
     "3ff8b3b5492a0aa66960f4419365a86b84e013070d4313e4d4a6894f5d64d6bc"),
    ("pip", "26.3", "pip-26.3.tar.gz",
     "6c36ae7da8695be67e3cd9f7d87919667ced53f57ce2ede75d89b5912ed2bc4c"),
    ("numpy", "2.5.5", "numpy-2.5.5.tar.gz",
     "5cddc243c75114ba845f01b1f87aca1572dbf7b6c2d88636ed3e1d2bccd7f1bf"),
    ("pandas", "3.1.1",
     "pandas-3.1.1-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
     "4f1602f614bb83f443381dbcbb94c4ac764b2e50c8d6c965614c5cd83e328c47"),
    ("django", "6.1.3", "django-6.1.3.tar.gz",
     "b5d2d9e35295065d13b1927b3f19a59bd119f737aa6299def14ccca1ae3c8c0d"),
    ("sqlalchemy", "2.1.9", "sqlalchemy-2.1.9.tar.gz",
     "d700a8b2edfb26282a470333d6bc4a454c4acda4d201a3bea7b72fa76c217d28"),
    ("cryptography", "50.0.2", "cryptography-50.0.2.tar.gz",
     "7b46165bb56eb4704e2eaaf86f3c940d19154535d9b0ca7d6d590b04060e00d5"),
    ("pydantic", "2.14.4", "pydantic-2.14.4-py3-none-any.whl",
     "653a2ad9f6d8858529c77c72717d0ea991d6c6837fe683246b2f4b2bbfc3fadc"),
    ("rich", "15.0.0", "rich-15.0.0-py3-none-any.whl",
     "33bd4ef74232fb73fe9279a257718407f169c09b78a87ad3d296f548e27de0bb"),
    ("pygments", "2.21.0", "pygments-2.21.0-py3-none-any.whl",
     "2363c69b61c4a97c838da3b130dcd6468f4848992b21a82f2a63ec34377137d9"),
    ("jinja2", "3.1.6", "jinja2-3.1.6-py3-none-any.whl",
     "85ece4451f492d0c13c5dd7c13a64681a86afae63a5f347908daf103ce6d2f67"),
    ("aiohttp", "3.14.5", "aiohttp-3.14.5.tar.gz",
     "5558a7f5a05af9ecf744af91e5baefc436f93c9333e656c27ec253f9a6bbe178"),
    ("flask", "3.1.3", "flask-3.1.3.tar.gz",
     "0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb"),
    ("click", "8.5.1", "click-8.5.1-py3-none-any.whl",
     "8bb5376d2006950386f8c6427613334a2acadc5f559cb80e638d00b4df957e37"),
    ("attrs", "26.1.0", "attrs-26.1.0-py3-none-any.whl",
     "c647aa4a12dfbad9333ca4e71fe62ddc36f4e63b2d260a37a8b83d2f043ac309"),
    ("packaging", "26.3", "packaging-26.3.tar.gz",
     "94edc256424af38762eb31306eed28beb9f0efc50a8837492c9d6fd6004aed79"),
    ("six", "1.17.0", "six-1.17.0.tar.gz",
     "ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81"),
    ("httpx", "0.28.1", "httpx-0.28.1-py3-none-any.whl",
     "d909fcccc110f8c7faf814ca82a9a4d816bc5a6dbfea25d6591d6985b8ba59ad"),
    ("sympy", "1.14.0", "sympy-1.14.0-py3-none-any.whl",
     "e091cc3e99d2141a0ba2847328f5479b05d94a6635cb96148ccb3f34671bd8f5"),
    ("networkx", "3.7", "networkx-3.7-py3-none-any.whl",
     "e3fd2c13a7814cee3746340d8d7f8598a67f16a58bf47fb7f8793fab6efca1b0"),
    ("matplotlib", "3.11.2", "matplotlib-3.11.2.tar.gz",
     "cec596316640f2b394b8f0daa0ea61a8eae82d017b620b9f202befb972a59ea4"),
]  # fmt: skip
# An 80 MB platform wheel (202 MB uncompressed: 2,810 files, 28 MB of them .py, native
# members up to 44 MB) for the peak-memory figure. (catboost's 97 MB wheel would be the closer
# size, but its 277 MB extension module is over Limits.max_file_bytes: refused unread.)
BIG = (
    "ray",
    "2.60.0",
    "ray-2.60.0-cp311-cp311-manylinux2014_x86_64.whl",
    "e227f6b2af8ab4626dd9a35a5860b33864325ea137383d57f854d4637ee3fea2",
)

# --------------------------------------------------------------------------- corpus


def fetch(project: str, version: str, filename: str, sha256: str, client: httpx.Client) -> Path:
    """The archive from the cache, downloaded (and sha256-checked) on first use."""
    path = CACHE / filename
    if path.exists() and sha256_file(path) == sha256:
        return path
    doc_url = f"{INDEX}/pypi/{project}/json"
    doc = client.get(doc_url).raise_for_status().json()
    files = doc.get("releases", {}).get(version) or doc["urls"]
    entries = [f for f in files if f["filename"] == filename]
    if not entries:
        raise SystemExit(f"{filename}: not listed by {doc_url}")
    entry = entries[0]
    url = urljoin(doc_url, entry["url"])  # a mirror may answer with relative URLs
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    h = hashlib.sha256()
    with client.stream("GET", url) as r, partial.open("wb") as out:
        r.raise_for_status()
        for chunk in r.iter_bytes(1 << 20):
            h.update(chunk)
            out.write(chunk)
    if h.hexdigest() != sha256:
        partial.unlink()
        raise SystemExit(f"{filename}: sha256 {h.hexdigest()} does not match the pinned {sha256}")
    partial.replace(path)
    return path


def sizes(path: Path) -> tuple[int, int, int]:
    """(regular files, all uncompressed bytes, .py bytes) of an archive, from its headers."""
    from chaingate.analysis.archive.extract import open_archive

    with open_archive(path) as archive:
        files = [m for m in archive.members() if m.is_file]
    return (
        len(files),
        sum(m.size for m in files),
        sum(m.size for m in files if m.name.endswith(".py")),
    )


# --------------------------------------------------------------------------- measurements

# Each runs as `python -c CODE ARGS...` and prints one JSON object on its last line.
_SEQUENTIAL = r"""
import json, resource, sys, time
from pathlib import Path
from chaingate.analysis.inspect import inspect_path
out = []
for arg in sys.argv[1:]:
    t = time.perf_counter()
    r = inspect_path(Path(arg))
    out.append({
        "archive": Path(arg).name, "seconds": time.perf_counter() - t,
        "verdict": r.verdict.label if r.verdict is not None else "none",
        "findings": [[f.id, f.severity.label, f.path, f.line] for f in r.findings],
    })
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"results": out, "max_rss_kib": rss}))
"""

_PARALLEL = r"""
import json, resource, sys, time
from pathlib import Path
from chaingate.analysis.archive.pool import inspect_many
workers = int(sys.argv[1])
targets = [Path(a) for a in sys.argv[2:]]
t = time.perf_counter()
results = inspect_many(targets, workers=workers)
seconds = time.perf_counter() - t
print(json.dumps({
    "seconds": seconds,
    "verdicts": [r.verdict.label if r.verdict is not None else "none" for r in results],
    "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "max_child_rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def _child(code: str, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"measurement failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_guarddog(binary: str, archive: Path) -> dict[str, Any]:
    """One `guarddog pypi scan` process: wall seconds and the rules that matched."""
    t = time.perf_counter()
    proc = subprocess.run(
        [binary, "pypi", "scan", str(archive), "--output-format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t
    rules: dict[str, int] = {}
    error = risk = None
    try:
        start = proc.stdout.index("{")
        doc = json.loads(proc.stdout[start:])
        for rule, hits in (doc.get("results") or {}).items():
            n = len(hits) if isinstance(hits, list | dict) else int(bool(hits))
            if n:
                rules[rule] = n
        if doc.get("errors"):
            error = "; ".join(f"{k}: {str(v)[:80]}" for k, v in doc["errors"].items())
        score = doc.get("risk_score") or {}
        risk = f"{score.get('label', '?')} ({score.get('score', '?')})"
    except (ValueError, AttributeError) as exc:
        error = f"no JSON report (exit {proc.returncode}): {exc}: {proc.stderr[-300:]}"
    return {
        "seconds": seconds,
        "rules": rules,
        "risk": risk,
        "error": error,
        "exit": proc.returncode,
    }


# --------------------------------------------------------------------------- main


def _mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="parallel runs (median kept)")
    parser.add_argument("--guarddog", help="path to a guarddog binary (own virtualenv)")
    parser.add_argument("--no-big", action="store_true", help="skip the ~100 MB wheel")
    parser.add_argument("--json", type=Path, help="write every figure here as JSON")
    args = parser.parse_args()

    with httpx.Client(timeout=120, follow_redirects=True) as client:
        archives = [fetch(*entry, client) for entry in CORPUS]
        big = None if args.no_big else fetch(*BIG, client)
    counts = {a.name: sizes(a) for a in archives}
    all_bytes = sum(c[1] for c in counts.values())
    py_bytes = sum(c[2] for c in counts.values())
    compressed = sum(a.stat().st_size for a in archives)
    print(
        f"corpus: {len(archives)} archives, {_mb(compressed)} compressed, "
        f"{sum(c[0] for c in counts.values())} files, {_mb(all_bytes)} uncompressed "
        f"of which {_mb(py_bytes)} .py"
    )

    seq = _child(_SEQUENTIAL, *map(str, archives))
    rows: list[dict[str, Any]] = seq["results"]
    times = [float(r["seconds"]) for r in rows]
    print(f"\nsequential, one process (peak RSS {int(seq['max_rss_kib']) // 1024} MB):")
    print(f"  {'archive':<76} {'MB':>6} {'.py MB':>6} {'s':>6} {'MB/s':>6}  verdict")
    for r in rows:
        name = str(r["archive"])
        _, total, py = counts[name]
        s = float(r["seconds"])
        print(
            f"  {name:<76} {total / 1e6:6.1f} {py / 1e6:6.1f} {s:6.2f} "
            f"{total / 1e6 / s:6.1f}  {r['verdict']}"
        )
    print(
        f"  total {sum(times):.2f} s; per archive median {statistics.median(times):.2f} s, "
        f"max {max(times):.2f} s; one core: {all_bytes / 1e6 / sum(times):.1f} MB/s all, "
        f"{py_bytes / 1e6 / sum(times):.1f} MB/s .py"
    )

    par_runs = [
        _child(_PARALLEL, str(args.workers), *map(str, archives)) for _ in range(args.rounds)
    ]
    par_s = statistics.median(float(p["seconds"]) for p in par_runs)
    par_rss = max(int(p["max_child_rss_kib"]) for p in par_runs)
    print(
        f"\nparallel, inspect_many(workers={args.workers}), {args.rounds} runs: "
        + ", ".join(f"{float(p['seconds']):.2f} s" for p in par_runs)
        + f"\n  median {par_s:.2f} s = {all_bytes / 1e6 / par_s:.1f} MB/s of all uncompressed "
        f"bytes, {py_bytes / 1e6 / par_s:.1f} MB/s of .py source; "
        f"peak RSS of a worker {par_rss // 1024} MB"
    )

    big_row: dict[str, Any] | None = None
    if big is not None:
        n, total, py = sizes(big)
        b = _child(_SEQUENTIAL, str(big))
        (big_row,) = b["results"]
        print(
            f"\nbig wheel {big.name}: {_mb(big.stat().st_size)} compressed, {n} files, "
            f"{_mb(total)} uncompressed ({_mb(py)} .py): {float(big_row['seconds']):.2f} s, "
            f"peak RSS {int(b['max_rss_kib']) // 1024} MB, verdict {big_row['verdict']}"
        )

    gd: dict[str, dict[str, Any]] = {}
    if not args.guarddog:
        print("\nGuardDog: skipped (pass --guarddog PATH to a guarddog binary)")
    elif not os.access(args.guarddog, os.X_OK):
        print(f"\nGuardDog: skipped ({args.guarddog} is not an executable)")
    else:
        print(f"\nGuardDog ({args.guarddog} pypi scan ARCHIVE --output-format json):")
        for a in archives:
            gd[a.name] = run_guarddog(args.guarddog, a)
        g_times = [float(g["seconds"]) for g in gd.values()]
        for r in rows:
            g = gd[str(r["archive"])]
            rules = g["rules"]
            assert isinstance(rules, dict)
            flagged = ", ".join(f"{k}x{v}" for k, v in sorted(rules.items())) or "-"
            print(
                f"  {r['archive']!s:<76} {float(g['seconds']):6.2f} s  risk {g['risk']}; "
                f"{len(rules)} rules, {sum(rules.values())} hits: {flagged}"
                + (f"  [error: {g['error']}]" if g["error"] else "")
                + f"  | chaingate: {r['verdict']}"
            )
        print(
            f"  total {sum(g_times):.1f} s; per archive median {statistics.median(g_times):.2f} s, "
            f"max {max(g_times):.2f} s = {all_bytes / 1e6 / sum(g_times):.2f} MB/s one at a time"
        )

    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "counts": counts,
                    "sequential": seq,
                    "parallel": par_runs,
                    "big": big_row,
                    "guarddog": gd,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
