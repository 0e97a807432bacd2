"""One lookup per domain, DNS and RDAP side by side, against the local DNS and RDAP servers;
cached answers cost nothing, and a source that cannot be believed is reported, not used."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from chaingate.facts.intel.interface import (
    DNS_CANARIES,
    DnsAnswer,
    DomainFacts,
    DomainReport,
    RdapRecord,
    SourceCheck,
)
from chaingate.facts.intel.lookup import look_up
from chaingate.net.http import HttpClient, HttpSettings
from tests.dnsserver import DnsServer
from tests.rdapserver import RdapServer

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def run(
    domains: list[str],
    dns_server: DnsServer,
    rdap_server: RdapServer,
    cache_dir: Path,
    cached: Mapping[str, DomainFacts] | None = None,
    dns_timeout: float = 2.0,
) -> DomainReport:
    async def go() -> DomainReport:
        s = HttpSettings(cache_dir=cache_dir, timeout=5.0, retries=1, backoff=0.01)
        async with HttpClient(s) as client:
            return await look_up(
                domains,
                dns_servers=[dns_server.spec],
                client=client,
                bootstrap_url=rdap_server.bootstrap_url,
                now=NOW,
                cached=cached or {},
                dns_timeout=dns_timeout,
            )

    return asyncio.run(go())


def sent(dns_server: DnsServer, rdap_server: RdapServer) -> int:
    return len(dns_server.queries) + sum(rdap_server.hits.values())


def test_facts_from_both_sources(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    dns_server.add("alive.com", a=["192.0.2.1"], mx=["10 mx.alive.com."], ns=["ns1.alive.com."])
    rdap_server.add_domain(
        "alive.com",
        registered=datetime(2010, 1, 1, tzinfo=UTC),
        expires=datetime(2027, 1, 1, tzinfo=UTC),
    )

    report = run(["alive.com", "lapsed.com"], dns_server, rdap_server, tmp_path)

    assert report.dns == SourceCheck("ok") and report.rdap == SourceCheck("ok")
    alive, lapsed = report.domains["alive.com"], report.domains["lapsed.com"]
    assert alive.checked_at == NOW
    assert alive.dns == DnsAnswer(exists=True, has_a=True, has_mx=True, has_ns=True)
    assert alive.rdap is not None and alive.rdap.registered
    assert alive.rdap.expiration == datetime(2027, 1, 1, tzinfo=UTC)
    assert lapsed.dns == DnsAnswer(exists=False)
    assert lapsed.rdap == RdapRecord(
        registered=False, url=f"{rdap_server.base_url}domain/lapsed.com"
    )
    assert lapsed.dns_error is None and lapsed.rdap_error is None
    assert report.queries == sent(dns_server, rdap_server)


def test_everything_cached_sends_nothing(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    cached = {
        "alive.com": DomainFacts(
            "alive.com",
            checked_at=datetime(2026, 11, 24, tzinfo=UTC),
            dns=DnsAnswer(exists=True, has_a=True, has_mx=True, has_ns=True),
            rdap=RdapRecord(registered=True),
        ),
        "lapsed.com": DomainFacts(
            "lapsed.com",
            checked_at=datetime(2026, 11, 24, tzinfo=UTC),
            dns=DnsAnswer(exists=False),
            rdap=RdapRecord(registered=False),
        ),
    }

    report = run(["lapsed.com", "alive.com"], dns_server, rdap_server, tmp_path, cached=cached)

    assert report.queries == 0
    assert dns_server.queries == []  # not even the canaries
    assert sum(rdap_server.hits.values()) == 0  # not even the bootstrap
    assert report.domains == cached
    assert list(report.domains) == ["lapsed.com", "alive.com"]
    assert report.dns == report.rdap == SourceCheck("ok", "from cache")


def test_cached_domains_are_not_asked_again(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    old = DomainFacts(
        "alive.com", checked_at=datetime(2026, 11, 24, tzinfo=UTC), dns=None, rdap=None
    )

    report = run(["alive.com", "new.com"], dns_server, rdap_server, tmp_path, {"alive.com": old})

    assert report.domains["alive.com"] is old
    assert report.domains["new.com"].checked_at == NOW
    assert "alive.com" not in {name for name, _ in dns_server.queries}
    assert "/rdap/domain/alive.com" not in rdap_server.hits
    assert ("new.com", "MX") in dns_server.queries
    assert rdap_server.hits["/rdap/domain/new.com"] == 1


def test_lying_resolver_leaves_rdap_usable(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """This machine's situation with RDAP reachable: DNS is skipped, RDAP still answers."""
    dns_server.mode = "nxdomain"

    report = run(["lapsed.com"], dns_server, rdap_server, tmp_path)

    assert report.dns.status == "unavailable" and "gmail.com" in report.dns.reason
    assert report.rdap.status == "ok"
    facts = report.domains["lapsed.com"]
    assert facts.dns is None and facts.dns_error == report.dns.reason
    assert facts.rdap is not None and not facts.rdap.registered
    assert [name for name, _ in dns_server.queries] == list(DNS_CANARIES)


def test_both_sources_down(dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path) -> None:
    """These machines: a resolver that lies and no RDAP. Nothing is claimed about anyone."""
    dns_server.mode = "nxdomain"
    rdap_server.down = True

    report = run(["lapsed.com", "alive.com"], dns_server, rdap_server, tmp_path)

    assert report.dns.status == report.rdap.status == "unavailable"
    for facts in report.domains.values():
        assert facts.dns is None and facts.rdap is None
        assert facts.dns_error and facts.rdap_error


def test_sources_are_asked_side_by_side(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """A dead resolver costs its timeout once, alongside RDAP, not before it."""
    dns_server.mode = "drop"
    rdap_server.add_domain("alive.com", registered=datetime(2010, 1, 1, tzinfo=UTC))

    start = time.monotonic()
    report = run(["alive.com"], dns_server, rdap_server, tmp_path, dns_timeout=0.5)
    elapsed = time.monotonic() - start

    assert elapsed < 3
    assert report.dns.status == "unavailable"
    assert report.rdap.status == "ok"
    rdap = report.domains["alive.com"].rdap
    assert rdap is not None and rdap.registered
