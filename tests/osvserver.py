"""A local server speaking the OSV API (https://google.github.io/osv.dev/api/) over recorded
records (tests/fixtures/osv/), with the faults of tests/serverkit.py:

- `POST /v1/querybatch`: per query (PyPI package and version) the ids of the records that
  cover it and their `modified` -- matched here on its own (explicit `versions`, ECOSYSTEM
  ranges with PEP 440), not with chaingate's code; `page_size` > 0 splits each result
  into pages linked by `next_page_token`, as OSV does for long answers.
- `GET /v1/vulns/{id}`: the full record, 404 for an unknown id.
- `GET /PyPI/all.zip`: the records packed the way OSV's bucket packs an ecosystem's dump.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from tests.serverkit import BackgroundHTTPServer, BadJSON, ScriptedFaults, ScriptedHandler

FIXTURES = Path(__file__).parent / "fixtures" / "osv"


def recorded_records() -> dict[str, dict[str, Any]]:
    """id -> record, for every recorded record."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))}


def dump_zip(records: Iterable[Mapping[str, Any]]) -> bytes:
    """An `all.zip`-shaped dump: one `<id>.json` member per record."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for r in records:
            z.writestr(f"{r['id']}.json", json.dumps(r, indent=2))
    return out.getvalue()


def _covers(record: Mapping[str, Any], name: str, version: str) -> bool:
    try:
        v = Version(version)
    except InvalidVersion:
        return False
    for entry in record.get("affected", ()):
        pkg = entry.get("package", {})
        if pkg.get("ecosystem") != "PyPI" or canonicalize_name(pkg.get("name", "")) != name:
            continue
        if version in entry.get("versions", ()):
            return True
        ranges = entry.get("ranges", ())
        if not entry.get("versions") and not ranges:
            return True
        for rng in ranges:
            if rng.get("type") != "ECOSYSTEM":
                continue
            low = None
            for ev in rng.get("events", ()):
                if "introduced" in ev:
                    low = ev["introduced"]
                elif "fixed" in ev and low is not None:
                    if (low == "0" or Version(low) <= v) and v < Version(ev["fixed"]):
                        return True
                    low = None
            if low is not None and (low == "0" or Version(low) <= v):
                return True
    return False


class OsvServer(ScriptedFaults, BackgroundHTTPServer):
    """The OSV API over `records` (default: every recorded one)."""

    def __init__(self, records: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        self.records = dict(recorded_records() if records is None else records)
        self.page_size = 0  # 0: every id in one page

    def _handler(self) -> type[_Handler]:
        return _Handler

    def answer_batch(self, doc: Any) -> dict[str, Any]:
        results = []
        for q in doc["queries"]:
            name = canonicalize_name(q["package"]["name"])
            ids = sorted(rid for rid, r in self.records.items() if _covers(r, name, q["version"]))
            start = int(q.get("page_token") or 0)
            end = start + self.page_size if self.page_size else len(ids)
            res: dict[str, Any] = {}
            if ids[start:end]:
                res["vulns"] = [
                    {"id": i, "modified": self.records[i]["modified"]} for i in ids[start:end]
                ]
            if end < len(ids):
                res["next_page_token"] = str(end)
            results.append(res)
        return {"results": results}


class _Handler(ScriptedHandler):
    owner: OsvServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        fault = self.owner._record(
            "POST", self.path, {k.lower(): v for k, v in self.headers.items()}
        )
        if self._play(fault, False):
            return
        if self.path != "/v1/querybatch":
            self._send_error(404, {}, False)
            return
        try:
            doc = json.loads(body)
            answer = self.owner.answer_batch(doc)
        except (ValueError, KeyError, TypeError):
            self._send(400, b'{"code":3,"message":"Invalid query."}')
            return
        self._send(200, json.dumps(answer).encode(), bad=isinstance(fault, BadJSON))

    def _answer(self, head: bool) -> None:
        fault = self.owner._record(
            "GET", self.path, {k.lower(): v for k, v in self.headers.items()}
        )
        if self._play(fault, head):
            return
        if self.path.startswith("/v1/vulns/"):
            record = self.owner.records.get(self.path.removeprefix("/v1/vulns/"))
            if record is None:
                self._send(404, b'{"code":5,"message":"Bug not found."}', head=head)
                return
            self._send(200, json.dumps(record).encode(), head=head, bad=isinstance(fault, BadJSON))
            return
        if self.path == "/PyPI/all.zip":
            self._send(200, dump_zip(self.owner.records.values()), "application/zip", head)
            return
        self._send_error(404, {}, head)

    def _send_error(self, code: int, extra: Mapping[str, str], head: bool) -> None:
        self.send_response(code)
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(
        self,
        code: int,
        body: bytes,
        content_type: str = "application/json",
        head: bool = False,
        bad: bool = False,
    ) -> None:
        body = body[: len(body) // 2] if bad else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)
            self.wfile.flush()
