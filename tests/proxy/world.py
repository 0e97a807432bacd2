"""The proxy's world: a local upstream index on 127.0.0.1 serving tiny real wheels built
here, an OSV server with one malicious-package report, and the proxy in front of them,
judging at a pinned `NOW`.

Projects on the upstream (every one with real wheels pip and uv can install):
- `cgsafe` 1.0 (400 days old) and 1.1 (2 hours old): 1.1 is inside a 48 h cooldown.
- `reqeusts` 2.32.6 (5 days old, one owner): a typosquat of requests.
- `cgevil` 1.0 (old) and 2.0 (old): 2.0 is reported malicious (MAL-2099-0001, inert).
- `cgbad` 1.0: its page announces one sha256, the file served has other bytes.
- `cgmeta` 1.0: a wheel with a PEP 658 metadata file.
- `cgmal` 0.1 and 0.2: every version reported malicious (MAL-2099-0002).
- `cgquarantined` 1.0: the index has quarantined the project (PEP 792).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.inventory.wheels import write_wheel
from tests.pypiserver import PageExtras, PyPIServer

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=400)

METADATA = "Metadata-Version: 2.1\nName: cgmeta\nVersion: 1.0\n"
MALICIOUS = {
    "id": "MAL-2099-0001",
    "summary": "Malicious code in cgevil (PyPI)",
    "details": "A test record: cgevil 2.0 posts secrets to https://collect.example.invalid/.",
    "modified": "2026-11-20T00:00:00Z",
    "published": "2026-11-20T00:00:00Z",
    "schema_version": "1.7.4",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "cgevil"}, "versions": ["2.0"]}],
}


WHOLLY_MALICIOUS = {
    **MALICIOUS,
    "id": "MAL-2099-0002",
    "summary": "Malicious code in cgmal (PyPI)",
    "details": "A test record: every version of cgmal runs https://payload.example.invalid/.",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "cgmal"}}],
}


def entry(
    filename: str, data: bytes, uploaded: datetime, digest: str | None = None
) -> dict[str, Any]:
    """One file of a JSON API document (`digest`: the sha256 announced, default the real one)."""
    stamp = uploaded.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    return {
        "filename": filename,
        "packagetype": "bdist_wheel",
        "python_version": "py3",
        "requires_python": ">=3.8",
        "size": len(data),
        "upload_time": stamp[:19],
        "upload_time_iso_8601": stamp,
        "url": f"https://files.example.invalid/{filename}",
        "digests": {"sha256": digest or hashlib.sha256(data).hexdigest(), "md5": ""},
        "yanked": False,
        "yanked_reason": None,
    }


def document(
    name: str, releases: Mapping[str, Sequence[dict[str, Any]]], owner: str = "alice"
) -> bytes:
    """A JSON API document with these releases (version -> file entries)."""
    latest = list(releases)[-1]
    doc = {
        "info": {"name": name, "version": latest, "author": owner, "author_email": None,
                 "home_page": None, "project_urls": None, "requires_dist": None, "summary": ""},
        "last_serial": 7,
        "releases": {v: list(files) for v, files in releases.items()},
        "urls": list(releases[latest]),
        "vulnerabilities": [],
        "ownership": {"organization": None, "roles": [{"role": "Owner", "user": owner}]},
    }  # fmt: skip
    return json.dumps(doc).encode()


def publish(
    server: PyPIServer,
    built: Path,
    name: str,
    versions: Sequence[tuple[str, datetime]],
    owner: str = "alice",
) -> dict[str, bytes]:
    """Serve `name` with one tiny wheel per (version, upload time); the wheels by filename."""
    releases: dict[str, list[dict[str, Any]]] = {}
    wheels: dict[str, bytes] = {}
    for version, uploaded in versions:
        wheel = write_wheel(built, name, version, [])
        data = wheel.read_bytes()
        server.add_file(wheel.name, data)
        wheels[wheel.name] = data
        releases[version] = [entry(wheel.name, data, uploaded)]
    server.add_project(name, document(name, releases, owner))
    return wheels


def populate(server: PyPIServer, built: Path) -> None:
    """Every project of the world (module docstring) on `server`."""
    publish(server, built, "cgsafe", [("1.0", OLD), ("1.1", NOW - timedelta(hours=2))])
    publish(server, built, "reqeusts", [("2.32.6", NOW - timedelta(days=5))], owner="kennethreitz2")
    publish(server, built, "cgevil", [("1.0", OLD), ("2.0", OLD + timedelta(days=10))])
    publish(server, built, "cgmal", [("0.1", OLD), ("0.2", OLD + timedelta(days=3))])
    publish(server, built, "cgquarantined", [("1.0", OLD)])
    server.set_page("cgquarantined", PageExtras(status="quarantined", reason="malware"))
    (wheel,) = publish(server, built, "cgmeta", [("1.0", OLD)])
    metadata = METADATA.encode()
    server.add_file(f"{wheel}.metadata", metadata)
    digest = hashlib.sha256(metadata).hexdigest()
    server.set_page("cgmeta", PageExtras(core_metadata={wheel: digest}))
    good = write_wheel(built, "cgbad", "1.0", [])
    data = good.read_bytes()
    server.add_file(good.name, data[:-1] + bytes([data[-1] ^ 1]))  # one bit differs
    server.add_project("cgbad", document("cgbad", {"1.0": [entry(good.name, data, OLD)]}))
