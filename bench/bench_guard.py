"""Benchmark: what the install guard adds to a warm `pip install` of 20 packages.

Plain is `python -m pip install -i https://pypi.org/simple PKGS` in a fresh virtualenv.
Guarded is `guard()` (plan, scan with the default severity gate while the wheels are
fetched, install) run in a fresh Python process for the same set in another fresh virtualenv, so
interpreter start-up and chaingate's imports count, as they would for `chaingate pip
install`. Both use the same pip cache and the guard its own chaingate cache; one untimed
round of each warms them first. pip's own output is discarded. Email-domain checks are
off (this machine's resolver cannot answer them; pass --domains to include them).
Each round runs plain pip, then the guard twice in alternating order: with its pinned install
done by uv (the default where uv installs the same, see `pip.install`) and by pip
(`CHAINGATE_PINNED_INSTALL=pip`, as before). Medians, min-max and per-round ratios.

    .venv/bin/python bench/bench_guard.py [--rounds 3] [--domains]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# flask (7) + requests (5) + 8 small libraries = 20 distributions, all with wheels.
PACKAGES = [
    "flask", "requests", "attrs", "six", "packaging", "python-dateutil", "pytz", "toml",
    "tomli", "typing-extensions",
]  # fmt: skip
INDEX = "https://pypi.org/simple"

_GUARDED = r"""
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from chaingate.ecosystems.pypi.install import pip as pip_installer
from chaingate.guard import pip as guard_pip
from chaingate.guard.core import scan_with
from chaingate.net.http import HttpSettings
from chaingate.engine.scan import DomainOptions, ScanOptions
python, cache, out, domains, *args = sys.argv[1:]
marks = {}
def timed(name, fn):
    def wrapper(*a, **k):
        start = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            marks[name] = time.perf_counter() - start
    return wrapper
pip_installer.plan = timed("plan", pip_installer.plan)
pip_installer.fetch_files = timed("fetch", pip_installer.fetch_files)
pip_installer.install = timed("install", pip_installer.install)
opts = ScanOptions(
    index_url="https://pypi.org",
    http=HttpSettings(cache_dir=Path(cache)),
    db_url=None,
    domains=DomainOptions(None, "https://data.iana.org/rdap/dns.json") if domains == "1" else None,
)
outcome = guard_pip.guard(args, python=python, scan_options=opts,
                         evaluate=timed("scan", scan_with(opts)))
json.dump({**marks, "total": time.perf_counter() - t0, "code": outcome.exit_code,
           "items": len(outcome.plan.items), "blocked": [d.finding.id for d in outcome.blocked]},
          open(out, "w"))
"""


def _env(pip_cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.pop("VIRTUAL_ENV", None)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_CACHE_DIR=str(pip_cache))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _fresh(template: Path, where: Path) -> str:
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(template, where, symlinks=True)
    return str(where / "bin" / "python")


def plain(python: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [python, "-m", "pip", "install", "-i", INDEX, *PACKAGES],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    return time.perf_counter() - start


def guarded(
    python: str, env: dict[str, str], cache: Path, tmp: Path, domains: bool, pinned: str = "uv"
) -> tuple[float, dict[str, object]]:
    """The guard in a process of its own; `pinned` is CHAINGATE_PINNED_INSTALL (`pip`: the
    pinned install with pip, as before uv took its place)."""
    env = {**env, "CHAINGATE_PINNED_INSTALL": pinned}
    out = tmp / "timings.json"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _GUARDED, python, str(cache), str(out), "1" if domains else "0",
         "-i", INDEX, *PACKAGES],
        env=env, stdout=subprocess.DEVNULL, check=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    parts: dict[str, object] = json.loads(out.read_text())
    return elapsed, parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--domains", action="store_true", help="include email-domain checks")
    a = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chaingate-bench-guard-") as t:
        tmp = Path(t)
        template = tmp / "template"
        subprocess.run([sys.executable, "-m", "venv", str(template)], check=True)
        env = _env(tmp / "pip-cache")
        cache = tmp / "chaingate-cache"
        # Warm-up: fills pip's cache (and its wheel cache) and chaingate's.
        plain(_fresh(template, tmp / "a"), env)
        _, parts = guarded(_fresh(template, tmp / "b"), env, cache, tmp, a.domains)
        print(f"warm-up: {parts}", file=sys.stderr)
        plains: list[float] = []
        guards: dict[str, list[float]] = {"uv": [], "pip": []}
        steps: dict[str, list[float]] = {"plan": [], "scan": [], "fetch": [], "install": []}
        for n in range(a.rounds):
            plains.append(plain(_fresh(template, tmp / "a"), env))
            for pinned in ("uv", "pip") if n % 2 == 0 else ("pip", "uv"):
                elapsed, parts = guarded(
                    _fresh(template, tmp / "b"), env, cache, tmp, a.domains, pinned
                )
                guards[pinned].append(elapsed)
                if pinned == "uv":
                    for key in steps:
                        steps[key].append(float(str(parts[key])))
                print(
                    f"round {n + 1}: plain {plains[-1]:.2f} s, guarded ({pinned} installs) "
                    f"{elapsed:.2f} s = {elapsed / plains[-1]:.2f}x (plan {parts['plan']:.2f}, "
                    f"scan {parts['scan']:.2f}, fetch {parts['fetch']:.2f} in parallel, "
                    f"install {parts['install']:.2f}; {parts['items']} packages, "
                    f"exit {parts['code']}, blocked {parts['blocked']})",
                    file=sys.stderr,
                )
    p = statistics.median(plains)
    print(f"plain pip install, {len(PACKAGES)} requirements -> 20 packages: {_spread(plains)}")
    for pinned, times in guards.items():
        ratios = [g / q for g, q in zip(times, plains, strict=True)]
        print(f"chaingate guard, pinned install by {pinned} (whole process): {_spread(times)}")
        print(f"  guarded / plain per round: {_spread(ratios, 'x')}  (target <= 1.2x)")
        print(f"  overhead: {statistics.median(times) - p:+.2f} s")
    print("steps of the guard with uv installing (median):")
    for key, values in steps.items():
        print(f"  {key:<8} {statistics.median(values):.2f} s")


def _spread(values: list[float], unit: str = "s") -> str:
    return f"{statistics.median(values):.2f} {unit} ({min(values):.2f}-{max(values):.2f})"


if __name__ == "__main__":
    main()
