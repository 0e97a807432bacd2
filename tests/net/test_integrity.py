"""The cache cannot lie (issue 12, item 10): an entry whose bytes changed on disk since they
were written -- a flipped bit, or a planted document naming other owners -- is dropped and
the document is fetched again from the server; and everything chaingate creates under its
cache and data directories is private (directories 0700, files 0600) whatever the umask.
Real HTTP against the local PyPI server; real `chaingate scan` processes for the umask."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from chaingate.core.facts import Account, ProjectFacts
from chaingate.net.http import HttpClient, HttpSettings, Response
from tests.dnsserver import DnsServer
from tests.facts.test_faults import scan
from tests.pypiserver import PyPIServer
from tests.rdapserver import RdapServer, healthy_world


def fetch(settings: HttpSettings, url: str) -> Response:
    async def go() -> Response:
        async with HttpClient(settings) as client:
            return await client.fetch(url)

    return asyncio.run(go())


def test_a_cached_body_changed_on_disk_is_fetched_again(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    s = HttpSettings(cache_dir=tmp_path, ttl=900)
    url = f"{pypi_server.url}/pypi/six/json"
    good = fetch(s, url)
    (body,) = tmp_path.rglob("*.body")
    planted = good.body.replace(b'"Owner"', b'"OWNER"')  # same length: a stat cannot tell
    assert planted != good.body and len(planted) == len(good.body)
    body.write_bytes(planted)

    again = fetch(s, url)
    assert again.body == good.body and not again.from_cache
    assert pypi_server.hits["/pypi/six/json"] == 2


def test_a_cached_body_changed_on_disk_is_not_revalidated(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """Stale, the entry would be revalidated (If-None-Match, 304): the tampered bytes must
    not be blessed by the server's 304."""
    s = HttpSettings(cache_dir=tmp_path, ttl=0)
    url = f"{pypi_server.url}/pypi/six/json"
    good = fetch(s, url)
    (body,) = tmp_path.rglob("*.body")
    body.write_bytes(bytes([good.body[0] ^ 1]) + good.body[1:])
    assert fetch(s, url).body == good.body


def test_a_planted_cache_entry_saying_404_is_not_believed(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """An entry's metadata is checked as its body is: a planted 'the index said 404' for a
    project it serves is dropped and the document fetched again."""
    import hashlib
    import json
    import time

    scan(pypi_server, tmp_path, "six==1.17.0")
    url = f"{pypi_server.url}/pypi/six/json"
    key = f"application/json {url}"
    h = hashlib.sha256(key.encode()).hexdigest()
    meta = tmp_path / "cache" / h[:2] / f"{h}.meta"
    assert meta.exists()
    forged = {"key": key, "url": url, "status": 404, "fetched_at": time.time(), "body_id": "x"}
    meta.write_text(json.dumps({**forged, "max_age": None, "body_kept": False}))
    pypi_server.clear_log()

    warm = scan(pypi_server, tmp_path, "six==1.17.0")
    (facts,) = warm.facts.values()
    assert isinstance(facts, ProjectFacts) and facts.has_ownership and facts.owners
    assert pypi_server.hits["/pypi/six/json"] == 1


def test_planted_facts_are_dropped_and_the_document_fetched_again(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    cold = scan(pypi_server, tmp_path, "six==1.17.0")
    (entry,) = (tmp_path / "cache" / "facts").rglob("*.facts")
    real = next(iter(cold.facts.values()))
    forged = msgspec.structs.replace(real, owners=(Account("mallory", "Owner"),))
    entry.write_bytes(msgspec.msgpack.encode(forged))
    pypi_server.clear_log()

    warm = scan(pypi_server, tmp_path, "six==1.17.0")
    (facts,) = warm.facts.values()
    assert isinstance(facts, ProjectFacts)
    assert [a.user for a in facts.owners] == [a.user for a in real.owners]
    assert pypi_server.hits["/pypi/six/json"] == 1  # fetched again, not trusted


def test_corrupt_facts_are_dropped_and_the_document_fetched_again(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    cold = scan(pypi_server, tmp_path, "six==1.17.0")
    (entry,) = (tmp_path / "cache" / "facts").rglob("*.facts")
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x20  # one flipped bit, still decodable msgpack most of the time
    entry.write_bytes(bytes(data))
    pypi_server.clear_log()

    warm = scan(pypi_server, tmp_path, "six==1.17.0")
    (before,), (after,) = cold.facts.values(), warm.facts.values()
    assert msgspec.structs.replace(after, fetched_at=before.fetched_at) == before
    assert pypi_server.hits["/pypi/six/json"] == 1


# --- private files -------------------------------------------------------------------------


DEEP = ("--no-db", "--deep", "--no-domain-checks", "--index-url")
SCAN = ("--no-resolve", "--cache-ttl", "0", "--now", "2026-11-25T12:00:00Z")


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_cache_and_data_are_private_whatever_the_umask(
    umask: int,
    pypi_server: PyPIServer,
    dns_server: DnsServer,
    rdap_server: RdapServer,
    tmp_path: Path,
) -> None:
    healthy_world(dns_server, rdap_server)
    (tmp_path / "requirements.txt").write_text("six==1.17.0\nidna==3.11\n")
    cache, data = tmp_path / "home" / "cache" / "http", tmp_path / "home" / "data" / "cg"
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(cache),
        "CHAINGATE_DB": f"sqlite:///{data / 'chaingate.db'}",
        "CHAINGATE_INDEX_URL": pypi_server.url,
        "CHAINGATE_DNS_SERVERS": dns_server.spec,
        "CHAINGATE_RDAP_BOOTSTRAP_URL": rdap_server.bootstrap_url,
        "PIP_CONFIG_FILE": os.devnull,
    }
    for _ in range(2):  # cold, then warm (the marker, revalidations)
        done = subprocess.run(
            [sys.executable, "-m", "chaingate", "scan", *SCAN, "requirements.txt"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            preexec_fn=lambda: os.umask(umask) and None,
        )
        assert done.returncode in (0, 1), done.stderr
    made = _modes(tmp_path / "home")
    assert "data/cg/chaingate.db" in made and any(k.endswith(".facts") for k in made)
    loose = {
        name: oct(mode)
        for name, mode in made.items()
        if mode != (0o700 if (tmp_path / "home" / name).is_dir() else 0o600)
    }
    assert loose == {}


def test_planted_domain_answers_are_dropped_and_asked_again(
    pypi_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """A domain cache saying every maintainer domain was checked an hour ago (and DNS could
    not answer) is not believed: the warm scan asks DNS again."""
    from datetime import UTC, datetime, timedelta

    from chaingate.facts.intel.interface import DomainFacts

    healthy_world(dns_server, rdap_server)
    (tmp_path / "requirements.txt").write_text("idna==3.11\nrequests==2.32.3\n")
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_INDEX_URL": pypi_server.url,
        "CHAINGATE_DNS_SERVERS": dns_server.spec,
        "CHAINGATE_RDAP_BOOTSTRAP_URL": rdap_server.bootstrap_url,
        "PIP_CONFIG_FILE": os.devnull,
    }
    command = [sys.executable, "-m", "chaingate", "scan", *SCAN, "--no-db", "requirements.txt"]

    def asked() -> set[str]:
        return {name.rstrip(".").lower() for name, _ in dns_server.queries}

    subprocess.run(command, cwd=tmp_path, env=env, check=False, timeout=120)
    domains = {d for d in asked() if d.endswith(".org")}  # the maintainers' (and a canary)
    assert "kennethreitz.org" in domains
    now = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
    forged = {
        d: DomainFacts(domain=d, checked_at=now - timedelta(hours=1), dns=None, rdap=None)
        for d in domains
    }
    (tmp_path / "cache" / "domains.msgpack").write_bytes(msgspec.msgpack.encode(forged))
    dns_server.clear_log()
    subprocess.run(command, cwd=tmp_path, env=env, check=False, timeout=120)
    assert "kennethreitz.org" in asked()


def test_downloaded_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    """`scan --deep` keeps the files it downloads (and what it learnt from them) in the cache
    too: private as well."""
    from tests.analysis.test_deep import world

    with PyPIServer() as server:
        world(server, tmp_path)
        done = subprocess.run(
            [sys.executable, "-m", "chaingate", "scan", *SCAN, *DEEP, server.url, "."],
            cwd=tmp_path,
            env={**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "home" / "cache")},
            capture_output=True,
            text=True,
            timeout=180,
            preexec_fn=lambda: os.umask(0) and None,
        )
    assert done.returncode == 1, done.stderr  # demo's install hook
    made = _modes(tmp_path / "home")
    assert any(k.endswith(".whl") for k in made) and any(k.endswith(".tar.gz") for k in made)
    loose = {
        name: oct(mode)
        for name, mode in made.items()
        if mode != (0o700 if (tmp_path / "home" / name).is_dir() else 0o600)
    }
    assert loose == {}
