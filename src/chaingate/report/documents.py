"""One document per command: the value every format renders for that command.

`scan` shows a ScanResult; `check` the result and the policy's decisions; `diff` what a
change introduces; `domains` the tree's maintainer email domains; `inspect` the code read
in one release. A document also answers the questions every format asks of it (a diff's
headline, the findings a gate acts on, a domain's status), so two formats never work them
out twice. Which format renders which document is declared once, in `report.formats`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import msgspec

from chaingate.core.findings import Severity
from chaingate.core.inventory import Package
from chaingate.engine.result import ScanResult
from chaingate.facts.intel.interface import DomainFacts
from chaingate.policy.interface import Action, Decision
from chaingate.report.summary import Summary, plural

if TYPE_CHECKING:
    from chaingate.analysis.run import InspectOutcome
    from chaingate.engine.diff import DiffResult


class ScanDocument(msgspec.Struct, frozen=True):
    """`chaingate scan`: whom the project trusts and what looks wrong."""

    kind: ClassVar[str] = "scan"
    result: ScanResult


class CheckDocument(msgspec.Struct, frozen=True):
    """`chaingate check`: the scan and the policy's decision on each of its findings."""

    kind: ClassVar[str] = "check"
    result: ScanResult
    decisions: tuple[Decision, ...]

    def acted(self, action: Action) -> list[Decision]:
        """The decisions with this action, in the policy's order (blocks first)."""
        return [d for d in self.decisions if d.action is action]

    @property
    def passed(self) -> bool:
        return not any(d.action is Action.BLOCK for d in self.decisions)

    def gated(self) -> ScanResult:
        """The scan result with only the findings the gate acts on (block, warn): what the
        scan formats (SARIF, Markdown) show for `check`."""
        kept = tuple(d.finding for d in self.decisions if d.action is not Action.IGNORE)
        return msgspec.structs.replace(self.result, findings=kept)


class DiffDocument(msgspec.Struct, frozen=True):
    """`chaingate diff`: only what a change introduces. Its finding, exception and
    incomplete sections are the scan's, shown from `view()`, so a finding looks the same in
    `scan` and `diff` output."""

    kind: ClassVar[str] = "diff"
    diff: DiffResult

    def view(self) -> ScanResult:
        """The head scan with only the new findings (DiffResult.as_scan_result)."""
        return self.diff.as_scan_result()

    def headline(self) -> str:
        """`1 new package, 2 changed versions, 3 new findings (vs HEAD~1)`."""
        diff = self.diff
        added, changed, found = len(diff.added), len(diff.changed), len(diff.new_findings)
        return (
            f"{added} new {plural(added, 'package')}, {changed} changed "
            f"{plural(changed, 'version')}, {found} new {plural(found, 'finding')} "
            f"(vs {diff.base_label})"
        )

    def verdict(self) -> str:
        """One line: `1 high, 2 info new findings (1 ignored); 3 findings already at the
        base (not shown); 1 incomplete`."""
        diff = self.diff
        by_severity = Summary.of(self.view()).findings_by_severity
        counts = [f"{n} {sev.label}" for sev, n in by_severity.items() if n]
        found = len(diff.new_findings)
        line = (
            f"{', '.join(counts)} new {plural(found, 'finding')}" if counts else "no new findings"
        )
        if diff.new_ignored:
            line += f" ({len(diff.new_ignored)} ignored)"
        if diff.unchanged_findings:
            n = diff.unchanged_findings
            line += f"; {n} {plural(n, 'finding')} already at the base (not shown)"
        if diff.incomplete:
            line += f"; {len(diff.incomplete)} incomplete"
        return line


def declared_where(pkg: Package) -> str:
    """Where a package comes from: its declaring line, or the direct dependency behind it."""
    if not pkg.direct and pkg.paths:
        return "via " + " > ".join(pkg.paths[0][:-1])
    if pkg.locations:
        loc = pkg.locations[0]
        return f"{loc.file}:{loc.line}" if loc.line else loc.file
    return ""


DOMAIN_FINDINGS: tuple[str, ...] = (
    "email-domain-unregistered",
    "email-domain-expired",
    "email-domain-expiring",
    "email-domain-reregistered",
    "email-domain-sources-disagree",
    "email-domain-no-mail",
)


class DomainRow(msgspec.Struct):
    """One registrable email domain and the addresses, packages, accounts and organisations
    behind it (an organisation owning one of those packages holds it too)."""

    domain: str
    emails: set[str] = msgspec.field(default_factory=set)
    packages: set[str] = msgspec.field(default_factory=set)
    accounts: set[str] = msgspec.field(default_factory=set)
    organizations: set[str] = msgspec.field(default_factory=set)
    findings: set[str] = msgspec.field(default_factory=set)
    facts: DomainFacts | None = None


class DomainsDocument(msgspec.Struct, frozen=True):
    """`chaingate domains`: every maintainer email domain of the tree and what DNS and
    RDAP say about it."""

    kind: ClassVar[str] = "domains"
    result: ScanResult

    def rows(self) -> list[DomainRow]:
        """One row per registrable domain, most packages first."""
        from chaingate.facts.intel.psl import registrable_domain

        result = self.result
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
                if facts.organization:
                    row.organizations.add(facts.organization)
        for f in result.findings:
            domain = str(f.evidence.get("domain", ""))
            if f.id in DOMAIN_FINDINGS and domain in table:
                table[domain].findings.add(f.id)
        return sorted(table.values(), key=lambda r: (-len(r.packages), r.domain))

    def status(self, row: DomainRow) -> str:
        """A one-word verdict: a finding's name when there is one, else what was seen."""
        for sid in DOMAIN_FINDINGS:
            if sid in row.findings:
                return sid.removeprefix("email-domain-")
        checks = self.result.checks
        dns_ok = checks.get("dns") is not None and checks["dns"].status == "ok"
        rdap_ok = checks.get("rdap") is not None and checks["rdap"].status == "ok"
        f = row.facts
        if f is None or not (dns_ok or rdap_ok):
            return "unknown"
        if (dns_ok and f.dns and f.dns.exists) or (rdap_ok and f.rdap and f.rdap.registered):
            return "registered"
        return "unknown"


def domain_time(moment: datetime | None) -> str | None:
    """A DNS / RDAP time as the domains report shows it (`2022-05-14T18:40:00Z`)."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class InspectDocument(msgspec.Struct, frozen=True):
    """`chaingate inspect`: what reading one release's files found, and with a previous
    release, what this one changed."""

    kind: ClassVar[str] = "inspect"
    outcome: InspectOutcome


def verdict_label(severity: Severity | None) -> str:
    """An inspection verdict as shown: a severity's label, or `none`."""
    return severity.label if severity is not None else "none"


Document = ScanDocument | CheckDocument | DiffDocument | DomainsDocument | InspectDocument
"""Every document a format may be asked to render."""
