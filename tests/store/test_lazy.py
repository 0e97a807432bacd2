"""The command's lazily opened store and its "already recorded" marker (store/lazy.py).

The marker lets a warm scan skip the database, but only while the database is the very file
it was written against: a deleted or replaced database is opened and written again, so an
owner replaced afterwards is still reported. Real scans against the local PyPI server.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from chaingate.core.inventory import Inventory, Package
from chaingate.engine import Engine
from chaingate.engine.result import ScanResult
from chaingate.net.http import HttpSettings
from chaingate.store.lazy import LazyStore
from tests.pypiserver import PyPIServer, recorded_documents

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TREE = Inventory(
    root="t", packages=(Package("pypi", "six", "1.17.0", True, (("six",),)),), manifests=()
)


def scan(server: PyPIServer, tmp_path: Path, db: Path) -> tuple[ScanResult, bool]:
    """One command's scan: a new engine and store, as `chaingate scan` makes them."""
    store = LazyStore(f"sqlite:///{db}", tmp_path / "cache")
    http = HttpSettings(cache_dir=tmp_path / "cache", timeout=5, retries=0)
    with Engine(http=http, indexes={"pypi": server.url}, store=store, now=NOW) as e:
        result = e.scan(TREE)
        opened = store.opened
    return result, opened


def test_a_warm_scan_of_recorded_facts_does_not_open_the_database(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite"
    assert scan(pypi_server, tmp_path, db)[1] is True  # cold: records
    assert scan(pypi_server, tmp_path, db)[1] is False  # warm, and the database holds them


def test_a_deleted_database_is_written_again_and_an_owner_change_still_reported(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    db = tmp_path / "db.sqlite"
    scan(pypi_server, tmp_path, db)
    db.unlink()
    _, opened = scan(pypi_server, tmp_path, db)  # warm: same answers, but a new database
    assert opened and db.exists()
    doc = json.loads(recorded_documents()["six"])
    doc["ownership"]["roles"] = [{"role": "Owner", "user": "mallory"}]
    pypi_server.add_project("six", json.dumps(doc).encode())
    shutil.rmtree(tmp_path / "cache")  # the new document, as after the cache TTL
    result, _ = scan(pypi_server, tmp_path, db)
    change = [f for f in result.findings if f.id == "ownership-change"]
    assert change and "mallory" in change[0].message


def test_a_replaced_database_is_not_vouched_for(pypi_server: PyPIServer, tmp_path: Path) -> None:
    db, empty = tmp_path / "db.sqlite", tmp_path / "empty.sqlite"
    scan(pypi_server, tmp_path / "other", empty)  # a database that never saw six
    scan(pypi_server, tmp_path, db)
    shutil.copyfile(empty, db)  # restored from an old backup, say
    assert scan(pypi_server, tmp_path, db)[1] is True


def test_only_a_local_sqlite_file_is_vouched_for(tmp_path: Path) -> None:
    for url in ("sqlite:///:memory:", "postgresql+psycopg://u@127.0.0.1/test"):
        store = LazyStore(url, tmp_path)
        store.held({"pypi:six": "x"})
        store.close()
        assert not store.holds({"pypi:six": "x"})
