"""Benchmark: `chaingate scan` of a ~150-package lock, cold and warm, against the floor.

The floor is the time to just download the same JSON documents at the same concurrency
with a bare httpx client (no parsing, no cache, no database), measured two ways:

- in-process: timed inside this script, so it pays no interpreter start-up or imports;
- as a process: `python -c "import httpx ..."` run as a subprocess, timed like the scan
  (interpreter start-up, the httpx import and the download).

With `curl` on the PATH, the same documents are also fetched by `curl --parallel` at the
same concurrency: the network's own floor, without Python's per-read costs.

chaingate's modules are byte-compiled first, as a wheel install does. Cold and warm are the
whole command, `chaingate scan LOCK --no-resolve --format json`, run
as a subprocess (Python start-up, imports, parsing, signals, database and report included):
cold with an empty cache and database, warm right after with both kept. Rounds interleave
the floors and the scans so network drift hits them alike; medians are reported. Peak
memory is watched in three more cold scans through /proc: the largest process, and all of
the scan's processes together at their fullest moment (one since the engine issue: the
fetch-helper and store-worker processes are gone).

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

from chaingate.core.inventory import Origin
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.inventory.build import build_inventory

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


def scan_command(lock: Path, cache: Path, db: Path, index: str, concurrency: int) -> list[str]:
    return [
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


def run_scan(
    lock: Path, cache: Path, db: Path, index: str, concurrency: int
) -> tuple[float, dict[str, object]]:
    """Wall time and the JSON report of one `chaingate scan` subprocess."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.run(
            scan_command(lock, cache, db, index, concurrency), stdout=out, stderr=err
        )
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"scan failed ({proc.returncode}): {err.read().decode()[-2000:]}")
        return wall, json.loads(out.read())


def run_scan_in_process(
    lock: Path, cache: Path, db: Path, index: str, concurrency: int
) -> tuple[float, dict[str, object]]:
    """The same command run inside this process (`chaingate.cli.app`, stdout captured):
    everything the scan does, without interpreter start-up and module imports, which the
    in-process floor does not pay either."""
    import contextlib
    import io

    from chaingate.cli import app

    out = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = app.main(
            scan_command(lock, cache, db, index, concurrency)[1:], standalone_mode=False
        )
    wall = time.perf_counter() - t
    if code not in (None, 0, 1):
        raise SystemExit(f"in-process scan failed ({code})")
    return wall, json.loads(out.getvalue())


def _session_memory(session: int) -> tuple[dict[int, int], int]:
    """For every process of `session`: its peak RSS so far (VmHWM, KiB); and the sum of
    their current RSS (KiB)."""
    peaks, total = {}, 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[3]) != session:
                continue
            fields = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{entry}/status").read_text().splitlines()
            )
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if "VmHWM" in fields:
            peaks[int(entry)] = int(fields["VmHWM"].split()[0])
            total += int(fields["VmRSS"].split()[0])
    return peaks, total


def memory(lock: Path, cache: Path, db: Path, index: str, concurrency: int) -> tuple[int, int]:
    """One scan, untimed, watched every 5 ms through /proc (Linux): the largest peak RSS of
    any of its processes (the command and its helpers) and the largest sum of their RSS at
    one moment, both in KiB. (The rusage of a child is no good here: a child forked from
    this process, which holds the floor's documents, inherits its high-water mark.)"""
    proc = subprocess.Popen(
        scan_command(lock, cache, db, index, concurrency),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    largest = together = 0
    while proc.poll() is None:
        peaks, total = _session_memory(proc.pid)
        largest = max(largest, *peaks.values(), 0)
        together = max(together, total)
        time.sleep(0.005)
    return largest, together


def imports_of(command: list[str]) -> str:
    """Python code that imports every module `command` imports, in the same order (the
    interpreter lists them under `-X importtime`)."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    names = [
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and not line.rstrip().endswith("imported package")
    ]
    wanted = [n for n in names if not n.endswith("__main__")]
    # (a name may be an import that failed, such as `nt` on Linux: skipped, as it was)
    loop = "\n try: importlib.import_module(n)\n except ImportError: pass"
    return f"import importlib\nfor n in {wanted!r}:{loop}"


def startup(lock: Path, index: str, concurrency: int) -> float:
    """Wall time of a Python process that imports exactly what a warm scan imports: the
    part of a warm scan that is interpreter start-up and library imports, not chaingate's
    work."""
    with tempfile.TemporaryDirectory() as tmp:
        command = scan_command(lock, Path(tmp) / "cache", Path(tmp) / "db", index, concurrency)
        subprocess.run(command, capture_output=True, check=False)  # fill cache and database
        code = imports_of(command)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine's core is right now, so
    figures from different days and machines can be read side by side (the project's
    machines are shared and their speed drifts by half within minutes)."""
    t = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lock", type=Path, default=ROOT / "bench" / "lock150" / "uv.lock")
    ap.add_argument("--index", default="https://pypi.org")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()

    # Measure chaingate as installed: a wheel install byte-compiles it, and an editable one
    # writes __pycache__ on first use unless PYTHONDONTWRITEBYTECODE is set (as it is on the
    # project's machines), when every run would compile chaingate's sources again.
    import compileall

    import chaingate

    compileall.compile_dir(Path(chaingate.__file__).parent, quiet=1)
    urls = document_urls(args.lock, args.index)
    print(f"lock: {args.lock} ({len(urls)} registry packages), index {args.index}")
    floors, pfloors, cfloors, colds, warms, cpus, inproc = [], [], [], [], [], [], []
    report: dict[str, object] = {}
    for i in range(args.rounds):
        cpus.append(cpu_reference())
        f, size = floor(urls, args.concurrency)
        floors.append(f)
        pf = process_floor(urls, args.concurrency)
        pfloors.append(pf)
        cf = curl_floor(urls, args.concurrency)
        if cf is not None:
            cfloors.append(cf)
        with tempfile.TemporaryDirectory() as tmp:
            cache, db = Path(tmp) / "cache", Path(tmp) / "store.db"
            cold, report = run_scan(args.lock, cache, db, args.index, args.concurrency)
            warm, _ = run_scan(args.lock, cache, db, args.index, args.concurrency)
        with tempfile.TemporaryDirectory() as tmp:
            cache, db = Path(tmp) / "cache", Path(tmp) / "store.db"
            ip, _ = run_scan_in_process(args.lock, cache, db, args.index, args.concurrency)
        inproc.append(ip)
        colds.append(cold)
        warms.append(warm)
        curl = f", curl {cf:.2f} s" if cf is not None else ""
        print(
            f"round {i + 1}: floor {f:.2f} s ({size / 1e6:.1f} MB), as a process {pf:.2f} s"
            f"{curl}; cold {cold:.2f} s, warm {warm:.2f} s, cold in-process {ip:.2f} s; "
            f"cpu reference {cpus[-1]:.2f} s"
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
    # Each round's cold scan against the floors measured seconds before it: on a machine
    # whose speed drifts, the ratio within a round is steadier than the ratio of medians.
    ratio_f = statistics.median(c / f for c, f in zip(colds, floors, strict=True))
    ratio_p = statistics.median(c / p for c, p in zip(colds, pfloors, strict=True))
    print(
        f"  per round (median): {ratio_f:.2f}x the in-process floor, "
        f"{ratio_p:.2f}x the process floor"
    )
    mi = statistics.median(inproc)
    ratio_i = statistics.median(c / f for c, f in zip(inproc, floors, strict=True))
    print(
        f"cold scan in-process (median):  {mi:.2f} s = {mi / mf:.2f}x the in-process floor "
        f"(per round: {ratio_i:.2f}x)"
    )
    print(f"warm scan (median):            {mw:.2f} s  (target <= 0.5 s)")
    if Path("/proc/self/status").exists():
        largest = together = 0
        for _ in range(3):  # cold scans again, watched rather than timed
            with tempfile.TemporaryDirectory() as tmp:
                one, all_ = memory(
                    args.lock, Path(tmp) / "cache", Path(tmp) / "db", args.index, args.concurrency
                )
            largest, together = max(largest, one), max(together, all_)
        print(
            f"peak memory, 3 cold scans:     {largest / 1024:.0f} MB in the largest process, "
            f"{together / 1024:.0f} MB in all its processes at once (target <= 300 MB)"
        )
    print(f"cpu reference (median):        {statistics.median(cpus):.2f} s (5M-step Python loop)")
    base = startup(args.lock, args.index, args.concurrency)
    print(f"start-up (interpreter + imports): {base:.2f} s; warm minus start-up: {mw - base:.2f} s")


if __name__ == "__main__":
    main()
