"""DNS facts from a real DNS server on 127.0.0.1 (tests/dnsserver.py): only NXDOMAIN means
"does not exist", and a resolver that denies the canaries is not believed at all."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence

import pytest
from dnslib import RCODE, DNSRecord

from chaingate.facts.intel.dns import CANARY_LABEL, check_dns, servers_from_env
from chaingate.facts.intel.interface import DNS_CANARIES, DnsAnswer, SourceCheck
from tests.dnsserver import DnsServer


def run(
    domains: Iterable[str], servers: Sequence[str] | None, timeout: float = 2.0
) -> tuple[SourceCheck, dict[str, DnsAnswer | None], dict[str, str], int]:
    return asyncio.run(check_dns(domains, servers, timeout=timeout))


def per_domain_queries(server: DnsServer) -> list[tuple[str, str]]:
    return [
        (name, qtype)
        for name, qtype in server.queries
        if name not in DNS_CANARIES and not name.startswith(CANARY_LABEL)
    ]


def test_records_present_and_absent(dns_server: DnsServer) -> None:
    dns_server.add("full.org", a=["192.0.2.1"], mx=["10 mx.full.org."], ns=["ns1.full.org."])
    dns_server.add("webonly.org", a=["192.0.2.2"])
    dns_server.add("mailonly.org", mx=["10 mx.example.net."], ns=["ns1.example.net."])
    dns_server.add("parked.org")  # exists (NOERROR) with no records at all

    source, answers, errors, sent = run(
        ["full.org", "webonly.org", "mailonly.org", "parked.org"], [dns_server.spec]
    )

    assert source == SourceCheck("ok")
    assert answers == {
        "full.org": DnsAnswer(exists=True, has_a=True, has_mx=True, has_ns=True),
        "webonly.org": DnsAnswer(exists=True, has_a=True),
        "mailonly.org": DnsAnswer(exists=True, has_mx=True, has_ns=True),
        "parked.org": DnsAnswer(exists=True),
    }
    assert errors == {}
    assert sent == len(dns_server.queries)


def test_nxdomain_is_does_not_exist(dns_server: DnsServer) -> None:
    source, answers, errors, _ = run(["lapsed-maintainer-domain.org"], [dns_server.spec])
    assert source.status == "ok"
    assert answers == {"lapsed-maintainer-domain.org": DnsAnswer(exists=False)}
    assert errors == {}


def test_aaaa_is_asked_only_when_there_is_no_a(dns_server: DnsServer) -> None:
    dns_server.add("v4.org", a=["192.0.2.1"])
    dns_server.add("v6.org", aaaa=["2001:db8::1"])

    _, answers, _, _ = run(["v4.org", "v6.org"], [dns_server.spec])

    assert answers["v6.org"] == DnsAnswer(exists=True, has_a=True)
    asked = per_domain_queries(dns_server)
    assert ("v6.org", "AAAA") in asked
    assert ("v4.org", "AAAA") not in asked
    assert sorted(t for n, t in asked if n == "v4.org") == ["A", "MX", "NS"]


def test_names_are_normalised_and_asked_once(dns_server: DnsServer) -> None:
    dns_server.add("example.org", a=["192.0.2.1"])
    _, answers, _, _ = run(["Example.ORG.", "example.org"], [dns_server.spec])
    assert list(answers) == ["example.org"]
    assert len([q for q in per_domain_queries(dns_server) if q[1] == "A"]) == 1


def test_no_domains_sends_nothing(dns_server: DnsServer) -> None:
    assert run([], [dns_server.spec]) == (SourceCheck("ok", "no domains to look up"), {}, {}, 0)
    assert dns_server.queries == []


def test_resolver_that_denies_gmail_is_not_believed(dns_server: DnsServer) -> None:
    """The resolver of chaingate's own build machines: NXDOMAIN for everything."""
    dns_server.mode = "nxdomain"
    domains = ["example.org", "lapsed.org"]

    source, answers, errors, sent = run(domains, [dns_server.spec])

    assert source.status == "unavailable"
    assert "gmail.com" in source.reason
    assert "NXDOMAIN" in source.reason
    assert dns_server.spec in source.reason
    assert "DNS checks skipped" in source.reason
    assert answers == {"example.org": None, "lapsed.org": None}  # not "does not exist"
    assert errors == dict.fromkeys(domains, source.reason)
    assert per_domain_queries(dns_server) == []
    assert sent == len(DNS_CANARIES) == len(dns_server.queries)


def test_one_denied_canary_is_enough(dns_server: DnsServer) -> None:
    dns_server.remove("gmail.com")  # pypi.org and python.org still answer
    source, answers, _, _ = run(["pypi.org"], [dns_server.spec])
    assert source.status == "unavailable"
    assert "says gmail.com does not exist (NXDOMAIN)" in source.reason
    assert "pypi.org" not in source.reason
    assert answers == {"pypi.org": None}
    assert per_domain_queries(dns_server) == []


def test_dead_server_costs_about_the_timeout(dns_server: DnsServer) -> None:
    dns_server.mode = "drop"
    dns_server.add("example.org", a=["192.0.2.1"])

    start = time.monotonic()
    source, answers, _, _ = run(["example.org", "other.org"], [dns_server.spec], timeout=0.5)
    elapsed = time.monotonic() - start

    assert elapsed < 3
    assert source.status == "unavailable"
    assert "could not resolve" in source.reason and "0.5 s" in source.reason
    assert answers == {"example.org": None, "other.org": None}
    assert per_domain_queries(dns_server) == []


def test_servfail_everywhere_is_unavailable(dns_server: DnsServer) -> None:
    dns_server.mode = "servfail"
    source, answers, _, _ = run(["example.org"], [dns_server.spec])
    assert source.status == "unavailable"
    assert "SERVFAIL" in source.reason
    assert answers == {"example.org": None}


class PartlyBrokenDns(DnsServer):
    """A server that answers the canaries but fails for some names: SERVFAIL, or silence."""

    def __init__(self, servfail: Iterable[str] = (), silent: Iterable[str] = ()) -> None:
        super().__init__()
        self.servfail = set(servfail)
        self.silent = set(silent)

    def _answer(self, request: DNSRecord) -> DNSRecord | None:
        reply = super()._answer(request)
        name = str(request.q.qname).rstrip(".").lower()
        if name in self.silent:
            return None
        if reply is not None and name in self.servfail:
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
        return reply


def test_servfail_for_one_domain_is_unknown_not_missing() -> None:
    with PartlyBrokenDns(servfail=["broken.org"], silent=["slow.org"]) as server:
        server.add("fine.org", a=["192.0.2.1"], mx=["10 mx.fine.org."], ns=["ns.fine.org."])
        server.add("broken.org", a=["192.0.2.2"])
        server.add("slow.org", a=["192.0.2.3"])

        source, answers, errors, _ = run(
            ["fine.org", "broken.org", "slow.org"], [server.spec], timeout=0.5
        )

    assert source.status == "ok"
    assert answers["fine.org"] == DnsAnswer(exists=True, has_a=True, has_mx=True, has_ns=True)
    assert answers["broken.org"] is None
    assert "SERVFAIL" in errors["broken.org"]
    assert answers["slow.org"] is None
    assert "no answer within 0.5 s" in errors["slow.org"]
    assert "fine.org" not in errors


def test_canaries_partly_failing_is_still_believed() -> None:
    """One canary timing out is a flaky network, not a lying resolver."""
    with PartlyBrokenDns(silent=["python.org"]) as server:
        source, answers, _, _ = run(["pypi.org"], [server.spec], timeout=0.5)
    assert source.status == "ok"
    assert answers["pypi.org"] == DnsAnswer(exists=True, has_a=True, has_mx=True, has_ns=True)


@pytest.mark.parametrize(
    ("servers", "words"),
    [
        (["dns.example.org"], "not an IP address"),
        (["127.0.0.1:99999"], "bad port"),
        (["[::1"], "expected [IPv6]:PORT"),
        ([], "no DNS servers configured"),
    ],
)
def test_bad_server_setting_is_unavailable_without_queries(servers: list[str], words: str) -> None:
    source, answers, errors, sent = run(["example.org"], servers)
    assert source.status == "unavailable"
    assert words in source.reason
    assert answers == {"example.org": None}
    assert errors["example.org"] == source.reason
    assert sent == 0


def test_dnspython_is_loaded_only_when_a_query_will_be_sent(dns_server: DnsServer) -> None:
    """A run that sends no query (here: a bad server setting) does not import dnspython
    (~25-40 ms); one that sends queries does. In a fresh interpreter, as a scan runs."""
    code = (
        "import asyncio, sys\n"
        "from chaingate.facts.intel.dns import check_dns\n"
        "asyncio.run(check_dns(['example.org'], sys.argv[1:]))\n"
        "print('dns' in sys.modules)\n"
    )
    for servers, loaded in ((["dns.example.org"], "False"), ([dns_server.spec], "True")):
        done = subprocess.run(
            [sys.executable, "-c", code, *servers], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == loaded, servers


def test_ipv6_server_spec_is_understood() -> None:
    """`[::1]:PORT` parses; nothing listens there, so the canaries fail (quickly)."""
    source, _, _, sent = run(["example.org"], ["[::1]:9"], timeout=0.5)
    assert source.status == "unavailable"
    assert "[::1]:9" in source.reason
    assert sent == len(DNS_CANARIES)


def test_servers_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINGATE_DNS_SERVERS", raising=False)
    assert servers_from_env() is None
    monkeypatch.setenv("CHAINGATE_DNS_SERVERS", " ")
    assert servers_from_env() is None
    monkeypatch.setenv("CHAINGATE_DNS_SERVERS", "10.0.0.1, [::1]:5353,127.0.0.1:53,")
    assert servers_from_env() == ["10.0.0.1", "[::1]:5353", "127.0.0.1:53"]
