"""Maintainer email domains: whoever controls the domain receives the password reset.

ctx (PyPI, May 2022): the owner's domain had lapsed; the attacker registered it, reset the
PyPI password and uploaded 38 minutes later, after 7.5 quiet years. Every finding here
comes only from a source that passed its canaries (`ctx.dns_ok`, `ctx.rdap_ok`): a resolver
that denies gmail.com produces no findings at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

from chaingate.core.facts import Person
from chaingate.core.findings import Finding, Severity
from chaingate.facts.intel.interface import (
    DISAGREEMENTS,
    DomainFacts,
    disagreement,
    dns_json,
    rdap_json,
)
from chaingate.facts.intel.providers import LARGE_PROVIDERS
from chaingate.facts.intel.psl import registrable_domain
from chaingate.signals.catalog import PackageContext, declare, emits

_LAPSED = ("redemption period", "pending delete", "pending restore")

declare(
    "email-domain-unregistered",
    Severity.CRITICAL,
    "ownership",
    "A maintainer email domain does not exist: anyone can register it and reset the password",
)
declare(
    "email-domain-expired",
    Severity.HIGH,
    "ownership",
    "A maintainer email domain has expired or is in redemption / pending delete",
)
declare(
    "email-domain-expiring",
    Severity.MEDIUM,
    "ownership",
    "A maintainer email domain expires within 30 days",
)
declare(
    "email-domain-reregistered",
    Severity.HIGH,
    "ownership",
    "A maintainer email domain was registered after the package already used the address",
)
declare(
    "email-domain-sources-disagree",
    Severity.MEDIUM,
    "ownership",
    "DNS and RDAP contradict each other about a maintainer email domain: neither is believed",
)
declare(
    "email-domain-no-mail",
    Severity.MEDIUM,
    "ownership",
    "A maintainer email domain exists but has neither MX nor A records: mail to it bounces",
)


def _stamp(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _by_domain(people: tuple[Person, ...]) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        domain = registrable_domain(p.domain)
        if domain:
            out[domain].append(p)
    return out


def _evidence(domain: str, people: list[Person], facts: DomainFacts) -> dict[str, object]:
    return {
        "domain": domain,
        "emails": [p.email for p in people],
        "fields": sorted({p.field for p in people}),
        "checked_at": _stamp(facts.checked_at),
        "dns": dns_json(facts.dns),
        "rdap": rdap_json(facts.rdap),
    }


def _finding(
    ctx: PackageContext, sid: str, severity: Severity, message: str, evidence: dict[str, object]
) -> Finding:
    return Finding(sid, severity, ctx.package.name, ctx.package.version, message, evidence)


@emits(
    "email-domain-unregistered",
    "email-domain-expired",
    "email-domain-expiring",
    "email-domain-reregistered",
    "email-domain-sources-disagree",
    "email-domain-no-mail",
)
def email_domain_findings(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None or not (ctx.dns_ok or ctx.rdap_ok):
        return
    for domain, people in _by_domain(ctx.facts.people).items():
        facts = ctx.domains.get(domain)
        if facts is None or domain in LARGE_PROVIDERS:
            continue  # a large provider cannot lapse: an answer saying so is wrong
        yield from _one_domain(ctx, domain, people, facts)


def _one_domain(
    ctx: PackageContext, domain: str, people: list[Person], facts: DomainFacts
) -> Iterator[Finding]:
    dns = facts.dns if ctx.dns_ok else None
    rdap = facts.rdap if ctx.rdap_ok else None
    emails = ", ".join(p.email for p in people)
    evidence = _evidence(domain, people, facts)

    nxdomain = dns is not None and not dns.exists
    rdap_missing = rdap is not None and not rdap.registered
    # NXDOMAIN counts unless RDAP (when it answered) says the domain is registered; an RDAP
    # 404 counts unless DNS says the domain exists.
    if (nxdomain and not (rdap is not None and rdap.registered)) or (
        rdap_missing and not (dns is not None and dns.exists)
    ):
        said = " and ".join(
            x for x, on in (("DNS says it does not exist", nxdomain),
                            ("the registry has no record of it", rdap_missing)) if on
        )  # fmt: skip
        yield _finding(
            ctx,
            "email-domain-unregistered",
            Severity.CRITICAL,
            f"{emails} is on {domain}, which is not registered ({said}). Anyone can register "
            f"it, receive the password reset for the account behind {ctx.package.name} and "
            "publish releases (ctx, 2022). Ask the maintainer to change the address, or pin "
            "and review this package.",
            evidence,
        )
        return

    split = disagreement(dns, rdap)
    if split is not None:
        yield _finding(
            ctx,
            "email-domain-sources-disagree",
            Severity.MEDIUM,
            f"{emails} is on {domain}, and the sources contradict each other: "
            f"{DISAGREEMENTS[split]}. "
            + (
                "A resolver that answers for names nobody registered (some ISPs, captive "
                "portals) makes a lapsed domain look alive, and a lapsed domain is how ctx was "
                "taken over (2022)."
                if split == "dns-exists-rdap-unregistered"
                else "A registered domain that is not in DNS (on hold, or no longer delegated) "
                "receives no mail, and is often one on its way to lapsing."
            )
            + " Check the domain's registration with its registry before trusting this "
            "maintainer's address.",
            {**evidence, "disagreement": split},
        )

    if rdap is not None and rdap.registered:
        lapsed = [s for s in rdap.statuses if s in _LAPSED]
        expired = rdap.expiration is not None and rdap.expiration < ctx.now
        if expired or lapsed:
            why = ", ".join(lapsed) if lapsed else f"expired on {_stamp(rdap.expiration)}"
            yield _finding(
                ctx,
                "email-domain-expired",
                Severity.HIGH,
                f"{emails} is on {domain}, whose registration has lapsed ({why}). Once it is "
                "deleted anyone can register it and reset the account's password.",
                evidence,
            )
        elif rdap.expiration is not None and ctx.now <= rdap.expiration < ctx.now + timedelta(
            days=ctx.thresholds.expiring_days
        ):
            days = (rdap.expiration - ctx.now).days
            yield _finding(
                ctx,
                "email-domain-expiring",
                Severity.MEDIUM,
                f"{emails} is on {domain}, which expires in {days} day(s) "
                f"({_stamp(rdap.expiration)}). If it is not renewed, anyone can register it "
                "and reset the account's password.",
                evidence,
            )
        if rdap.registration is not None:
            yield from _reregistered(ctx, domain, people, rdap.registration, evidence)

    if dns is not None and dns.exists and not (dns.has_mx or dns.has_a):
        yield _finding(
            ctx,
            "email-domain-no-mail",
            Severity.MEDIUM,
            f"{emails} is on {domain}, which has neither MX nor A records: mail to it bounces, "
            "so the maintainer cannot receive security notices, and a domain nobody uses is "
            "one nobody renews.",
            evidence,
        )


def _reregistered(
    ctx: PackageContext,
    domain: str,
    people: list[Person],
    registered: datetime,
    evidence: dict[str, object],
) -> Iterator[Finding]:
    assert ctx.facts is not None
    dated = [r for r in ctx.facts.releases if r.uploaded_at is not None]
    first_release = dated[0].uploaded_at if dated else None
    first_seen = min(
        (ctx.email_first_seen[p.email] for p in people if p.email in ctx.email_first_seen),
        default=None,
    )
    anchors = [t for t in (first_release, first_seen) if t is not None]
    if not anchors or registered <= min(anchors):
        return
    older = min(anchors)
    after = [r for r in dated if r.uploaded_at and r.uploaded_at >= registered]
    before = [r for r in dated if r.uploaded_at and r.uploaded_at < registered]
    soon = timedelta(days=ctx.thresholds.reregistered_release_days)
    quick = bool(after) and after[0].uploaded_at - registered <= soon  # type: ignore[operator]
    dormant = bool(before) and registered - before[-1].uploaded_at >= timedelta(  # type: ignore[operator]
        days=ctx.thresholds.dormancy_days
    )
    severity = Severity.CRITICAL if quick or dormant else Severity.HIGH
    emails = ", ".join(p.email for p in people)
    detail = []
    if quick:
        gap = after[0].uploaded_at - registered  # type: ignore[operator]
        hours = gap.total_seconds() / 3600
        detail.append(
            f"{after[0].version} was uploaded {hours:.1f} h after the registration"
            if hours < 72
            else f"{after[0].version} was uploaded {gap.days} days after the registration"
        )
    if dormant:
        detail.append(f"the package had been quiet since {_stamp(before[-1].uploaded_at)}")
    yield _finding(
        ctx,
        "email-domain-reregistered",
        severity,
        f"{domain} (of {emails}) was registered {_stamp(registered)}, after the package already "
        f"had this maintainer ({'first release' if older == first_release else 'first seen'} "
        f"{_stamp(older)}): the address is older than its domain's current owner, which is "
        "how ctx was taken over."
        + (f" {'; '.join(detail).capitalize()}." if detail else "")
        + " Confirm with the maintainer that they still own the domain.",
        {
            **evidence,
            "registered_at": _stamp(registered),
            "package_first_release": _stamp(first_release),
            "address_first_seen": _stamp(first_seen),
            "releases_after_registration": [r.version for r in after[:10]],
            "release_soon_after": quick,
            "dormant_before": dormant,
        },
    )
