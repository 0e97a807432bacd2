"""The outcome of a scan: the one value every output format renders."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import msgspec

from chaingate.core.facts import ProjectFacts
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.core.scopes import sorted_scopes
from chaingate.core.status import CheckStatus, Incomplete
from chaingate.facts.intel.interface import DomainFacts
from chaingate.policy.ignore import Ignored


class Maintainer(msgspec.Struct, frozen=True):
    """One registry account and the packages of this tree it holds a role on."""

    account: str
    packages: tuple[str, ...]
    roles: tuple[str, ...]
    ecosystem: str | None = None  # the registry the account belongs to


class NamedRole(msgspec.Struct, frozen=True):
    """An account named beside an organisation: its role on some of the organisation's
    packages."""

    account: str
    role: str
    packages: tuple[str, ...]


class Organization(msgspec.Struct, frozen=True):
    """One registry organisation and the packages of this tree it owns. Its members are not
    public: `roles` are only the accounts the index names on those packages beside it."""

    name: str
    packages: tuple[str, ...]
    roles: tuple[NamedRole, ...]
    ecosystem: str | None = None  # the registry the organisation belongs to


class ScopeCount(msgspec.Struct, frozen=True):
    """One scope of the tree (runtime, an extra, a dependency group) and the principals
    its packages trust."""

    scope: str
    packages: int
    direct: int
    maintainers: int
    organizations: int
    email_domains: int


class ScanResult(msgspec.Struct, frozen=True):
    inventory: Inventory
    facts: dict[PackageRef, ProjectFacts]  # by project (a ref without a version)
    findings: tuple[Finding, ...]
    incomplete: tuple[Incomplete, ...]
    index_url: str
    started_at: datetime
    finished_at: datetime
    checks: dict[str, CheckStatus] = msgspec.field(default_factory=dict)
    ignored: tuple[Ignored, ...] = ()  # findings silenced by an exception, with its reason
    domains: dict[str, DomainFacts] = msgspec.field(
        default_factory=dict
    )  # email-domain intelligence
    notes: tuple[str, ...] = ()  # things the reader should know (e.g. an expired exception)
    as_of: datetime | None = None  # --as-of: the time whose registry facts were judged

    @property
    def packages(self) -> tuple[Package, ...]:
        return self.inventory.packages

    def facts_of(self, pkg: Package | PackageRef) -> ProjectFacts | None:
        """The registry's facts for a package of this tree, if they could be had."""
        return self.facts.get(PackageRef(pkg.ecosystem, pkg.name))

    @property
    def several_ecosystems(self) -> bool:
        """A tree of several ecosystems names packages and accounts `ecosystem:name`
        (`requests` could be two different packages)."""
        return len({p.ecosystem for p in self.inventory.packages}) > 1

    def scope_names(self) -> tuple[str, ...]:
        """Every scope of the tree, runtime first."""
        return sorted_scopes(s for p in self.inventory.packages for s in p.scopes)

    def in_scope(self, scope: str) -> set[PackageRef]:
        """The projects (refs without a version) of the packages in `scope`."""
        return {
            PackageRef(p.ecosystem, p.name) for p in self.inventory.packages if scope in p.scopes
        }

    def scope_counts(self) -> list[ScopeCount]:
        """Per scope, runtime first: its packages and the principals they trust."""
        out = []
        for scope in self.scope_names():
            refs = self.in_scope(scope)
            packages = [p for p in self.inventory.packages if scope in p.scopes]
            out.append(
                ScopeCount(
                    scope,
                    packages=len(packages),
                    direct=sum(1 for p in packages if p.direct),
                    maintainers=len(self.maintainers(refs)),
                    organizations=len(self.organizations(refs)),
                    email_domains=len(self.email_domains(refs)),
                )
            )
        return out

    def _facts_within(
        self, within: set[PackageRef] | None
    ) -> list[tuple[PackageRef, ProjectFacts]]:
        return [(r, f) for r, f in self.facts.items() if within is None or r in within]

    def maintainers(self, within: set[PackageRef] | None = None) -> list[Maintainer]:
        """Accounts with a role on any package (of the projects `within`, if given), most
        packages first. An account is one registry's: the same user name on two registries
        is two accounts."""
        pkgs: dict[tuple[str, str], set[str]] = defaultdict(set)
        roles: dict[tuple[str, str], set[str]] = defaultdict(set)
        several = self.several_ecosystems
        for ref, facts in self._facts_within(within):
            for acct in facts.owners:
                pkgs[(ref.ecosystem, acct.user)].add(str(ref) if several else ref.name)
                roles[(ref.ecosystem, acct.user)].add(acct.role)
        out = [
            Maintainer(
                f"{eco}:{user}" if several else user,
                tuple(sorted(pkgs[(eco, user)])),
                tuple(sorted(roles[(eco, user)])),
                eco,
            )
            for eco, user in pkgs
        ]
        out.sort(key=lambda m: (-len(m.packages), m.account.lower()))
        return out

    def organizations(self, within: set[PackageRef] | None = None) -> list[Organization]:
        """Organisations owning any package (of the projects `within`, if given), most
        packages first; beside each, the accounts named on its packages with their roles."""
        pkgs: dict[tuple[str, str], set[str]] = defaultdict(set)
        named: dict[tuple[str, str], dict[tuple[str, str], set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        several = self.several_ecosystems
        for ref, facts in self._facts_within(within):
            if not facts.organization:
                continue
            key = (ref.ecosystem, facts.organization)
            pkg = str(ref) if several else ref.name
            pkgs[key].add(pkg)
            for acct in facts.owners:
                named[key][(acct.user, acct.role)].add(pkg)
        out = [
            Organization(
                f"{eco}:{org}" if several else org,
                tuple(sorted(pkgs[(eco, org)])),
                tuple(
                    NamedRole(user, role, tuple(sorted(names)))
                    for (user, role), names in sorted(
                        named[(eco, org)].items(), key=lambda kv: (kv[0][0].lower(), kv[0][1])
                    )
                ),
                eco,
            )
            for eco, org in pkgs
        ]
        out.sort(key=lambda o: (-len(o.packages), o.name.lower()))
        return out

    def email_domains(self, within: set[PackageRef] | None = None) -> dict[str, set[str]]:
        """Email domain -> packages whose metadata names an address there. A domain is the
        registrable domain (`mail.example.co.uk` counts as `example.co.uk`), as in
        `chaingate domains`: the one notion of "an email domain" in every report."""
        from chaingate.facts.intel.psl import registrable_domain

        out: dict[str, set[str]] = defaultdict(set)
        several = self.several_ecosystems
        for ref, facts in self._facts_within(within):
            for person in facts.people:
                domain = registrable_domain(person.domain) or person.domain
                out[domain].add(str(ref) if several else ref.name)
        return dict(out)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)
