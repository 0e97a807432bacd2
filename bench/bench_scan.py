"""Benchmark: `chaingate scan` of a ~150-package lock, cold and warm, against the floor.

The floor is the time to just download the same JSON documents at the same concurrency
with a bare httpx client (no parsing, no cache, no database), measured two ways:

- in-process: timed inside this script, so it pays no interpreter start-up or imports;
- as a process: `python -c "import httpx ..."` run as a subprocess, timed like the scan
  (interpreter start-up, the httpx import and the download).

With `curl` on the PATH, the same documents are also fetched by `curl --parallel` at the
same concurrency: the network's own floor, without Python's per-read costs.

Cold and warm are the whole command, `chaingate scan LOCK --no-resolve --format json`, run
as a subprocess (Python start-up, imports, parsing, signals, database and report included):
cold with an empty cache and database, warm right after with both kept. Rounds interleave
the floors and the scans so network drift hits them alike; medians are reported. Peak
memory is the largest max RSS among the scan's processes (the command and its helpers).

    .venv/bin/python bench/bench_scan.py [--lock bench/lock150/uv.lock] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from chaingate.inventory.build import build_inventory
from chaingate.inventory.interface import Origin
from chaingate.registry.pypi import IndexUrls

ROOT = Path(__file__).resolve().parent.parent


def document_urls(lock: Path, index: str) -> list[str]:
    inv = build_inventory(lock, resolve_deps=False, index_url=index)
    urls = IndexUrls.parse(index)
    names = sorted({p.name for p in inv.packages if p.origin is Origin.REGISTRY})
    return [urls.project_json(n) for n in names]


async def _download(urls: list[str], concurrency: int) -> int:
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    total = 0
    async with httpx.AsyncClient(
        limits=limits, timeout=60, headers={"Accept-Encoding": "gzip"}
    ) as c:

        async def one(url: str) -> None:
            nonlocal total
            async with sem:
                r = await c.get(url)
                total += len(r.content)

        await asyncio.gather(*(one(u) for u in urls))
    return total


def floor(urls: list[str], concurrency: int) -> tuple[float, int]:
    t = time.perf_counter()
    size = asyncio.run(_download(urls, concurrency))
    return time.perf_counter() - t, size


# The floor as a program of its own: the download above and nothing else.
FLOOR_PROGRAM = """
import asyncio, sys
import httpx

async def main(urls, concurrency):
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        limits=limits, timeout=60, headers={"Accept-Encoding": "gzip"}
    ) as c:
        async def one(url):
            async with sem:
                r = await c.get(url)
                r.raise_for_status()
                return len(r.content)
        return sum(await asyncio.gather(*(one(u) for u in urls)))

print(asyncio.run(main(sys.stdin.read().split(), int(sys.argv[1]))))
"""


def process_floor(urls: list[str], concurrency: int) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", FLOOR_PROGRAM, str(concurrency)],
        input="\n".join(urls).encode(),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def curl_floor(urls: list[str], concurrency: int) -> float | None:
    curl = shutil.which("curl")
    if curl is None:
        return None
    config = "".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls)
    t = time.perf_counter()
    subprocess.run(
        [curl, "-sS", "--fail", "--parallel", "--parallel-max", str(concurrency), "-K", "-"],
        input=config.encode(),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def run_scan(
    lock: Path, cache: Path, db: Path, index: str, concurrency: int
) -> tuple[float, int, dict[str, object]]:
    """Wall time, peak RSS (KiB) and the JSON report of one `chaingate scan` subprocess."""
    cmd = [
        str(Path(sys.executable).with_name("chaingate")),
        "scan",
        str(lock),
        "--no-resolve",
        "--format",
        "json",
        "--index-url",
        index,
        "--cache-dir",
        str(cache),
        "--db",
        f"sqlite:///{db}",
        "--concurrency",
        str(concurrency),
        "--fail-on",
        "critical",
    ]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"scan failed ({proc.returncode}): {err.read().decode()[-2000:]}")
        return wall, usage.ru_maxrss, json.loads(out.read())


# What the scan's own process imports (the store's SQLAlchemy is imported by its helper
# process, not by the command).
IMPORTS = (
    "import chaingate.cli, chaingate.scan, chaingate.inventory.build, chaingate.registry.http, "
    "chaingate.report.json, chaingate.signals.registry, chaingate.signals.typosquat, click, "
    "httpx; chaingate.signals.registry.load_all()"
)


def startup() -> float:
    """Wall time of a Python process that only imports what a scan imports: the part of a
    warm scan that is interpreter start-up and library imports, not chaingate's work."""
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORTS], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lock", type=Path, default=ROOT / "bench" / "lock150" / "uv.lock")
    ap.add_argument("--index", default="https://pypi.org")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()

    urls = document_urls(args.lock, args.index)
    print(f"lock: {args.lock} ({len(urls)} registry packages), index {args.index}")
    floors, pfloors, cfloors, colds, warms = [], [], [], [], []
    peak = 0
    report: dict[str, object] = {}
    for i in range(args.rounds):
        f, size = floor(urls, args.concurrency)
        floors.append(f)
        pf = process_floor(urls, args.concurrency)
        pfloors.append(pf)
        cf = curl_floor(urls, args.concurrency)
        if cf is not None:
            cfloors.append(cf)
        with tempfile.TemporaryDirectory() as tmp:
            cache, db = Path(tmp) / "cache", Path(tmp) / "store.db"
            cold, peak_c, report = run_scan(args.lock, cache, db, args.index, args.concurrency)
            warm, peak_w, _ = run_scan(args.lock, cache, db, args.index, args.concurrency)
        colds.append(cold)
        warms.append(warm)
        peak = max(peak, peak_c, peak_w)
        curl = f", curl {cf:.2f} s" if cf is not None else ""
        print(
            f"round {i + 1}: floor {f:.2f} s ({size / 1e6:.1f} MB), as a process {pf:.2f} s"
            f"{curl}; cold {cold:.2f} s, warm {warm:.2f} s"
        )
    mf, mp, mc, mw = (statistics.median(x) for x in (floors, pfloors, colds, warms))
    summary = report.get("summary", {})
    print()
    print(f"packages in report: {summary}")  # type: ignore[union-attr]
    print(f"floor, in-process (median):    {mf:.2f} s")
    print(f"floor, as a process (median):  {mp:.2f} s")
    if cfloors:
        print(f"network floor, curl (median):  {statistics.median(cfloors):.2f} s")
    print(f"cold scan (median):            {mc:.2f} s")
    print(f"  = {mc / mf:.2f}x the in-process floor, {mc / mp:.2f}x the process floor (target 1.5)")
    print(f"warm scan (median):            {mw:.2f} s  (target <= 0.5 s)")
    print(f"peak memory (max RSS):         {peak / 1024:.0f} MB (target <= 300 MB)")
    base = startup()
    print(f"start-up (interpreter + imports): {base:.2f} s; warm minus start-up: {mw - base:.2f} s")


if __name__ == "__main__":
    main()
