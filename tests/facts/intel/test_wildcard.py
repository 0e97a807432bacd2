"""A resolver that answers every name (captive portals, NXDOMAIN-hijacking ISPs) is not
believed, and when DNS and RDAP disagree about a domain the scan says so instead of letting
one of them win. Real DNS (tests/dnsserver.py) and RDAP (tests/rdapserver.py) servers, the
real scan pipeline, "now" pinned."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from chaingate.core.inventory import Inventory, Package
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import DomainOptions, ScanOptions, run_scan
from chaingate.facts.intel.dns import check_dns
from chaingate.facts.intel.interface import DNS_CANARIES, DnsAnswer
from chaingate.net.http import HttpSettings
from chaingate.report.documents import DomainsDocument
from chaingate.report.formats.json import domains_document
from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer, recorded_documents
from tests.rdapserver import RdapServer

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WILDCARD = "answers names that cannot exist (wildcard/captive portal)"


def six_on(email: str) -> bytes:
    """six's recorded document, its author's address moved to `email`."""
    doc = json.loads(recorded_documents()["six"])
    doc["info"]["author_email"] = email
    doc["info"]["maintainer_email"] = None
    return json.dumps(doc).encode()


def scan(dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path, email: str) -> ScanResult:
    inv = Inventory(".", (Package("pypi", "six", "1.17.0", True, (("six",),)),), ("req.txt",))
    with PyPIServer({"six": six_on(email)}) as pypi:
        opts = ScanOptions(
            index_url=pypi.url,
            http=HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01, retries=0),
            db_url=None,
            now=NOW,
            domains=DomainOptions(
                dns_servers=(dns_server.spec,), bootstrap_url=rdap_server.bootstrap_url
            ),
        )
        return run_scan(inv, opts)


def domain_findings(result: ScanResult) -> dict[str, dict[str, object]]:
    return {f.id: f.evidence for f in result.findings if f.id.startswith("email-domain-")}


def test_a_wildcard_resolver_is_unavailable(dns_server: DnsServer) -> None:
    dns_server.mode = "wildcard"

    source, answers, errors, _ = asyncio.run(check_dns(["lapsed-maint.com"], [dns_server.spec]))

    assert source.status == "unavailable"
    assert f"resolver {dns_server.spec} {WILDCARD}" in source.reason
    assert answers == {"lapsed-maint.com": None}
    assert errors["lapsed-maint.com"] == source.reason
    asked = [name for name, _ in dns_server.queries if name not in DNS_CANARIES]
    # a random name under .invalid (RFC 6761) and one under the domain's own suffix
    assert any(n.endswith(".invalid") for n in asked)
    assert any(n.endswith(".com") and n != "lapsed-maint.com" for n in asked)
    assert ("lapsed-maint.com", "MX") not in dns_server.queries  # nothing asked once unbelieved


def test_an_honest_resolver_passes_the_wildcard_canaries(dns_server: DnsServer) -> None:
    source, answers, _, _ = asyncio.run(check_dns(["lapsed-maint.com"], [dns_server.spec]))

    assert source.status == "ok", source.reason
    assert answers == {"lapsed-maint.com": DnsAnswer(exists=False)}
    asked = [name for name, _ in dns_server.queries]
    assert any(n.endswith(".invalid") for n in asked)  # the canary was asked, and denied


def test_a_resolver_that_refuses_invalid_names_is_still_believed(
    dns_server: DnsServer,
) -> None:
    """Refusing `.invalid` outright is allowed (RFC 6761 lets resolvers answer it
    themselves); the canary under the real suffix is the one that must be denied."""
    dns_server.refused = ("invalid",)
    source, answers, _, _ = asyncio.run(check_dns(["lapsed-maint.com"], [dns_server.spec]))
    assert source.status == "ok", source.reason
    assert answers == {"lapsed-maint.com": DnsAnswer(exists=False)}


def test_a_resolver_that_cannot_answer_the_suffix_canary_is_not_believed(
    dns_server: DnsServer,
) -> None:
    """Without a denial under the domain's own suffix nothing says the resolver is honest."""
    dns_server.refused = ("com",)
    source, _, _, _ = asyncio.run(check_dns(["lapsed-maint.com"], [dns_server.spec]))
    assert source.status == "unavailable"
    assert "could not be checked for answering names that cannot exist" in source.reason


def test_an_ordinary_hijacked_suffix_is_caught(dns_server: DnsServer) -> None:
    """Resolvers that only answer for names under real suffixes (leaving .invalid alone, as
    RFC 6761 asks of them) are caught by the canary under the domain's own suffix."""
    dns_server.mode = "wildcard"
    dns_server.wildcard_spares = ("invalid",)
    source, _, _, _ = asyncio.run(check_dns(["lapsed-maint.org"], [dns_server.spec]))
    assert source.status == "unavailable" and WILDCARD in source.reason


def test_lapsed_domain_behind_a_wildcard_resolver_is_found(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """The captive portal says lapsed-maint.com exists; RDAP says nobody registered it. Before,
    DNS overruled RDAP and the scan reported nothing. Now DNS is not believed at all, and the
    RDAP 404 stands."""
    dns_server.mode = "wildcard"

    result = scan(dns_server, rdap_server, tmp_path, "benjamin@lapsed-maint.com")

    assert result.checks["dns"].status == "unavailable"
    assert WILDCARD in result.checks["dns"].reason
    assert result.checks["rdap"].status == "ok"
    found = domain_findings(result)
    assert "email-domain-unregistered" in found
    assert found["email-domain-unregistered"]["domain"] == "lapsed-maint.com"


def test_healthy_domain_with_an_honest_resolver_is_quiet(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    dns_server.add("alive-maint.com", a=["192.0.2.1"], mx=["10 mx.alive-maint.com."])
    rdap_server.add_domain("alive-maint.com", registered=datetime(2010, 1, 1, tzinfo=UTC))

    result = scan(dns_server, rdap_server, tmp_path, "benjamin@alive-maint.com")

    assert result.checks["dns"].status == "ok" and result.checks["rdap"].status == "ok"
    assert domain_findings(result) == {}
    (row,) = domains_document(DomainsDocument(result))["domains"]
    assert row["status"] == "registered" and row["disagreement"] is None


def test_dns_says_it_exists_rdap_says_unregistered(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """A resolver that lies only for this name (or an RDAP server with a gap): no silent
    winner. Before, DNS won and the scan reported nothing."""
    dns_server.add("split-maint.com", a=["192.0.2.1"], mx=["10 mx.split-maint.com."])

    result = scan(dns_server, rdap_server, tmp_path, "benjamin@split-maint.com")

    assert result.checks["dns"].status == "ok" and result.checks["rdap"].status == "ok"
    found = domain_findings(result)
    assert set(found) == {"email-domain-sources-disagree"}
    evidence = found["email-domain-sources-disagree"]
    assert evidence["disagreement"] == "dns-exists-rdap-unregistered"
    assert evidence["dns"] == {"exists": True, "mx": True, "a": True, "ns": False}
    assert evidence["rdap"] is not None and evidence["rdap"]["registered"] is False  # type: ignore[index]
    (row,) = domains_document(DomainsDocument(result))["domains"]
    assert row["status"] == "sources-disagree"
    assert "DNS" in row["disagreement"] and "RDAP" in row["disagreement"]


def test_rdap_says_registered_dns_says_nxdomain(
    dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    rdap_server.add_domain(
        "held-maint.com",
        registered=datetime(2010, 1, 1, tzinfo=UTC),
        expires=datetime(2027, 6, 1, tzinfo=UTC),
        status=["client hold"],
    )

    result = scan(dns_server, rdap_server, tmp_path, "benjamin@held-maint.com")

    found = domain_findings(result)
    assert set(found) == {"email-domain-sources-disagree"}
    assert found["email-domain-sources-disagree"]["disagreement"] == (
        "dns-nxdomain-rdap-registered"
    )
