"""`chaingate domains`: every maintainer email domain of the tree, what DNS and RDAP say
about it, and the addresses, accounts and packages behind it."""

from __future__ import annotations

import io
from datetime import datetime

import msgspec
from rich.console import Console
from rich.table import Table
from rich.text import Text

from chaingate import __version__
from chaingate.engine.result import ScanResult
from chaingate.facts.intel.interface import DomainFacts, dns_json, rdap_json
from chaingate.facts.intel.psl import registrable_domain
from chaingate.report.json import pretty_json

SCHEMA = "chaingate/domains/v1"
_DOMAIN_IDS = (
    "email-domain-unregistered",
    "email-domain-expired",
    "email-domain-expiring",
    "email-domain-reregistered",
    "email-domain-no-mail",
)


class DomainRow(msgspec.Struct):
    domain: str
    emails: set[str] = msgspec.field(default_factory=set)
    packages: set[str] = msgspec.field(default_factory=set)
    accounts: set[str] = msgspec.field(default_factory=set)
    findings: set[str] = msgspec.field(default_factory=set)
    facts: DomainFacts | None = None


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(result: ScanResult) -> list[DomainRow]:
    """One row per registrable domain, most packages first."""
    table: dict[str, DomainRow] = {}
    several = result.several_ecosystems
    for ref, facts in result.facts.items():
        name = str(ref) if several else ref.name
        for person in facts.people:
            domain = registrable_domain(person.domain) or person.domain
            row = table.setdefault(domain, DomainRow(domain, facts=result.domains.get(domain)))
            row.emails.add(person.email)
            row.packages.add(name)
            row.accounts.update(a.user for a in facts.owners)
    for f in result.findings:
        domain = str(f.evidence.get("domain", ""))
        if f.id in _DOMAIN_IDS and domain in table:
            table[domain].findings.add(f.id)
    return sorted(table.values(), key=lambda r: (-len(r.packages), r.domain))


def status(row: DomainRow, result: ScanResult) -> str:
    """A one-word verdict: a finding's name when there is one, else what was seen."""
    for sid in _DOMAIN_IDS:
        if sid in row.findings:
            return sid.removeprefix("email-domain-")
    dns_ok = result.checks.get("dns") is not None and result.checks["dns"].status == "ok"
    rdap_ok = result.checks.get("rdap") is not None and result.checks["rdap"].status == "ok"
    f = row.facts
    if f is None or not (dns_ok or rdap_ok):
        return "unknown"
    if (dns_ok and f.dns and f.dns.exists) or (rdap_ok and f.rdap and f.rdap.registered):
        return "registered"
    return "unknown"


def as_document(result: ScanResult) -> dict[str, object]:
    out = []
    for row in rows(result):
        f = row.facts
        out.append(
            {
                "domain": row.domain,
                "status": status(row, result),
                "findings": sorted(row.findings),
                "dns": dns_json(f.dns) if f else None,
                "rdap": rdap_json(f.rdap) if f else None,
                "errors": {k: v for k, v in (("dns", f.dns_error), ("rdap", f.rdap_error)) if v}
                if f
                else {},
                "checked_at": _iso(f.checked_at) if f else None,
                "emails": sorted(row.emails),
                "accounts": sorted(row.accounts, key=str.lower),
                "packages": sorted(row.packages),
            }
        )
    return {
        "schema": SCHEMA,
        "tool": {"name": "chaingate", "version": __version__},
        "root": result.inventory.root,
        "checks": {
            k: {"status": v.status, "reason": v.reason}
            for k, v in result.checks.items()
            if k in ("dns", "rdap")
        },
        "domains": out,
    }


def render_domains_json(result: ScanResult) -> str:
    return pretty_json(as_document(result))


def render_domains_text(result: ScanResult, width: int | None = None) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width or 100, force_terminal=False, color_system=None)
    all_rows = rows(result)
    console.print(
        Text(f"{len(all_rows)} maintainer email domains behind {len(result.facts)} packages")
    )
    for name in ("dns", "rdap"):
        check = result.checks.get(name)
        if check is not None and check.status != "ok":
            console.print(Text(f"{name.upper()} unavailable: {check.reason}", style="yellow"))
    table = Table(show_edge=False, pad_edge=False)
    for column in ("domain", "status", "registered", "expires", "packages", "accounts"):
        table.add_column(column, overflow="fold")
    for row in all_rows:
        rdap = row.facts.rdap if row.facts else None
        table.add_row(
            row.domain,
            status(row, result),
            (_iso(rdap.registration) or "")[:10] if rdap else "",
            (_iso(rdap.expiration) or "")[:10] if rdap else "",
            ", ".join(sorted(row.packages)[:4]) + (" …" if len(row.packages) > 4 else ""),
            ", ".join(sorted(row.accounts, key=str.lower)[:3])
            + (" …" if len(row.accounts) > 3 else ""),
        )
    console.print(table)
    return buf.getvalue()
