"""Email-domain intelligence: what DNS and RDAP say about the domain of a maintainer address.

One `DomainFacts` per registrable domain per run. A lookup that could not be made is
recorded as such (`dns is None`, `rdap is None` with a reason), never as "fine"; and when a
source fails its canaries (a resolver that says NXDOMAIN for gmail.com), the whole source is
`unavailable` and no finding may be drawn from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, Protocol

import msgspec

# Domains that must exist. A resolver or RDAP service that denies them cannot be believed.
DNS_CANARIES = ("pypi.org", "gmail.com", "python.org")
RDAP_CANARIES = ("pypi.org", "python.org")

SourceStatus = Literal["ok", "unavailable"]


class DnsAnswer(msgspec.Struct, frozen=True):
    """What the resolver said about a domain. `exists` is False only for NXDOMAIN."""

    exists: bool
    has_mx: bool = False
    has_a: bool = False  # A or AAAA
    has_ns: bool = False


class RdapRecord(msgspec.Struct, frozen=True):
    """Registration facts from RDAP (RFC 9083 `events` and `status`).

    `registered` is False when the registry's RDAP server answered 404 (no such object).
    """

    registered: bool
    registration: datetime | None = None
    expiration: datetime | None = None
    last_changed: datetime | None = None
    statuses: tuple[str, ...] = ()  # lowercased, e.g. "redemption period", "pending delete"
    url: str | None = None  # the RDAP document it came from


class DomainFacts(msgspec.Struct, frozen=True):
    domain: str  # registrable domain (public suffix list), lowercase
    checked_at: datetime
    dns: DnsAnswer | None  # None: DNS could not answer for this domain (timeout, SERVFAIL)
    rdap: RdapRecord | None  # None: no RDAP answer (no server for the TLD, error)
    dns_error: str | None = None
    rdap_error: str | None = None

    @property
    def disagreement(self) -> Disagreement | None:
        """How DNS and RDAP contradict each other about this domain, if they do."""
        return disagreement(self.dns, self.rdap)


Disagreement = Literal["dns-exists-rdap-unregistered", "dns-nxdomain-rdap-registered"]
DISAGREEMENTS: dict[Disagreement, str] = {
    "dns-exists-rdap-unregistered": "DNS says the domain exists, RDAP says it is not registered",
    "dns-nxdomain-rdap-registered": "RDAP says the domain is registered, DNS says it does not "
    "exist (NXDOMAIN)",
}


def disagreement(dns: DnsAnswer | None, rdap: RdapRecord | None) -> Disagreement | None:
    """Whether two answers about one domain contradict each other: neither wins then."""
    if dns is None or rdap is None or dns.exists == rdap.registered:
        return None
    return "dns-exists-rdap-unregistered" if dns.exists else "dns-nxdomain-rdap-registered"


class SourceCheck(msgspec.Struct, frozen=True):
    """Whether a source (DNS, RDAP) can be believed in this run, and why not."""

    status: SourceStatus
    reason: str = ""


class DomainReport(msgspec.Struct, frozen=True):
    """Every domain looked at in one run, and whether each source could be believed."""

    domains: dict[str, DomainFacts] = msgspec.field(default_factory=dict)
    dns: SourceCheck = SourceCheck("unavailable", "not checked")
    rdap: SourceCheck = SourceCheck("unavailable", "not checked")
    queries: int = 0  # DNS queries and RDAP requests sent in this run (0 on a warm re-scan)


def _stamp(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def dns_json(dns: DnsAnswer | None) -> dict[str, bool] | None:
    """A DNS answer as findings' evidence and reports show it."""
    if dns is None:
        return None
    return {"exists": dns.exists, "mx": dns.has_mx, "a": dns.has_a, "ns": dns.has_ns}


def rdap_json(rdap: RdapRecord | None) -> dict[str, object] | None:
    """An RDAP record as findings' evidence and reports show it."""
    if rdap is None:
        return None
    return {
        "registered": rdap.registered,
        "registration": _stamp(rdap.registration),
        "expiration": _stamp(rdap.expiration),
        "last_changed": _stamp(rdap.last_changed),
        "status": list(rdap.statuses),
        "source": rdap.url,
    }


class DomainStore(Protocol):
    """The one thing the domain checks ask of a store: the believable answers it keeps,
    younger than `fresh_after`. `store.interface.ScanStore` provides it; declared here so
    the facts layer does not import the store."""

    def domains(self, domains: Iterable[str], fresh_after: datetime) -> dict[str, DomainFacts]: ...
