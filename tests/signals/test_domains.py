"""Email-domain signals on hand-built DNS / RDAP answers, with "now" pinned."""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from chaingate.core.findings import Finding, Severity
from chaingate.facts.intel.interface import DnsAnswer, DomainFacts, RdapRecord
from chaingate.signals.domains import email_domain_findings
from tests.signals.factories import NOW, at, ctx, facts

ALIVE = DnsAnswer(exists=True, has_mx=True, has_a=True, has_ns=True)


def domain(
    name: str,
    dns: DnsAnswer | None = ALIVE,
    registered: str | None = "2010-01-01",
    expires: str | None = "2030-01-01",
    status: tuple[str, ...] = (),
    rdap: bool = True,
) -> DomainFacts:
    record = None
    if rdap:
        record = RdapRecord(
            registered=registered is not None,
            registration=at(registered) if registered else None,
            expiration=at(expires) if expires else None,
            statuses=status,
        )
    return DomainFacts(name, NOW, dns, record)


def run(
    domains: list[DomainFacts],
    *,
    emails: list[str],
    history: list[tuple[str, str]] | None = None,
    dns_ok: bool = True,
    rdap_ok: bool = True,
    now: datetime = NOW,
    first_seen: dict[str, datetime] | None = None,
) -> dict[str, Finding]:
    c = ctx(facts("demo", history or [("1.0", "2015-01-01")], emails=emails), now=now)
    c = replace(
        c,
        domains={d.domain: d for d in domains},
        dns_ok=dns_ok,
        rdap_ok=rdap_ok,
        email_first_seen=first_seen or {},
    )
    return {f.id: f for f in email_domain_findings(c)}


def test_nxdomain_and_no_rdap_record_is_unregistered() -> None:
    found = run(
        [domain("lapsed.dev", dns=DnsAnswer(exists=False), registered=None)],
        emails=["me@mail.lapsed.dev"],
    )
    f = found["email-domain-unregistered"]
    assert f.severity == Severity.CRITICAL
    assert f.evidence["domain"] == "lapsed.dev"
    assert f.evidence["emails"] == ["me@mail.lapsed.dev"]


def test_nxdomain_is_not_trusted_when_dns_failed_its_canaries() -> None:
    nx = domain("lapsed.dev", dns=DnsAnswer(exists=False), rdap=False)
    assert run([nx], emails=["me@lapsed.dev"], dns_ok=False, rdap_ok=False) == {}
    assert run([nx], emails=["me@lapsed.dev"], dns_ok=False, rdap_ok=True) == {}


def test_rdap_registered_overrides_an_nxdomain() -> None:
    odd = domain("parked.dev", dns=DnsAnswer(exists=False))
    assert "email-domain-unregistered" not in run([odd], emails=["me@parked.dev"])


def test_expired_and_redemption() -> None:
    expired = domain("old.org", expires="2026-11-01")
    assert run([expired], emails=["a@old.org"])["email-domain-expired"].severity == Severity.HIGH
    redemption = domain("red.org", status=("redemption period",))
    assert "email-domain-expired" in run([redemption], emails=["a@red.org"])


def test_expiring_within_30_days() -> None:
    soon = domain("soon.net", expires="2026-12-10")
    f = run([soon], emails=["a@soon.net"])["email-domain-expiring"]
    assert f.severity == Severity.MEDIUM and "14 day" in f.message
    later = domain("later.net", expires="2027-06-01")
    assert run([later], emails=["a@later.net"]) == {}


def test_large_providers_are_never_expiring_or_reregistered() -> None:
    gmail = domain("gmail.com", registered="2020-01-01", expires="2026-12-01")
    assert run([gmail], emails=["x@gmail.com"]) == {}


def test_ctx_reregistration_is_critical() -> None:
    """figlief.com registered 38 minutes before the first upload in 7.5 years."""
    history = [("0.1.2", "2014-12-19T07:31:04"), ("0.1.4", "2022-05-14T19:18:36")]
    ctx_domain = domain("figlief.com", registered="2022-05-14T18:40:00", expires="2023-05-14")
    found = run(
        [ctx_domain],
        emails=["figlief@figlief.com"],
        history=history,
        now=at("2022-05-14T20:00:00"),
    )
    f = found["email-domain-reregistered"]
    assert f.severity == Severity.CRITICAL
    assert f.evidence["release_soon_after"] and f.evidence["dormant_before"]
    assert f.evidence["releases_after_registration"] == ["0.1.4"]
    assert "0.6 h after the registration" in f.message


def test_domain_registered_after_first_release_without_a_quick_release_is_high() -> None:
    history = [("1.0", "2015-01-01"), ("1.1", "2018-03-01"), ("1.2", "2019-06-01")]
    later = domain("janedoe.dev", registered="2018-06-01")
    f = run([later], emails=["jane@janedoe.dev"], history=history)["email-domain-reregistered"]
    assert f.severity == Severity.HIGH


def test_domain_older_than_the_package_is_fine() -> None:
    assert run([domain("acme.io", registered="2001-01-01")], emails=["dev@acme.io"]) == {}


def test_address_seen_before_the_registration_counts_even_without_release_dates() -> None:
    new = domain("fresh.dev", registered="2026-10-01")
    found = run(
        [new],
        emails=["a@fresh.dev"],
        history=[("1.0", "2026-10-15")],
        first_seen={"a@fresh.dev": at("2026-09-01")},
    )
    assert found["email-domain-reregistered"].evidence["address_first_seen"].startswith("2026-09")


def test_no_mail() -> None:
    silent = domain("quiet.dev", dns=DnsAnswer(exists=True, has_ns=True))
    assert "email-domain-no-mail" in run([silent], emails=["a@quiet.dev"])
