"""Record PyPI documents as test fixtures, byte for byte.

    .venv/bin/python scripts/record_pypi_fixtures.py requests six idna
    .venv/bin/python scripts/record_pypi_fixtures.py --simple requests six

For each name, GET https://pypi.org/pypi/<name>/json and write the response body, unchanged,
gzip-compressed to tests/fixtures/pypi/<name>.json.gz (name normalised per PEP 503). With
--simple, also record https://pypi.org/simple/<name>/ twice -- as HTML (PEP 503) and as JSON
(PEP 691, `Accept: application/vnd.pypi.simple.v1+json`) -- into tests/fixtures/simple/.

Nothing is trimmed or re-serialised: the fixtures are recordings. The gzip header carries no
timestamp or file name, so re-recording an unchanged document gives an identical file. One
Markdown table row per document goes to stdout for tests/fixtures/pypi/RECORDED.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
JSON_DIR = ROOT / "tests" / "fixtures" / "pypi"
SIMPLE_DIR = ROOT / "tests" / "fixtures" / "simple"
PEP691 = "application/vnd.pypi.simple.v1+json"


def write_gz(path: Path, body: bytes) -> None:
    """Write `body` gzip-compressed, reproducibly (mtime 0, no embedded file name)."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(body)


def fetch(client: httpx.Client, url: str, accept: str | None = None) -> bytes:
    headers = {"Accept": accept} if accept else {}
    response = client.get(url, headers=headers)
    response.raise_for_status()
    return response.content


def summary(name: str, body: bytes) -> str:
    """A RECORDED.md row: what the document says about owners, releases and advisories."""
    doc = json.loads(body)
    ownership = doc.get("ownership") or {}
    roles = ownership.get("roles") or []
    owners = sum(1 for r in roles if r.get("role") == "Owner")
    maintainers = sum(1 for r in roles if r.get("role") == "Maintainer")
    yanked = sorted({v for v, files in doc["releases"].items() for f in files if f.get("yanked")})
    return (
        f"| {name} | {doc['info']['version']} | {owners} | {maintainers} "
        f"| {ownership.get('organization') or '-'} | {', '.join(yanked) or '-'} "
        f"| {len(doc.get('vulnerabilities') or [])} | {doc.get('last_serial')} "
        f"| {len(body)} | {hashlib.sha256(body).hexdigest()[:16]} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", help="PyPI project names")
    parser.add_argument("--index", default="https://pypi.org", help="base URL of the index")
    parser.add_argument("--simple", action="store_true", help="also record the simple pages")
    parser.add_argument("--out", type=Path, default=JSON_DIR, help="directory for JSON docs")
    parser.add_argument("--simple-out", type=Path, default=SIMPLE_DIR)
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    print(f"<!-- recorded {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} from {args.index} -->")
    failed = 0
    with httpx.Client(timeout=60, follow_redirects=True) as client:
        for raw_name in args.names:
            name = canonicalize_name(raw_name)
            try:
                body = fetch(client, f"{args.index}/pypi/{name}/json")
            except httpx.HTTPError as exc:
                print(f"{name}: not recorded: {exc}", file=sys.stderr)
                failed += 1
                continue
            write_gz(args.out / f"{name}.json.gz", body)
            print(summary(name, body))
            if args.simple:
                args.simple_out.mkdir(parents=True, exist_ok=True)
                url = f"{args.index}/simple/{name}/"
                write_gz(args.simple_out / f"{name}.html.gz", fetch(client, url))
                write_gz(args.simple_out / f"{name}.pep691.json.gz", fetch(client, url, PEP691))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
