"""The HTTP cache: fresh entries cost no request, stale ones are revalidated (304), and a
server without validators is refetched once the TTL runs out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chaingate.net.http import FetchError, HttpClient, HttpSettings, Response
from tests.pypiserver import PyPIServer


def fetch(settings: HttpSettings, url: str) -> Response:
    async def go() -> Response:
        async with HttpClient(settings) as client:
            return await client.fetch(url)

    return asyncio.run(go())


def test_fresh_entry_makes_no_request(pypi_server: PyPIServer, tmp_path: Path) -> None:
    s = HttpSettings(cache_dir=tmp_path, ttl=900)
    url = f"{pypi_server.url}/pypi/six/json"
    first = fetch(s, url)
    second = fetch(s, url)
    assert not first.from_cache and second.from_cache
    assert first.body == second.body
    assert pypi_server.hits["/pypi/six/json"] == 1


def test_stale_entry_is_revalidated_with_etag(pypi_server: PyPIServer, tmp_path: Path) -> None:
    s = HttpSettings(cache_dir=tmp_path, ttl=0)
    url = f"{pypi_server.url}/pypi/six/json"
    first = fetch(s, url)
    second = fetch(s, url)
    assert second.from_cache and second.body == first.body
    last = pypi_server.requests[-1]
    assert "if-none-match" in last[2]
    assert pypi_server.hits["/pypi/six/json"] == 2


def test_server_max_age_overrides_default_ttl(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.max_age = 0
    s = HttpSettings(cache_dir=tmp_path, ttl=900)
    url = f"{pypi_server.url}/pypi/six/json"
    fetch(s, url)
    fetch(s, url)
    assert pypi_server.hits["/pypi/six/json"] == 2  # max-age=0: always revalidate


def test_without_validators_a_stale_entry_is_refetched(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.validators = False
    s = HttpSettings(cache_dir=tmp_path, ttl=0)
    url = f"{pypi_server.url}/pypi/six/json"
    fetch(s, url)
    fetch(s, url)
    last = pypi_server.requests[-1]
    assert "if-none-match" not in last[2] and "if-modified-since" not in last[2]
    assert pypi_server.hits["/pypi/six/json"] == 2


def test_changed_document_replaces_the_cached_one(pypi_server: PyPIServer, tmp_path: Path) -> None:
    s = HttpSettings(cache_dir=tmp_path, ttl=0)
    url = f"{pypi_server.url}/pypi/six/json"
    fetch(s, url)
    pypi_server.add_project("six", b'{"info": {"name": "six", "version": "9"}, "releases": {}}')
    assert fetch(s, url).body.startswith(b'{"info"')


def test_404_is_cached_too(pypi_server: PyPIServer, tmp_path: Path) -> None:
    s = HttpSettings(cache_dir=tmp_path, ttl=900)
    url = f"{pypi_server.url}/pypi/no-such-project/json"
    assert fetch(s, url).status == 404
    assert fetch(s, url).status == 404
    assert pypi_server.hits["/pypi/no-such-project/json"] == 1


def test_offline_uses_stale_cache_and_fails_on_miss(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    url = f"{pypi_server.url}/pypi/six/json"
    fetch(HttpSettings(cache_dir=tmp_path, ttl=0), url)
    offline = HttpSettings(cache_dir=tmp_path, ttl=0, offline=True)
    assert fetch(offline, url).from_cache
    try:
        fetch(offline, f"{pypi_server.url}/pypi/idna/json")
    except FetchError as exc:
        assert "--offline" in str(exc)
    else:
        raise AssertionError("an offline cache miss must fail")
    assert pypi_server.hits["/pypi/six/json"] == 1


def test_torn_cache_entry_is_refetched(pypi_server: PyPIServer, tmp_path: Path) -> None:
    s = HttpSettings(cache_dir=tmp_path, ttl=900)
    url = f"{pypi_server.url}/pypi/six/json"
    good = fetch(s, url)
    for body in tmp_path.rglob("*.body"):
        body.write_bytes(body.read_bytes()[:100])
    again = fetch(s, url)
    assert again.body == good.body and not again.from_cache


def test_validators_only_entry_has_no_body_until_reloaded(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    from chaingate.net.http import BodyNotKept

    async def go() -> tuple[Response, Response, Response]:
        async with HttpClient(HttpSettings(cache_dir=tmp_path, ttl=900)) as client:
            url = f"{pypi_server.url}/pypi/six/json"
            first = await client.fetch(url, keep_body=False)
            second = await client.fetch(url, keep_body=False)
            third = await client.fetch(url, keep_body=False, reload=True)
            return first, second, third

    first, second, third = asyncio.run(go())
    assert first.body.startswith(b"{") and not list(tmp_path.rglob("*.body"))
    assert second.from_cache and second.body_id == first.body_id
    with pytest.raises(BodyNotKept):
        _ = second.body  # a validators-only entry must not pretend to have a body
    assert third.body == first.body and not third.from_cache


def test_warm_scan_reuses_facts_and_reloads_when_they_are_lost(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    import shutil

    from tests.facts.test_faults import scan

    cold = scan(pypi_server, tmp_path, "six==1.17.0", "idna==3.11")
    pypi_server.clear_log()
    warm = scan(pypi_server, tmp_path, "six==1.17.0", "idna==3.11")
    assert pypi_server.hits == {}  # fresh: no request at all
    assert warm.facts == cold.facts
    shutil.rmtree(tmp_path / "cache" / "facts")
    again = scan(pypi_server, tmp_path, "six==1.17.0", "idna==3.11")
    assert again.facts.keys() == cold.facts.keys()
    assert pypi_server.hits["/pypi/six/json"] == 1  # reloaded once, facts rebuilt


def test_a_database_gone_since_the_marker_is_opened_and_its_failure_said(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from chaingate.core.inventory import Inventory, Package
    from chaingate.engine.scan import ScanOptions, run_scan
    from chaingate.store.interface import StoreError

    db = tmp_path / "store.db"
    inv = Inventory(".", (Package("pypi", "six", "1.17.0", True, (("six",),)),), ("r.txt",))
    now = datetime(2026, 11, 25, tzinfo=UTC)

    def scan(ttl: float) -> None:
        http = HttpSettings(cache_dir=tmp_path / "cache", ttl=ttl, backoff=0.01)
        run_scan(inv, ScanOptions(pypi_server.url, http, f"sqlite:///{db}", now=now))

    scan(ttl=900)  # cold: observes the registry, records, leaves the marker
    scan(ttl=900)  # warm, nothing observed, the same database: not opened (no error)
    for path in tmp_path.glob("store.db*"):
        path.unlink()
    db.mkdir()  # no database can be opened here any more
    # The marker vouched for the file that is gone, not for whatever is there now: the
    # store is opened, and its failure is said (it used to be skipped, issue 12 item 10).
    with pytest.raises(StoreError):
        scan(ttl=900)
    with pytest.raises(StoreError):
        scan(ttl=0)  # a request to the registry is an observation: the store is opened
