"""Collecting many projects' facts through the registry adapters: one path, the cache first.

Against the local PyPI server (real HTTP on 127.0.0.1), through `Engine.fetch`: what the
cache can answer is answered without a request (and without an event loop); the rest is
fetched concurrently; a warm collection gives exactly what the cold one gave.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chaingate.core.refs import PackageRef
from chaingate.engine import Engine
from chaingate.facts.collect import Fetched
from chaingate.net.http import HttpSettings
from tests.pypiserver import PyPIServer, Status

NAMES = ["attrs", "certifi", "idna", "packaging", "requests", "six", "toml", "urllib3", "wheel"]
MISSING = "surely-not-a-project-here"


def refs(*names: str, **pins: list[str]) -> list[PackageRef]:
    out = [PackageRef("pypi", n) for n in names if n not in pins]
    out += [PackageRef("pypi", n, v) for n, versions in pins.items() for v in versions]
    out += [PackageRef("pypi", n) for n, versions in pins.items() if not versions]
    return out


def engine(server: PyPIServer, cache: Path) -> Engine:
    http = HttpSettings(cache_dir=cache, timeout=5, retries=1, backoff=0.01)
    return Engine(http=http, indexes={"pypi": server.url})


def run(
    server: PyPIServer, cache: Path, **pins: list[str]
) -> tuple[Fetched, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []
    with engine(server, cache) as e:
        fetched = e.fetch(
            refs(*NAMES, MISSING, **pins), lambda done, total: seen.append((done, total))
        )
    return fetched, seen


def P(name: str, version: str | None = None) -> PackageRef:
    return PackageRef("pypi", name, version)


def same(a: Fetched, b: Fetched) -> None:
    assert a.facts.keys() == b.facts.keys()
    for ref in a.facts:  # fetched_at differs by when each was downloaded
        assert a.facts[ref].releases == b.facts[ref].releases
        assert a.facts[ref].owners == b.facts[ref].owners
        assert a.facts[ref].people == b.facts[ref].people
    assert a.not_found == b.not_found == {P(MISSING)}
    assert a.incomplete == b.incomplete
    assert a.vulns == b.vulns


def test_a_cold_and_a_warm_collection_agree(pypi_server: PyPIServer, tmp_path: Path) -> None:
    cold, seen = run(pypi_server, tmp_path / "cache")
    assert cold.network_requests > 0
    assert seen[-1] == (len(NAMES) + 1, len(NAMES) + 1)
    assert sorted(d for d, _ in seen) == list(range(1, len(NAMES) + 2))
    assert {r.name for r in cold.facts} == set(NAMES)
    pypi_server.clear_log()
    warm, _ = run(pypi_server, tmp_path / "cache")
    same(cold, warm)
    # the 404 is not kept as facts, so the missing name alone is asked again
    assert set(pypi_server.hits) <= {f"/pypi/{MISSING}/json", f"/simple/{MISSING}/"}


def test_a_fault_is_incomplete_not_clean(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/six/json", Status(503))
    fetched, _ = run(pypi_server, tmp_path / "cache")
    assert P("six") not in fetched.facts
    assert "503" in fetched.incomplete[P("six")]
    assert {r.name for r in fetched.facts} == set(NAMES) - {"six"}


SIX_1_16 = {
    "info": {"name": "six", "version": "1.16.0"},
    "releases": {},
    "vulnerabilities": [
        {"id": "PYSEC-0000-1", "aliases": [], "summary": "demo", "fixed_in": ["1.17.0"]}
    ],
}


@pytest.mark.parametrize("per_version_documents", [True, False])
def test_a_warm_collection_from_the_cache_alone_is_the_collection(
    pypi_server: PyPIServer, tmp_path: Path, per_version_documents: bool
) -> None:
    if per_version_documents:
        pypi_server.add_version("six", "1.16.0", json.dumps(SIX_1_16).encode())
    want = refs(*NAMES, six=["1.16.0"])
    with engine(pypi_server, tmp_path) as e:
        networked = e.fetch(want)
    pypi_server.clear_log()
    seen: list[tuple[int, int]] = []
    sys.modules.pop("asyncio.runners", None)  # not a proof of absence; the loop is:
    with engine(pypi_server, tmp_path) as e:
        cached = e.fetch(want, lambda done, total: seen.append((done, total)))
        assert e._loop._loop is None  # answered without starting the event loop

    assert pypi_server.hits == {}
    assert cached.facts == networked.facts
    assert cached.vulns == networked.vulns
    assert (P("six", "1.16.0") in cached.vulns) is per_version_documents
    assert cached.vulns_notes == networked.vulns_notes
    assert bool(cached.vulns_notes) is not per_version_documents
    assert (cached.not_found, cached.incomplete, cached.network_requests) == (set(), {}, 0)
    assert seen == [(i, len(NAMES)) for i in range(1, len(NAMES) + 1)]


def test_anything_the_cache_cannot_answer_goes_to_the_network(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.add_version("six", "1.16.0", json.dumps(SIX_1_16).encode())
    with engine(pypi_server, tmp_path) as e:
        e.fetch(refs(*NAMES, six=["1.16.0"]))
        pypi_server.clear_log()
        e.fetch(refs(*NAMES, six=["1.16.0"]))
        assert pypi_server.hits == {}

        e.fetch(refs(*NAMES, six=["1.15.0"]))  # a new pin's document
        assert set(pypi_server.hits) == {"/pypi/six/1.15.0/json"}
        pypi_server.clear_log()
        e.fetch(refs(*NAMES, MISSING))  # a 404 is asked each time
        assert f"/pypi/{MISSING}/json" in pypi_server.hits
        pypi_server.clear_log()
        for facts in (tmp_path / "facts").rglob("*.facts"):
            facts.unlink()  # the facts of a document were lost: it must be parsed again
        again = e.fetch(refs(*NAMES, six=["1.16.0"]))
        assert "/pypi/six/json" in pypi_server.hits
        assert P("six") in again.facts
