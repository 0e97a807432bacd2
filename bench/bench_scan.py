"""Benchmark: `chaingate scan` of a ~150-package lock, cold and warm, against curl.

The floor is curl: `curl --parallel --parallel-max C --compressed` run as a process,
fetching the same project documents with the same concurrency C as chaingate and asking
for gzip as chaingate does (curl inflates them, as chaingate must). That is the network's
own speed without Python's per-read costs; the headline is the cold scan's time over it,
measured in the same round seconds apart (the project's machines are shared and their
speed drifts within minutes, so ratios from one round are what count).

Cold and warm are the whole command, `chaingate scan LOCK --no-resolve --format json`, run
as a subprocess (Python start-up, imports, parsing, signals, database and report included):
cold with an empty cache and database, warm right after with both kept. chaingate's
modules are byte-compiled first, as a wheel install does. Several `--chaingate`
executables (e.g. the code before a change, in a venv of its own, and after) are measured
in the same rounds, their order alternating. Rounds interleave curl and the scans;
medians, minima and maxima are reported.

`--curve` also scans 40, ~150 and 600 projects (the first a slice of bench/lock150, the
last bench/lock600/requirements.txt, see make_lock600.py), each against curl on the same
documents, and reports milliseconds per MB of JSON (decompressed, as curl saved it once).
`--memory` watches three more cold scans' peak memory through /proc.

    .venv/bin/python bench/bench_scan.py [--rounds 5] [--curve] [--memory]
        [--chaingate /tmp/before/bin/chaingate --chaingate .venv/bin/chaingate]
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

from chaingate.core.inventory import Origin
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.inventory.build import build_inventory

ROOT = Path(__file__).resolve().parent.parent
LOCK150 = ROOT / "bench" / "lock150" / "uv.lock"
LOCK600 = ROOT / "bench" / "lock600" / "requirements.txt"
# OSV's API is asked anew by every scan (cold or warm), and on the project's machines it is
# unreachable: each scan would spend ~3.5 s in its retries. Off unless --advisories says.
ADVISORIES = "off"


def pins(lock: Path, index: str) -> dict[str, str]:
    inv = build_inventory(lock, resolve_deps=False, index_url=index)
    found: dict[str, str] = {}
    for p in inv.packages:
        if p.origin is Origin.REGISTRY:
            found.setdefault(p.name, p.version or "")
    return dict(sorted(found.items()))


def document_urls(names: list[str], index: str) -> list[str]:
    urls = IndexUrls.parse(index)
    return [urls.project_json(n) for n in names]


def curl(urls: list[str], concurrency: int, into: Path | None = None) -> float:
    """Seconds for curl to fetch `urls` in parallel (into files under `into`, else
    nowhere)."""
    exe = shutil.which("curl")
    if exe is None:
        raise SystemExit("curl is not on the PATH: it is this benchmark's floor")
    config = "".join(
        f'url = "{u}"\noutput = "{into / str(i) if into else os.devnull}"\n'
        for i, u in enumerate(urls)
    )
    command = [
        exe,
        "-sS",
        "--fail",
        "--compressed",
        "-H",
        "Accept-Encoding: gzip",
        "--parallel",
        "--parallel-max",
        str(concurrency),
        "-K",
        "-",
    ]
    t = time.perf_counter()
    subprocess.run(command, input=config.encode(), check=True, capture_output=True)
    return time.perf_counter() - t


def megabytes(urls: list[str], concurrency: int) -> float:
    """The documents' size once inflated (MB), as curl saves them."""
    with tempfile.TemporaryDirectory() as tmp:
        curl(urls, concurrency, Path(tmp))
        return sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6


def scan_command(exe: str, lock: Path, where: Path, index: str, concurrency: int) -> list[str]:
    return [
        exe,
        "scan",
        str(lock),
        "--no-resolve",
        "--format",
        "json",
        "--index-url",
        index,
        "--cache-dir",
        str(where / "cache"),
        "--db",
        f"sqlite:///{where / 'store.db'}",
        "--concurrency",
        str(concurrency),
        "--fail-on",
        "critical",
        "--advisories",
        ADVISORIES,
    ]


def scan(exe: str, lock: Path, where: Path, index: str, concurrency: int) -> float:
    """Wall time of one `chaingate scan` subprocess (its report is not kept)."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        done = subprocess.run(
            scan_command(exe, lock, where, index, concurrency),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        wall = time.perf_counter() - t
        if done.returncode not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{exe} failed ({done.returncode}): {err.read().decode()[-2000:]}")
    return wall


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


def memory(command: list[str]) -> tuple[int, int]:
    """One scan, untimed, watched every 5 ms through /proc (Linux): the largest peak RSS of
    any of its processes and the largest sum of their RSS at one moment, both in KiB."""
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    largest = together = 0
    while proc.poll() is None:
        peaks, total = _session_memory(proc.pid)
        largest = max(largest, *peaks.values(), 0)
        together = max(together, total)
        time.sleep(0.005)
    return largest, together


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """`median (min-max)`."""
    m, lo, hi = statistics.median(values), min(values), max(values)
    return f"{m:.{digits}f} {unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def headline(args: argparse.Namespace, exes: list[str]) -> None:
    names = list(pins(args.lock, args.index))
    urls = document_urls(names, args.index)
    mb = megabytes(urls, args.concurrency)  # also warms curl's way to the index
    print(
        f"lock: {args.lock} ({len(urls)} registry projects, {mb:.1f} MB of JSON), "
        f"index {args.index}, concurrency {args.concurrency}"
    )
    curls: list[float] = []
    cold: dict[str, list[float]] = {e: [] for e in exes}
    warm: dict[str, list[float]] = {e: [] for e in exes}
    for i in range(args.rounds):
        curls.append(curl(urls, args.concurrency))
        order = exes if i % 2 == 0 else exes[::-1]
        said = []
        for exe in order:
            with tempfile.TemporaryDirectory() as tmp:
                cold[exe].append(scan(exe, args.lock, Path(tmp), args.index, args.concurrency))
                warm[exe].append(scan(exe, args.lock, Path(tmp), args.index, args.concurrency))
            said.append(
                f"{_label(exe, exes)} cold {cold[exe][-1]:.2f} s "
                f"({cold[exe][-1] / curls[-1]:.2f}x curl), warm {warm[exe][-1]:.2f} s"
            )
        print(f"round {i + 1}: curl {curls[-1]:.2f} s; " + "; ".join(said), flush=True)
    print()
    print(f"curl floor:      {spread(curls)}")
    for exe in exes:
        ratios = [c / f for c, f in zip(cold[exe], curls, strict=True)]
        print(f"{_label(exe, exes)}:")
        print(f"  cold / curl, per round: {spread(ratios, 'x')}   (target <= 2x)")
        print(f"  cold scan:  {spread(cold[exe])}")
        print(f"  warm scan:  {spread(warm[exe])}   (target <= 0.25 s)")
    if len(exes) == 2:
        a, b = exes
        for kind, runs in (("cold", cold), ("warm", warm)):
            pair = [y / x for x, y in zip(runs[a], runs[b], strict=True)]
            print(f"{kind} B/A per round: {spread(pair, 'x')}")
    if args.memory and Path("/proc/self/status").exists():
        for exe in exes:
            largest = together = 0
            for _ in range(3):  # cold scans again, watched rather than timed
                with tempfile.TemporaryDirectory() as tmp:
                    command = scan_command(exe, args.lock, Path(tmp), args.index, args.concurrency)
                    one, all_ = memory(command)
                largest, together = max(largest, one), max(together, all_)
            print(
                f"{_label(exe, exes)} peak memory, 3 cold scans: {largest / 1024:.0f} MB in "
                f"the largest process, {together / 1024:.0f} MB in all at once"
            )


def curve(args: argparse.Namespace, exes: list[str], tmp: Path) -> None:
    """Cold scans of 40, ~150 and 600 projects against curl on the same documents."""
    base = pins(args.lock, args.index)
    small = tmp / "lock40.txt"
    step = len(base) / 40
    chosen = [list(base.items())[int(i * step)] for i in range(40)]
    small.write_text("".join(f"{n}=={v}\n" if v else f"{n}\n" for n, v in chosen))
    sets = [(small, 40), (args.lock, len(base)), (LOCK600, 600)]
    sizes = {
        lock: megabytes(document_urls(list(pins(lock, args.index)), args.index), args.concurrency)
        for lock, _ in sets
    }
    urls = {lock: document_urls(list(pins(lock, args.index)), args.index) for lock, _ in sets}
    curls: dict[Path, list[float]] = {lock: [] for lock, _ in sets}
    cold: dict[tuple[Path, str], list[float]] = {(lock, e): [] for lock, _ in sets for e in exes}
    for i in range(args.rounds):
        for lock, n in sets:
            curls[lock].append(curl(urls[lock], args.concurrency))
            for exe in exes if i % 2 == 0 else exes[::-1]:
                with tempfile.TemporaryDirectory() as where:
                    t = scan(exe, lock, Path(where), args.index, args.concurrency)
                cold[lock, exe].append(t)
            print(
                f"curve round {i + 1}, {n} projects: curl {curls[lock][-1]:.2f} s; "
                + ", ".join(f"{_label(e, exes)} {cold[lock, e][-1]:.2f} s" for e in exes),
                flush=True,
            )
    print()
    print("projects  MB     curl ms/MB      " + "  ".join(f"{_label(e, exes):>22}" for e in exes))
    for lock, n in sets:
        mb = sizes[lock]
        row = f"{n:>8}  {mb:5.0f}  {statistics.median(curls[lock]) * 1000 / mb:6.1f}"
        row += f" ({statistics.median(curls[lock]):.2f} s)"
        for exe in exes:
            t = statistics.median(cold[lock, exe])
            ratio = statistics.median(
                c / f for c, f in zip(cold[lock, exe], curls[lock], strict=True)
            )
            row += f"  {t * 1000 / mb:6.1f} ms/MB ({t:5.2f} s, {ratio:4.2f}x)"
        print(row)


def _label(exe: str, exes: list[str]) -> str:
    return exe if len(exes) == 1 else f"{'AB'[exes.index(exe)] if len(exes) == 2 else exe} ({exe})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lock", type=Path, default=LOCK150)
    ap.add_argument("--index", default="https://pypi.org")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--chaingate", action="append", help="an executable to measure (repeat)")
    ap.add_argument("--curve", action="store_true", help="also 40/150/600 projects")
    ap.add_argument("--memory", action="store_true", help="also peak memory")
    ap.add_argument("--advisories", default="off", help="the scans' --advisories (online: OSV)")
    args = ap.parse_args()
    global ADVISORIES
    ADVISORIES = args.advisories
    exes = args.chaingate or [str(Path(sys.executable).with_name("chaingate"))]
    # Measure chaingate as installed: a wheel install byte-compiles it, and an editable one
    # writes __pycache__ on first use unless PYTHONDONTWRITEBYTECODE is set (as it is on the
    # project's machines), when every run would compile chaingate's sources again.
    for exe in exes:
        python = Path(exe).with_name("python")
        subprocess.run(
            [
                str(python),
                "-c",
                "import chaingate, compileall, pathlib; "
                "compileall.compile_dir(pathlib.Path(chaingate.__file__).parent, quiet=1)",
            ],
            check=True,
        )
    headline(args, exes)
    if args.curve:
        print()
        with tempfile.TemporaryDirectory() as tmp:
            curve(args, exes, Path(tmp))


if __name__ == "__main__":
    main()
