"""The outcome of a scan: the one value every output format renders."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import msgspec

from chaingate.core.facts import ProjectFacts
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Package
from chaingate.core.status import CheckStatus, Incomplete
from chaingate.facts.intel.interface import DomainFacts
from chaingate.policy.ignore import Ignored


class Maintainer(msgspec.Struct, frozen=True):
    """One registry account and the packages of this tree it holds a role on."""

    account: str
    packages: tuple[str, ...]
    roles: tuple[str, ...]


class ScanResult(msgspec.Struct, frozen=True):
    inventory: Inventory
    facts: dict[str, ProjectFacts]  # by canonical name
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

    @property
    def packages(self) -> tuple[Package, ...]:
        return self.inventory.packages

    def maintainers(self) -> list[Maintainer]:
        """Accounts with a role on any package, most packages first."""
        pkgs: dict[str, set[str]] = defaultdict(set)
        roles: dict[str, set[str]] = defaultdict(set)
        for name, facts in self.facts.items():
            for acct in facts.owners:
                pkgs[acct.user].add(name)
                roles[acct.user].add(acct.role)
        out = [
            Maintainer(user, tuple(sorted(pkgs[user])), tuple(sorted(roles[user]))) for user in pkgs
        ]
        out.sort(key=lambda m: (-len(m.packages), m.account.lower()))
        return out

    def email_domains(self) -> dict[str, set[str]]:
        """Email domain -> packages whose metadata names an address there."""
        out: dict[str, set[str]] = defaultdict(set)
        for name, facts in self.facts.items():
            for person in facts.people:
                out[person.domain].add(name)
        return dict(out)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)
