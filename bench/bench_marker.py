"""Benchmark: what the store's "already recorded" marker saves a warm scan (store/lazy.py).

A warm `chaingate scan` whose registry answers all came from the cache opens no database
when the marker beside the HTTP cache says the database already holds these facts. This
times the same warm scan as a subprocess, alternating: with the marker kept (the database
is never opened) and with the marker removed before the run (the database is opened, the
previous observations read and the facts compared, nothing new recorded).

    .venv/bin/python bench/bench_marker.py [--target examples/webapp] [--rounds 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", default=str(ROOT / "examples" / "webapp"))
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    chaingate = str(Path(sys.executable).with_name("chaingate"))
    with tempfile.TemporaryDirectory() as tmp:
        cache, db = Path(tmp) / "cache", f"sqlite:///{tmp}/db.sqlite"
        out = str(Path(tmp) / "out.json")
        cmd = [chaingate, "scan", args.target, "--format", "json", "--cache-dir", str(cache),
               "--db", db, "--now", "2026-12-07T12:00:00Z", "-o", out]  # fmt: skip
        subprocess.run(cmd, check=True)  # cold: fills the cache and the database
        subprocess.run(cmd, check=True)  # warm once
        kept, removed = [], []
        for _ in range(args.rounds):
            for times, drop in ((kept, False), (removed, True)):
                if drop:
                    shutil.rmtree(cache / "recorded", ignore_errors=True)
                t = time.perf_counter()
                subprocess.run(cmd, check=True)
                times.append(time.perf_counter() - t)
    print(f"warm scan of {args.target}, {args.rounds} alternating rounds (median):")
    print(f"  marker kept (database not opened): {statistics.median(kept):.3f} s")
    print(f"  marker removed (database opened):  {statistics.median(removed):.3f} s")
    print(f"  saved by the marker: {statistics.median(removed) - statistics.median(kept):.3f} s")


if __name__ == "__main__":
    main()
