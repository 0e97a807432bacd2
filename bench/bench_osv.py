"""Benchmark: what known advisories from OSV add to a scan of bench/lock150 (149 pins).

Each round runs `chaingate scan bench/lock150/uv.lock --no-resolve --no-db
--no-domain-checks --format json` as a subprocess twice, interleaved: with
`CHAINGATE_ADVISORIES=online` against a local OSV server (tests/osvserver.py over the
recorded records: one querybatch of every pin, then one GET per record found) and with
`CHAINGATE_ADVISORIES=off`. Two settings:

- cold: an empty cache, so both scans download the 149 registry documents from pypi.org
  (what the issue's target is about; the network's drift is in both);
- registry warm, OSV cold: a copy of a cache warmed with advisories off, so the registry
  answers from the cache and the difference is OSV's alone.

Medians are reported.

    .venv/bin/python bench/bench_osv.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.osvserver import OsvServer  # noqa: E402

LOCK = ROOT / "bench" / "lock150" / "uv.lock"


def scan(cache: Path, advisories: str, osv_url: str) -> float:
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(cache),
        "CHAINGATE_ADVISORIES": advisories,
        "CHAINGATE_OSV_URL": osv_url,
        "CHAINGATE_INDEX_URL": "https://pypi.org",
        "PIP_CONFIG_FILE": os.devnull,
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", str(LOCK), "--no-resolve", "--no-db",
         "--no-domain-checks", "--format", "json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1) or '"known-vulnerability"' not in proc.stdout:
        raise SystemExit(f"scan failed ({proc.returncode}): {proc.stderr[-500:]}")
    if advisories == "online" and f"OSV at {osv_url}" not in proc.stdout:
        raise SystemExit("the scan did not use the local OSV server")
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    times: dict[str, list[float]] = {
        k: [] for k in ("cold off", "cold osv", "warm off", "warm osv")
    }
    with OsvServer() as osv, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warmed = work / "warmed"
        scan(warmed, "off", osv.url)  # the registry documents, for the warm setting
        for r in range(args.rounds):
            order = ["off", "online"] if r % 2 == 0 else ["online", "off"]
            for mode in order:
                key = "osv" if mode == "online" else "off"
                cold = work / f"cold-{r}-{mode}"
                times[f"cold {key}"].append(scan(cold, mode, osv.url))
                warm = work / f"warm-{r}-{mode}"
                shutil.copytree(warmed, warm)
                times[f"warm {key}"].append(scan(warm, mode, osv.url))
        batches, records = (
            osv.hits["/v1/querybatch"],
            sum(n for p, n in osv.hits.items() if p.startswith("/v1/vulns/")),
        )
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(f"{k:9s} median {med[k]:.2f} s  ({', '.join(f'{x:.2f}' for x in v)})")
    print(f"cold: OSV adds {med['cold osv'] - med['cold off']:+.2f} s (target <= +0.3 s)")
    print(f"warm registry: OSV adds {med['warm osv'] - med['warm off']:+.2f} s")
    print(f"OSV requests over all scans: {batches} querybatch, {records} vulns/{{id}}")


if __name__ == "__main__":
    main()
