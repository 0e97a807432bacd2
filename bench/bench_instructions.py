"""Instructions executed by a warm `chaingate scan` of the ~150-package lock, counted by
valgrind's callgrind: a figure that does not drift with the machine's load or speed (the
project's machines drift by half within minutes), for judging a change to the warm path.

    .venv/bin/python bench/bench_instructions.py [--lock bench/lock150/uv.lock]

The cache and database are filled by one ordinary scan first (network), then the warm scan
runs under callgrind (about 40x slower than native). Also counted: the interpreter alone,
and a process that imports exactly the modules the warm scan imported (listed by the
interpreter's `-X importtime`), so the total splits into start-up, imports and the scan's
own work. Counts repeat within about 0.1%.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_scan import imports_of, scan_command  # noqa: E402


def instructions(command: list[str]) -> int:
    """Instructions callgrind counts for `command` (its own process; no children)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode not in (0, 1) or found is None:
        raise SystemExit(f"callgrind failed ({done.returncode}): {done.stderr[-1500:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lock", type=Path, default=ROOT / "bench" / "lock150" / "uv.lock")
    ap.add_argument("--index", default="https://pypi.org")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")

    import compileall

    import chaingate

    compileall.compile_dir(Path(chaingate.__file__).parent, quiet=1)  # as bench_scan does
    with tempfile.TemporaryDirectory() as tmp:
        command = scan_command(args.lock, Path(tmp) / "cache", Path(tmp) / "db", args.index, 16)
        subprocess.run(command, capture_output=True, check=False)  # fill cache and database
        warm_command = [sys.executable, "-m", "chaingate", *command[1:]]
        warm = instructions(warm_command)
        imported = imports_of(warm_command)
    bare = instructions([sys.executable, "-c", "pass"])
    imports = instructions([sys.executable, "-c", imported])
    print(f"warm scan:                 {warm / 1e9:.3f} G instructions")
    print(f"  interpreter alone:       {bare / 1e9:.3f} G")
    print(f"  the imports it makes:    {(imports - bare) / 1e9:.3f} G")
    print(f"  the rest (the scan's work): {(warm - imports) / 1e9:.3f} G")


if __name__ == "__main__":
    main()
