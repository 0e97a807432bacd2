"""Measure how often the typosquat engine flags legitimate, moderately popular packages.

Takes the names ranked 5,001-15,000 on the shipped popular list, pretends they are not popular,
and checks each against the top 5,000 as targets. Every hit is a false positive (these are real,
widely used packages), so the printed rate is what users would see on less popular healthy
dependencies. `--show` lists the hits.

Usage: python scripts/typosquat_fp_rate.py [--show]
"""

from __future__ import annotations

import sys
from collections import Counter

from chaingate.signals.typosquat import PopularNames, load_popular, resembles

TARGETS = 5000


def main(argv: list[str]) -> int:
    show = "--show" in argv[1:]
    popular = load_popular()
    ranked = list(popular)
    top = PopularNames({name: popular.rank(name) or 0 for name in ranked[:TARGETS]})
    checked = ranked[TARGETS:]
    kinds: Counter[str] = Counter()
    for name in checked:
        match = resembles(name, top, targets=TARGETS)
        if match is None:
            continue
        kinds[match.kind] += 1
        if show:
            print(
                f"{popular.rank(name)}\t{name}\t{match.kind}\t{match.target_rank}\t{match.detail}"
            )
    flagged = sum(kinds.values())
    print(
        f"flagged {flagged} of {len(checked)} names ranked {TARGETS + 1}+ "
        f"against the top {TARGETS}: {flagged / len(checked):.2%}"
    )
    for kind, count in kinds.most_common():
        print(f"  {kind}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
