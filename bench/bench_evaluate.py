"""Benchmark: `Engine.evaluate(ref)` on warm facts, one long-lived engine, 1,000 calls.

The firewall and the install guard ask "may this version be served?" one package at a time,
thousands of times, from one process. This builds one `Engine` (one HTTP client, one policy,
the default adapters) the way such a process would, evaluates every pin of a real lock once
to warm it (facts from pypi.org, kept in the HTTP cache and in the engine's memory), then
times `--calls` evaluations cycling through those pins and reports the median, p95 and max
per call. `--db` adds a SQLite store (previous observations read on every call).

    .venv/bin/python bench/bench_evaluate.py [--lock bench/lock150/uv.lock] [--calls 1000] [--db]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from chaingate.core.inventory import Origin
from chaingate.engine import Engine
from chaingate.inventory.build import build_inventory
from chaingate.net.http import HttpSettings

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lock", type=Path, default=ROOT / "bench" / "lock150" / "uv.lock")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--db", action="store_true", help="with a SQLite store")
    ap.add_argument("--cache-dir", type=Path, default=None, help="keep the HTTP cache here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or Path(tmp) / "cache"
        store = None
        if args.db:
            from chaingate.store.db import Store

            store = Store(f"sqlite:///{tmp}/bench.db")
        inventory = build_inventory(args.lock, resolve_deps=False, index_url="https://pypi.org")
        refs = [p.ref for p in inventory.packages if p.origin is Origin.REGISTRY and p.version]
        with Engine(http=HttpSettings(cache_dir=cache), store=store) as engine:
            t0 = time.perf_counter()
            first = [engine.evaluate(r) for r in refs]  # warm: facts fetched once
            warmup = time.perf_counter() - t0
            times = []
            for i in range(args.calls):
                ref = refs[i % len(refs)]
                t = time.perf_counter()
                engine.evaluate(ref)
                times.append(time.perf_counter() - t)
    incomplete = sum(1 for e in first if e.incomplete)
    blocked = sum(1 for e in first if e.action.value == "block")
    times.sort()
    ms = [t * 1000 for t in times]
    print(f"lock: {args.lock} ({len(refs)} pinned registry packages), store: {bool(args.db)}")
    print(f"warm-up: {len(refs)} first evaluations in {warmup:.2f} s "
          f"({incomplete} incomplete, {blocked} blocked)")  # fmt: skip
    print(f"{args.calls} evaluations on warm facts:")
    print(f"  median {statistics.median(ms):.3f} ms (target <= 2 ms)")
    print(f"  p95    {ms[int(0.95 * len(ms)) - 1]:.3f} ms")
    print(f"  max    {ms[-1]:.3f} ms")
    print(f"  total  {sum(ms) / 1000:.2f} s")


if __name__ == "__main__":
    main()
