"""Write bench/lock600/requirements.txt: bench/lock150's 146 projects and the most-downloaded
PyPI projects after them, 600 in all, each pinned to a version, for bench_scan.py's curve.

The ranking and versions come from a list of PyPI's packages (name, version, month, rank
among the 15,000 most downloaded) such as the workplace's `pypi.tsv`; projects listed
without a version are passed over. Pinned, so `--no-resolve` scans exactly these.

    .venv/bin/python bench/make_lock600.py /work/.library/env/packages/pypi.tsv
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from packaging.utils import canonicalize_name

from chaingate.core.inventory import Origin
from chaingate.inventory.build import build_inventory

ROOT = Path(__file__).resolve().parent.parent
SIZE = 600


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ranking", type=Path, help="tab-separated: name, version, month, rank")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "lock600" / "requirements.txt")
    args = ap.parse_args()
    inv = build_inventory(
        ROOT / "bench" / "lock150" / "uv.lock", resolve_deps=False, index_url="https://pypi.org"
    )
    pins: dict[str, str] = {}
    for p in inv.packages:
        if p.origin is Origin.REGISTRY and p.version:
            pins.setdefault(p.name, p.version)
    with args.ranking.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get(next(iter(r)))]
    rank_key = next(k for k in rows[0] if k.startswith("rank"))
    ranked = sorted((int(r[rank_key]), r["name"], r["version"]) for r in rows if r[rank_key])
    for _, name, version in ranked:
        if len(pins) >= SIZE:
            break
        if version:
            pins.setdefault(canonicalize_name(name), version)
    header = (
        f"# {SIZE} projects: bench/lock150's and the most downloaded after them (make_lock600.py)\n"
    )
    args.out.write_text(header + "".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    print(f"{args.out}: {len(pins)} projects")


if __name__ == "__main__":
    main()
