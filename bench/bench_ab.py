"""A/B: two installs of chaingate on the same lock, scans alternating, so that a machine
whose speed drifts (as the project's do, by half within minutes) hits both alike.

Typical use: the code before a change in a worktree with its own venv, against this one.

    git worktree add /tmp/old <rev> && python3 -m venv /tmp/oldvenv \\
        && /tmp/oldvenv/bin/pip install -e /tmp/old
    .venv/bin/python bench/bench_ab.py /tmp/oldvenv/bin/chaingate .venv/bin/chaingate

Warm: each side keeps its own cache and database, filled once first. Cold: a fresh cache
and database for every scan, the order of the two alternating between rounds. Reported:
the median, min and max of each side and the median of the per-pair ratios (B / A).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scan(exe: str, lock: Path, where: Path) -> float:
    command = [
        exe, "scan", str(lock), "--no-resolve", "--format", "json", "--cache-dir",
        str(where / "cache"), "--db", f"sqlite:///{where / 'store.db'}", "--fail-on", "critical",
        # OSV is asked by every scan and unreachable on the project's machines (~3.5 s of
        # retries a scan): off, as in bench_scan.py
        "--advisories", "off",
    ]  # fmt: skip
    t = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode not in (0, 1):
        raise SystemExit(f"{exe} failed ({done.returncode}): {done.stderr[-1000:]}")
    return wall


def report(kind: str, a: list[float], b: list[float]) -> None:
    for name, times in (("A", a), ("B", b)):
        print(
            f"{kind} {name}: median {statistics.median(times):.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )
    ratio = statistics.median(y / x for x, y in zip(a, b, strict=True))
    print(f"{kind} B/A per pair (median): {ratio:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a", help="the chaingate executable of side A (e.g. before a change)")
    ap.add_argument("b", help="the chaingate executable of side B")
    ap.add_argument("--lock", type=Path, default=ROOT / "bench" / "lock150" / "uv.lock")
    ap.add_argument("--warm", type=int, default=15, help="warm pairs")
    ap.add_argument("--cold", type=int, default=8, help="cold pairs")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        sides = {args.a: Path(tmp) / "a", args.b: Path(tmp) / "b"}
        for exe, where in sides.items():
            scan(exe, args.lock, where)  # fill the cache and the database
        warm: dict[str, list[float]] = {args.a: [], args.b: []}
        for _ in range(args.warm):
            for exe, where in sides.items():
                warm[exe].append(scan(exe, args.lock, where))
    report("warm", warm[args.a], warm[args.b])

    cold: dict[str, list[float]] = {args.a: [], args.b: []}
    for i in range(args.cold):
        order = [args.a, args.b] if i % 2 == 0 else [args.b, args.a]
        for exe in order:
            with tempfile.TemporaryDirectory() as tmp:
                cold[exe].append(scan(exe, args.lock, Path(tmp)))
    report("cold", cold[args.a], cold[args.b])


if __name__ == "__main__":
    main()
