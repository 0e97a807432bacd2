"""Generate src/chaingate/data/popular_pypi.txt from the PyPI package list.

Usage: python scripts/make_popular_names.py PATH/TO/pypi.tsv

The TSV's first line names its columns; the ones used are `name` and
`rank_among_15000_most_downloaded` (empty for packages outside the top 15,000).
The output is one header comment line, then `rank<TAB>canonical name` sorted by rank.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from packaging.utils import canonicalize_name

GENERATED = "2026-11-25"
RANK_COLUMN = "rank_among_15000_most_downloaded"
OUTPUT = Path(__file__).resolve().parent.parent / "src" / "chaingate" / "data" / "popular_pypi.txt"


def read_ranks(tsv: Path) -> list[tuple[int, str]]:
    """Return (rank, canonical name) for every ranked row, best rank first.

    A name that canonicalises to one already seen keeps its better rank.
    """
    best: dict[str, int] = {}
    with tsv.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if reader.fieldnames is None or RANK_COLUMN not in reader.fieldnames:
            raise SystemExit(f"{tsv}: first line has no {RANK_COLUMN!r} column")
        for line, row in enumerate(reader, start=2):
            text = (row[RANK_COLUMN] or "").strip()
            if not text:
                continue
            try:
                rank = int(text)
            except ValueError:
                raise SystemExit(f"{tsv} line {line}: rank {text!r} is not a number") from None
            name = canonicalize_name(row["name"])
            if name not in best or rank < best[name]:
                best[name] = rank
    return sorted((rank, name) for name, rank in best.items())


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/make_popular_names.py PATH/TO/pypi.tsv", file=sys.stderr)
        return 2
    tsv = Path(argv[1])
    rows = read_ranks(tsv)
    header = (
        f"# source: {tsv.name} ({RANK_COLUMN}); generated {GENERATED}; "
        "columns: rank<TAB>canonical name\n"
    )
    OUTPUT.write_text(
        header + "".join(f"{rank}\t{name}\n" for rank, name in rows),
        encoding="utf-8",
    )
    print(f"wrote {len(rows)} names to {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
