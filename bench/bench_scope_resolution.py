"""What resolving each scope on its own costs (issue 13): the same requirements as one
runtime list (one `uv pip compile`) and split into runtime, an extra and three dependency
groups (five), resolved by `build_inventory` against a real index with uv's cache warm.

    .venv/bin/python bench/bench_scope_resolution.py --rounds 5 [--index-url URL]

Prints each round and the min/median/max of both layouts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from chaingate.inventory.build import build_inventory

RUNTIME = ["httpx", "pydantic", "jinja2"]
EXTRA = {"socks": ["pysocks"]}
GROUPS = {"test": ["pytest", "coverage"], "lint": ["ruff", "mypy"], "docs": ["mkdocs"]}


def quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


HEAD = '[project]\nname = "b"\nrequires-python = ">=3.11"\n'


def one_scope() -> str:
    everything = RUNTIME + [n for v in (*EXTRA.values(), *GROUPS.values()) for n in v]
    return f"{HEAD}dependencies = [{quoted(everything)}]\n"


def five_scopes() -> str:
    text = f"{HEAD}dependencies = [{quoted(RUNTIME)}]\n"
    text += "[project.optional-dependencies]\n"
    text += "".join(f"{k} = [{quoted(v)}]\n" for k, v in EXTRA.items())
    text += "[dependency-groups]\n"
    return text + "".join(f"{k} = [{quoted(v)}]\n" for k, v in GROUPS.items())


def timed(root: Path, text: str, index: str) -> tuple[float, int]:
    (root / "pyproject.toml").write_text(text)
    started = time.perf_counter()
    inventory = build_inventory(root, index_url=index)
    return time.perf_counter() - started, len(inventory.packages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--index-url", default="https://pypi.org")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one, five = Path(tmp, "one"), Path(tmp, "five")
        one.mkdir()
        five.mkdir()
        timed(one, one_scope(), args.index_url)  # warm uv's cache for both
        timed(five, five_scopes(), args.index_url)
        ones, fives = [], []
        for n in range(1, args.rounds + 1):
            (a, pa), (b, pb) = (
                timed(one, one_scope(), args.index_url),
                timed(five, five_scopes(), args.index_url),
            )
            ones.append(a)
            fives.append(b)
            print(f"round {n}: one scope {a:.2f} s ({pa} packages), five scopes {b:.2f} s ({pb})")
    for label, xs in (("one scope", ones), ("five scopes", fives)):
        print(
            f"{label}: min {min(xs):.2f} s, median {statistics.median(xs):.2f} s, "
            f"max {max(xs):.2f} s"
        )
    print(f"ratio of medians: {statistics.median(fives) / statistics.median(ones):.2f}x")


if __name__ == "__main__":
    main()
