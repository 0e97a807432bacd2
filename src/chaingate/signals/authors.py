"""Authors and ownership: who can publish, how many packages one account controls, what
changed since we last looked, and addresses nobody should trust for a password reset."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from disposable_email_domains import blocklist as _DISPOSABLE

from chaingate.core.findings import Finding, Severity
from chaingate.signals.catalog import (
    PackageContext,
    TreeContext,
    account_realm,
    package_signal,
    tree_signal,
)


@package_signal(
    "single-owner",
    Severity.INFO,
    "ownership",
    "One account controls the package (bus factor 1); severity grows with how much of the "
    "tree depends on it. With an organisation beside it, the organisation's owners can publish "
    "too (info)",
)
def single_owner(ctx: PackageContext) -> Iterator[Finding]:
    f = ctx.facts
    if f is None or not f.has_ownership:
        return
    accounts = {a.user for a in f.owners}
    if len(accounts) != 1:
        return  # none named: with an organisation, its members are not public (no finding)
    (account,) = accounts
    name = ctx.package.name
    reach = (
        f"; {ctx.dependents} other package(s) of this tree depend on it" if ctx.dependents else ""
    )
    if f.organization:
        # PyPI lists an organisation's members nowhere: more people may publish, or only one.
        yield Finding(
            id="single-owner",
            severity=Severity.INFO,
            package=name,
            version=ctx.package.version,
            message=(
                f"The account {account!r} is the only account named on {name}, and the "
                f"organisation {f.organization!r} owns it too: its owners can publish as well. "
                f"The index does not list an organisation's members, so how many people can "
                f"publish is not known{reach}."
            ),
            evidence={
                "account": account,
                "organization": f.organization,
                "dependents": ctx.dependents,
                "tree_size": ctx.tree_size,
            },
        )
        return
    share = ctx.dependents / max(1, ctx.tree_size)
    if ctx.dependents >= 10 or (share >= 0.25 and ctx.tree_size >= 8):
        severity = Severity.MEDIUM
    elif ctx.dependents >= 3:
        severity = Severity.LOW
    else:
        severity = Severity.INFO
    yield Finding(
        id="single-owner",
        severity=severity,
        package=name,
        version=ctx.package.version,
        message=(
            f"Only the account {account!r} can publish {name}, and no organisation owns it"
            f"{reach}. One phished password or leaked token is enough to ship a malicious "
            "release."
        ),
        evidence={
            "account": account,
            "organization": None,
            "dependents": ctx.dependents,
            "tree_size": ctx.tree_size,
        },
    )


@package_signal(
    "ownership-unknown",
    Severity.LOW,
    "ownership",
    "The index lists no owner or maintainer account and no organisation: who can publish "
    "the package is unknown",
)
def ownership_unknown(ctx: PackageContext) -> Iterator[Finding]:
    f = ctx.facts
    if f is None or not f.has_ownership or f.owners or f.organization:
        return  # no ownership data at all is the `ownership` check's (unavailable)
    yield Finding(
        id="ownership-unknown",
        severity=Severity.LOW,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"The index names no account and no organisation that can publish "
            f"{ctx.package.name} (an empty ownership.roles). Who controls it is unknown, so "
            "single-owner and ownership changes cannot be judged: an orphaned project, or an "
            "index answer with its owners left out."
        ),
        evidence={"organization": None, "roles": []},
    )


@tree_signal(
    "owner-concentration",
    Severity.LOW,
    "ownership",
    "One account or organisation controls many packages of this tree (the blast radius of "
    "one phished account)",
)
def owner_concentration(ctx: TreeContext) -> Iterator[Finding]:
    # An account is an account of one registry: alice on PyPI is not alice on npm. An
    # organisation is a principal of its own: its owners can publish every package it holds.
    # (GitHub Actions and pre-commit hooks share one: GitHub's, `account_realm`.)
    several = len({account_realm(ref.ecosystem) for ref in ctx.facts}) > 1
    mixed = len({ref.ecosystem for ref in ctx.facts}) > 1
    held: dict[tuple[str, str], set[str]] = defaultdict(set)  # (kind, principal) -> packages
    for ref, facts in ctx.facts.items():
        pkg = str(ref) if mixed else ref.name
        realm = account_realm(ref.ecosystem)
        for acct in facts.owners:
            held[("account", f"{realm}:{acct.user}" if several else acct.user)].add(pkg)
        if facts.organization:
            org = facts.organization
            held[("organization", f"{realm}:{org}" if several else org)].add(pkg)
    with_owners = sum(
        1 for f in ctx.facts.values() if f.has_ownership and (f.owners or f.organization)
    )
    t = ctx.thresholds
    threshold = max(t.concentration_min_packages, round(t.concentration_share * with_owners))
    heavy = sorted(
        ((key, sorted(pkgs)) for key, pkgs in held.items() if len(pkgs) >= threshold),
        key=lambda item: (-len(item[1]), item[0][1].lower(), item[0][0]),
    )
    if not heavy:
        return

    def label(key: tuple[str, str]) -> str:
        return f"organisation {key[1]}" if key[0] == "organization" else key[1]

    top_key, top_pkgs = heavy[0]
    severity = (
        Severity.MEDIUM
        if len(top_pkgs) >= 10 and len(top_pkgs) >= 0.25 * with_owners
        else Severity.LOW
    )
    names = ", ".join(f"{label(key)} ({len(pkgs)})" for key, pkgs in heavy[:5])
    yield Finding(
        id="owner-concentration",
        severity=severity,
        package=None,
        version=None,
        message=(
            f"{len(heavy)} account(s) or organisation(s) each control at least {threshold} "
            f"packages of this tree: {names}. A single phished account among them could "
            f"publish malicious versions of all of those at once; {label(top_key)} alone "
            f"reaches {len(top_pkgs)} of {with_owners} packages."
        ),
        evidence={
            "threshold": threshold,
            "packages_with_owners": with_owners,
            "accounts": [{"account": k[1], "packages": p} for k, p in heavy if k[0] == "account"],
            "organizations": [
                {"organization": k[1], "packages": p} for k, p in heavy if k[0] == "organization"
            ],
        },
    )


@package_signal(
    "ownership-change",
    Severity.MEDIUM,
    "ownership",
    "Owner or maintainer accounts, or the organisation, were added, removed or replaced since "
    "the previous observation",
)
def ownership_change(ctx: PackageContext) -> Iterator[Finding]:
    f, prev = ctx.facts, ctx.previous
    if f is None or prev is None or prev.owners is None or not f.has_ownership:
        return
    before = {a.user: a.role for a in prev.owners}
    after = {a.user: a.role for a in f.owners}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    role_changes = sorted(
        f"{u}: {before[u]} -> {after[u]}" for u in set(before) & set(after) if before[u] != after[u]
    )
    org_before, org_after = prev.organization, f.organization
    org_changed = org_before != org_after
    if not (added or removed or role_changes or org_changed):
        return
    sole_replaced = len(before) == 1 and removed and added
    all_replaced = bool(before) and not (set(before) & set(after))
    org_replaced = org_before is not None and org_after is not None and org_changed
    if sole_replaced or all_replaced or org_replaced:
        severity = Severity.HIGH
    elif added or removed or org_changed:
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    parts = []
    if org_replaced:
        parts.append(f"organisation {org_before} replaced by {org_after}")
    elif org_after and org_changed:
        parts.append(f"organisation {org_after} added")
    elif org_before and org_changed:
        parts.append(f"organisation {org_before} removed")
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    if role_changes:
        parts.append("roles changed " + "; ".join(role_changes))
    lead = "The sole owner was replaced: " if sole_replaced else ""
    who = "accounts" if not org_changed else "owners"
    yield Finding(
        id="ownership-change",
        severity=severity,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{lead}{who} of {ctx.package.name} changed since "
            f"{prev.last_seen_at:%Y-%m-%d}: {'; '.join(parts)}. Ownership transfers are how "
            "event-stream and xz were taken over; confirm the new account or organisation is "
            "known to the project."
        ),
        evidence={
            "previously_seen_at": prev.last_seen_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "before": sorted(before),
            "after": sorted(after),
            "added": added,
            "removed": removed,
            "role_changes": role_changes,
            "organization_before": org_before,
            "organization_after": org_after,
        },
    )


# Reserved by RFC 2606 / RFC 6761: cannot be registered, so no takeover, but no mail either.
_RESERVED_SUFFIXES = (".example", ".invalid", ".test", ".localhost", ".local")
_RESERVED = {"example.com", "example.org", "example.net", "localhost"}
# Placeholders people leave in templates; these ARE registrable by anyone.
_PLACEHOLDERS = {
    "domain.com",
    "yourdomain.com",
    "yourcompany.com",
    "company.com",
    "test.com",
    "foo.com",
    "foo.bar",
    "email.domain",
    "someone.com",
    "somewhere.com",
    "xxx.com",
    "none.com",
    "noemail.com",
}


@package_signal(
    "disposable-email",
    Severity.MEDIUM,
    "ownership",
    "A maintainer email uses a disposable or placeholder domain",
)
def disposable_email(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None:
        return
    for person in ctx.facts.people:
        domain = person.domain
        if domain in _RESERVED or domain.endswith(_RESERVED_SUFFIXES):
            kind, severity = "reserved", Severity.INFO
            why = "a reserved domain that cannot receive mail (no takeover, but no contact)"
        elif domain in _PLACEHOLDERS:
            kind, severity = "placeholder", Severity.LOW
            why = "a placeholder domain someone else can own and receive mail for"
        elif domain in _DISPOSABLE:
            kind, severity = "disposable", Severity.MEDIUM
            why = (
                "anyone can read a disposable inbox, so anyone can receive this account's "
                "password reset"
            )
        else:
            continue
        yield Finding(
            id="disposable-email",
            severity=severity,
            package=ctx.package.name,
            version=ctx.package.version,
            message=f"{person.field} {person.email} is on {domain}, {why}.",
            evidence={"email": person.email, "domain": domain, "kind": kind, "field": person.field},
        )
