"""Benchmark: what `chaingate check` (policy + decisions + the gate's report) adds to a warm
`chaingate scan` of the ~150-package lock. Both run as whole processes on the same warm cache
and database, alternating, so drift hits both alike; medians are reported.

    .venv/bin/python bench/bench_check.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "bench" / "lock150" / "uv.lock"


def run(command: str, cache: Path, db: Path) -> float:
    exe = str(Path(sys.executable).with_name("chaingate"))
    args = [exe, command, str(LOCK), "--no-resolve", "-f", "json", "-o", "/dev/null",
            "--cache-dir", str(cache), "--db", f"sqlite:///{db}"]  # fmt: skip
    if command == "scan":
        args += ["--fail-on", "critical"]
    t = time.perf_counter()
    subprocess.run(args, capture_output=True, check=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cache, db = Path(tmp) / "cache", Path(tmp) / "store.db"
        run("scan", cache, db)  # cold: fill the cache and the store
        run("check", cache, db)
        scans, checks = [], []
        for _ in range(args.rounds):
            scans.append(run("scan", cache, db))
            checks.append(run("check", cache, db))
    ms, mc = statistics.median(scans), statistics.median(checks)
    print(f"warm scan (median of {args.rounds}):  {ms:.2f} s  {[round(x, 2) for x in scans]}")
    print(f"warm check (median of {args.rounds}): {mc:.2f} s  {[round(x, 2) for x in checks]}")
    print(f"check adds {mc - ms:+.2f} s over the scan (target <= 0.5 s)")


if __name__ == "__main__":
    main()
