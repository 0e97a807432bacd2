"""One Engine, many calls: one client, one loop, facts kept; evaluate() fails closed.

Against the local PyPI server (real HTTP on 127.0.0.1, recorded pypi.org documents).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from chaingate import Engine, PackageRef
from chaingate.core.inventory import Inventory, Package
from chaingate.net.http import HttpSettings
from chaingate.policy.interface import Action
from tests.pypiserver import PyPIServer
from tests.serverkit import Status

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def engine(server: PyPIServer, tmp_path: Path, **kw: object) -> Engine:
    http = HttpSettings(cache_dir=tmp_path / "cache", timeout=5, retries=0)
    return Engine(http=http, indexes={"pypi": server.url}, now=NOW, **kw)  # type: ignore[arg-type]


def io_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "chaingate-io")


def test_many_calls_share_one_client_and_one_loop(pypi_server: PyPIServer, tmp_path: Path) -> None:
    before = io_threads()
    with engine(pypi_server, tmp_path) as e:
        first = e.evaluate(PackageRef("pypi", "six", "1.17.0"))
        client = e.client
        e.evaluate(PackageRef("pypi", "idna", "3.11"))
        inventory = Inventory(
            root="t",
            packages=(Package("pypi", "requests", "2.32.5", True, (("requests",),)),),
            manifests=(),
        )
        e.scan(inventory)
        assert e.client is client
        assert io_threads() == before + 1
    assert io_threads() == before  # closed with the engine
    assert first.incomplete is None and first.action is not Action.BLOCK


def test_evaluate_keeps_facts_and_normalises_the_name(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    with engine(pypi_server, tmp_path) as e:
        a = e.evaluate(PackageRef("pypi", "Six", "1.17.0"))
        hits = dict(pypi_server.hits)
        b = e.evaluate(PackageRef("pypi", "six", "1.17.0"))
        assert dict(pypi_server.hits) == hits  # no second request: the facts were kept
    assert a.ref == b.ref == PackageRef("pypi", "six", "1.17.0")
    assert a.findings == b.findings


def test_evaluate_fails_closed(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/six/json", Status(503))
    with engine(pypi_server, tmp_path) as e:
        down = e.evaluate(PackageRef("pypi", "six", "1.17.0"))
        missing = e.evaluate(PackageRef("pypi", "surely-not-a-project-here", "1.0"))
        unknown_version = e.evaluate(PackageRef("pypi", "idna", "0.0.0.1"))
        alien = e.evaluate(PackageRef("cargo", "serde", "1.0.0"))
    assert down.incomplete is not None and "503" in down.incomplete and down.findings == ()
    assert "not-on-registry" in {f.id for f in missing.findings}
    assert missing.action is Action.BLOCK
    assert unknown_version.incomplete == "version 0.0.0.1 is not on the index"
    assert alien.incomplete is not None and "cargo" in alien.incomplete


def test_a_long_lived_engine_sees_a_new_owner(pypi_server: PyPIServer, tmp_path: Path) -> None:
    """Scans on one engine remember through its store: the second scan, after the document
    changed, reports the ownership change (the engine's in-memory 'already recorded' state
    does not hide a change)."""
    import json

    from chaingate.store.db import Store
    from tests.pypiserver import recorded_documents

    doc = json.loads(recorded_documents()["six"])
    store = Store(f"sqlite:///{tmp_path}/db.sqlite")
    inventory = Inventory(
        root="t",
        packages=(Package("pypi", "six", "1.17.0", True, (("six",),)),),
        manifests=(),
    )
    http = HttpSettings(cache_dir=tmp_path / "cache", timeout=5, retries=0, ttl=0)
    with Engine(http=http, indexes={"pypi": pypi_server.url}, store=store, now=NOW) as e:
        first = e.scan(inventory)
        doc["ownership"]["roles"].append({"role": "Owner", "user": "newcomer"})
        pypi_server.add_project("six", json.dumps(doc).encode())
        second = e.scan(inventory)
    assert "ownership-change" not in {f.id for f in first.findings}
    change = [f for f in second.findings if f.id == "ownership-change"]
    assert change and "newcomer" in change[0].message


def test_a_second_version_joins_the_kept_facts(pypi_server: PyPIServer, tmp_path: Path) -> None:
    import json

    for version in ("3.10", "3.11"):
        doc = {"info": {"name": "idna", "version": version}, "releases": {}, "vulnerabilities": []}
        pypi_server.add_version("idna", version, json.dumps(doc).encode())
    with engine(pypi_server, tmp_path) as e:
        e.evaluate(PackageRef("pypi", "idna", "3.11"))
        older = e.evaluate(PackageRef("pypi", "idna", "3.10"))
        again = e.evaluate(PackageRef("pypi", "idna", "3.11"))
        kept = e._memo[PackageRef("pypi", "idna")][1]
    assert older.incomplete is None and again.incomplete is None
    assert {r.version for r in kept.vulns if r.name == "idna"} == {"3.10", "3.11"}
