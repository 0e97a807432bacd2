"""The local DNS server answers real DNS clients (dnspython) as a real server would."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import dns.asyncquery
import dns.asyncresolver
import dns.flags
import dns.message
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver
import pytest

from tests.dnsserver import DnsServer

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def resolver(server: DnsServer, lifetime: float = 2.0) -> dns.asyncresolver.Resolver:
    r = dns.asyncresolver.Resolver(configure=False)
    r.nameservers = [dns.nameserver.Do53Nameserver(server.host, server.port)]
    r.lifetime = lifetime
    r.timeout = lifetime
    return r


async def answers(server: DnsServer, name: str, rdtype: str, tcp: bool = False) -> list[str]:
    answer = await resolver(server).resolve(name, rdtype, tcp=tcp)
    return sorted(rdata.to_text() for rdata in answer)


def raw(server: DnsServer, name: str, rdtype: str, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    if tcp:
        return run(dns.asyncquery.tcp(query, server.host, port=server.port, timeout=2))
    return run(dns.asyncquery.udp(query, server.host, port=server.port, timeout=2))


# --- a healthy resolver ----------------------------------------------------------------------


def test_listens_on_one_port_for_udp_and_tcp(dns_server: DnsServer) -> None:
    assert dns_server.host == "127.0.0.1"
    assert dns_server.spec == f"127.0.0.1:{dns_server.port}"
    udp = raw(dns_server, "pypi.org", "A")
    tcp = raw(dns_server, "pypi.org", "A", tcp=True)
    assert udp.rcode() == tcp.rcode() == dns.rcode.NOERROR
    assert udp.answer == tcp.answer


def test_canaries_exist_by_default(dns_server: DnsServer) -> None:
    for name in ("pypi.org", "gmail.com", "python.org"):
        assert run(answers(dns_server, name, "A")), name
        assert run(answers(dns_server, name, "MX")), name


def test_added_domain_answers_each_type(dns_server: DnsServer) -> None:
    dns_server.add(
        "example.org",
        a=["192.0.2.1", "192.0.2.2"],
        aaaa=["2001:db8::1"],
        mx=["10 mx.example.org.", "20 mx2.example.org."],
        ns=["ns1.example.net."],
    )

    assert run(answers(dns_server, "example.org", "A")) == ["192.0.2.1", "192.0.2.2"]
    assert run(answers(dns_server, "example.org", "AAAA")) == ["2001:db8::1"]
    assert run(answers(dns_server, "example.org", "MX")) == [
        "10 mx.example.org.",
        "20 mx2.example.org.",
    ]
    assert run(answers(dns_server, "example.org", "NS")) == ["ns1.example.net."]
    assert run(answers(dns_server, "EXAMPLE.Org.", "A")) == ["192.0.2.1", "192.0.2.2"]


def test_replies_are_authoritative_and_echo_the_question(dns_server: DnsServer) -> None:
    reply = raw(dns_server, "PyPI.org", "MX")

    assert reply.flags & dns.flags.QR and reply.flags & dns.flags.AA
    assert reply.question[0].name.to_text() == "PyPI.org."


def test_an_existing_domain_without_the_type_is_nodata(dns_server: DnsServer) -> None:
    dns_server.add("a-only.test", a=["192.0.2.5"])

    with pytest.raises(dns.resolver.NoAnswer):
        run(answers(dns_server, "a-only.test", "MX"))
    reply = raw(dns_server, "a-only.test", "MX")
    assert (reply.rcode(), reply.answer) == (dns.rcode.NOERROR, [])


def test_a_domain_added_without_records_exists(dns_server: DnsServer) -> None:
    dns_server.add("parked.test")

    for rdtype in ("A", "MX", "NS", "TXT"):
        reply = raw(dns_server, "parked.test", rdtype)
        assert (reply.rcode(), reply.answer) == (dns.rcode.NOERROR, []), rdtype


def test_unknown_names_and_unadded_subdomains_are_nxdomain(dns_server: DnsServer) -> None:
    dns_server.add("example.org", a=["192.0.2.1"])

    for name in ("never-added.test", "sub.example.org", "mx.example.org"):
        with pytest.raises(dns.resolver.NXDOMAIN):
            run(answers(dns_server, name, "A"))
        reply = raw(dns_server, name, "MX")
        assert reply.rcode() == dns.rcode.NXDOMAIN, name
        assert reply.flags & dns.flags.AA, name


def test_any_returns_every_record(dns_server: DnsServer) -> None:
    dns_server.add("example.org", a=["192.0.2.1"], mx=["10 mx.example.org."])

    reply = raw(dns_server, "example.org", "ANY")
    assert sorted(dns.rdatatype.to_text(rrset.rdtype) for rrset in reply.answer) == ["A", "MX"]


def test_add_again_replaces_the_given_types_only(dns_server: DnsServer) -> None:
    dns_server.add("example.org", a=["192.0.2.1"], mx=["10 mx.example.org."])
    dns_server.add("example.org", a=["192.0.2.9"])

    assert run(answers(dns_server, "example.org", "A")) == ["192.0.2.9"]
    assert run(answers(dns_server, "example.org", "MX")) == ["10 mx.example.org."]


def test_remove_makes_a_domain_nxdomain(dns_server: DnsServer) -> None:
    dns_server.remove("gmail.com")

    assert raw(dns_server, "gmail.com", "MX").rcode() == dns.rcode.NXDOMAIN
    assert "gmail.com" not in dns_server.domains()


def test_zones_are_loaded_at_construction() -> None:
    zones = {"example.org": {"mx": ["5 mail.example.org."]}, "bare.test": {}}
    with DnsServer(zones) as server:
        assert run(answers(server, "example.org", "MX")) == ["5 mail.example.org."]
        assert raw(server, "bare.test", "A").rcode() == dns.rcode.NOERROR
        assert run(answers(server, "pypi.org", "A"))  # the canaries are still there


def test_bad_records_and_modes_are_refused(dns_server: DnsServer) -> None:
    with pytest.raises(ValueError):
        DnsServer({"example.org": {"TXT": ["v=spf1 -all"]}})
    with pytest.raises(ValueError):
        dns_server.mode = "broken"  # type: ignore[assignment]


# --- TCP -------------------------------------------------------------------------------------


def test_tcp_answers_like_udp(dns_server: DnsServer) -> None:
    dns_server.add("example.org", mx=["10 mx.example.org."])

    assert run(answers(dns_server, "example.org", "MX", tcp=True)) == ["10 mx.example.org."]
    with pytest.raises(dns.resolver.NXDOMAIN):
        run(answers(dns_server, "nope.test", "MX", tcp=True))


def test_tcp_connection_carries_several_queries(dns_server: DnsServer) -> None:
    with socket.create_connection((dns_server.host, dns_server.port), timeout=2) as sock:
        for name, rcode in (("pypi.org", dns.rcode.NOERROR), ("nope.test", dns.rcode.NXDOMAIN)):
            query = dns.message.make_query(name, "A")
            reply = dns.query.tcp(query, dns_server.host, timeout=2, sock=sock)
            assert reply.rcode() == rcode, name


# --- modes -----------------------------------------------------------------------------------


def test_nxdomain_mode_denies_even_the_canaries(dns_server: DnsServer) -> None:
    dns_server.mode = "nxdomain"

    for name in ("pypi.org", "gmail.com", "python.org"):
        with pytest.raises(dns.resolver.NXDOMAIN):
            run(answers(dns_server, name, "A"))
    dns_server.mode = "normal"
    assert run(answers(dns_server, "gmail.com", "MX"))


def test_servfail_mode(dns_server: DnsServer) -> None:
    dns_server.mode = "servfail"

    assert raw(dns_server, "pypi.org", "A").rcode() == dns.rcode.SERVFAIL
    assert raw(dns_server, "pypi.org", "A", tcp=True).rcode() == dns.rcode.SERVFAIL
    with pytest.raises(dns.resolver.NoNameservers):
        run(answers(dns_server, "pypi.org", "A"))


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_drop_mode_times_clients_out(dns_server: DnsServer, tcp: bool) -> None:
    dns_server.mode = "drop"

    started = time.monotonic()
    with pytest.raises(dns.resolver.LifetimeTimeout):
        run(resolver(dns_server, lifetime=0.3).resolve("pypi.org", "A", tcp=tcp))
    assert time.monotonic() - started < 2
    assert ("pypi.org", "A") in dns_server.queries
    dns_server.mode = "normal"
    assert run(answers(dns_server, "pypi.org", "A", tcp=tcp))


# --- observation and load --------------------------------------------------------------------


def test_queries_are_logged_lowercase_without_the_dot(dns_server: DnsServer) -> None:
    run(answers(dns_server, "PyPI.org.", "MX"))
    with pytest.raises(dns.resolver.NXDOMAIN):
        run(answers(dns_server, "Nope.TEST", "NS"))

    assert dns_server.queries == [("pypi.org", "MX"), ("nope.test", "NS")]
    dns_server.clear_log()
    assert dns_server.queries == []


def test_sustains_a_benchmark_load(dns_server: DnsServer) -> None:
    """500 domains x (A, MX, NS) at concurrency 50, as chaingate's benchmark queries."""
    for i in range(0, 500, 2):
        dns_server.add(f"real{i}.test", a=["192.0.2.1"], mx=["10 mx.real.test."])
    names = [f"real{i}.test" if i % 2 == 0 else f"gone{i}.test" for i in range(500)]

    async def load() -> dict[str, int]:
        r = resolver(dns_server, lifetime=5.0)
        gate = asyncio.Semaphore(50)
        outcome = {"answer": 0, "nodata": 0, "nxdomain": 0}

        async def one(name: str, rdtype: str) -> None:
            async with gate:
                try:
                    await r.resolve(name, rdtype)
                    outcome["answer"] += 1
                except dns.resolver.NoAnswer:
                    outcome["nodata"] += 1
                except dns.resolver.NXDOMAIN:
                    outcome["nxdomain"] += 1

        await asyncio.gather(*(one(n, t) for n in names for t in ("A", "MX", "NS")))
        return outcome

    started = time.monotonic()
    outcome = run(load())
    assert outcome == {"answer": 500, "nodata": 250, "nxdomain": 750}
    assert time.monotonic() - started < 30
    assert len(dns_server.queries) >= 1500


def test_wildcard_mode_answers_every_name(dns_server: DnsServer) -> None:
    """A captive portal: names that cannot exist get an address; added names are as added."""
    dns_server.add("example.org", mx=["10 mx.example.org."])
    dns_server.mode = "wildcard"

    assert run(answers(dns_server, "no-such-name.invalid", "A")) == ["192.0.2.254"]
    assert run(answers(dns_server, "lapsed.com", "A", tcp=True)) == ["192.0.2.254"]
    with pytest.raises(dns.resolver.NoAnswer):
        run(answers(dns_server, "lapsed.com", "MX"))
    assert run(answers(dns_server, "example.org", "MX")) == ["10 mx.example.org."]
    dns_server.mode = "normal"
    with pytest.raises(dns.resolver.NXDOMAIN):
        run(answers(dns_server, "lapsed.com", "A"))
