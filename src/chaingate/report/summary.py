"""What every format reads from a scan result the same way: the counts at the top
(`Summary`), the fixed order of findings, a package as users type it, a time as JSON shows
it, and the `PackageRef` of a finding or an incomplete entry. Read from one place, so the
terminal, a PR comment and a SARIF upload never disagree about what was found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import msgspec

from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Package
from chaingate.core.refs import PackageRef
from chaingate.core.scopes import sorted_scopes
from chaingate.core.status import Incomplete
from chaingate.engine.result import Organization, ScanResult
from chaingate.policy.ignore import Ignore, Ignored

SEVERITIES_WORST_FIRST: Final = tuple(sorted(Severity, reverse=True))


class Summary(msgspec.Struct, frozen=True):
    """The counts every format shows at the top."""

    packages: int
    direct: int
    transitive: int
    maintainers: int  # distinct registry accounts
    email_domains: int  # distinct
    findings_by_severity: dict[Severity, int]  # every severity, worst first
    incomplete: int
    ignored: int = 0  # findings silenced by an exception (not in findings_by_severity)
    organizations: int = 0  # distinct registry organisations owning a package

    @classmethod
    def of(cls, result: ScanResult) -> Summary:
        direct = sum(1 for p in result.packages if p.direct)
        by_severity = dict.fromkeys(SEVERITIES_WORST_FIRST, 0)
        for finding in result.findings:
            by_severity[finding.severity] += 1
        return cls(
            packages=len(result.packages),
            direct=direct,
            transitive=len(result.packages) - direct,
            maintainers=len(result.maintainers()),
            email_domains=len(result.email_domains()),
            findings_by_severity=by_severity,
            incomplete=len(result.incomplete),
            ignored=len(result.ignored),
            organizations=len(result.organizations()),
        )

    @property
    def findings(self) -> int:
        return sum(self.findings_by_severity.values())

    def verdict(self) -> str:
        """One line: `3 high, 5 medium findings (1 ignored); 2 packages incomplete`."""
        counts = [f"{n} {sev.label}" for sev, n in self.findings_by_severity.items() if n]
        found = f"{', '.join(counts)} {plural(self.findings, 'finding')}" if counts else ""
        found = found or "no findings"
        if self.ignored:
            found += f" ({self.ignored} ignored)"
        if self.incomplete:
            return f"{found}; {self.incomplete} {plural(self.incomplete, 'package')} incomplete"
        return found


class Refs:
    """The `PackageRef` of a finding or an incomplete entry: its own when it names its
    ecosystem, else that of its package in the inventory (signals that do not set the
    ecosystem yet), else None (a project-level finding, a manifest that did not resolve)."""

    def __init__(self, result: ScanResult) -> None:
        self._ecosystems: dict[str, str] = {}
        self._scopes: dict[PackageRef, set[str]] = {}
        for pkg in result.packages:
            self._ecosystems.setdefault(pkg.name, pkg.ecosystem)
            self._scopes.setdefault(PackageRef(pkg.ecosystem, pkg.name), set()).update(pkg.scopes)

    def scopes(self, item: Finding | Incomplete) -> tuple[str, ...] | None:
        """The scopes of the package an item names (every version's), runtime first; None
        for a project-level item or a package the tree does not hold."""
        ref = self.of(item)
        found = self._scopes.get(PackageRef(ref.ecosystem, ref.name)) if ref else None
        return sorted_scopes(found) if found else None

    def of(self, item: Finding | Incomplete) -> PackageRef | None:
        if item.package is None:
            return None
        ecosystem = item.ecosystem or self._ecosystems.get(item.package)
        return None if ecosystem is None else PackageRef(ecosystem, item.package, item.version)


def named_beside(org: Organization, limit: int = 3) -> str:
    """The accounts the index names beside an organisation, as `auvipy (Maintainer)`; when
    none, that its members are not public (which is not "nobody")."""
    if not org.roles:
        return "none named (members not public)"
    names = [f"{r.account} ({r.role})" for r in org.roles[:limit]]
    more = len(org.roles) - limit
    return ", ".join(names) + (f", … and {more} more" if more > 0 else "")


def plural(n: int, word: str) -> str:
    return word if n == 1 else f"{word}s"


def sorted_findings(result: ScanResult) -> list[Finding]:
    """Worst first, then by package and id; fully ordered so output is reproducible."""
    return sorted(result.findings, key=finding_order)


def sorted_ignored(result: ScanResult) -> list[Ignored]:
    """Silenced findings in the same order as `sorted_findings`."""
    return sorted(result.ignored, key=lambda i: finding_order(i.finding))


def sorted_incomplete(result: ScanResult) -> list[Incomplete]:
    """By package, then version."""
    return sorted(result.incomplete, key=lambda i: (i.package, i.version or ""))


def finding_order(finding: Finding) -> tuple[int, str, str, str, str]:
    return (*finding.sort_key(), finding.version or "", finding.message)


def package_key(name: str | None, version: str | None) -> str:
    """`name==version` as users type it; `name` alone when the version is unknown."""
    if name is None:
        return "(project)"
    return f"{name}=={version}" if version else name


def find_package(
    result: ScanResult, name: str | None, version: str | None, ecosystem: str | None = None
) -> Package | None:
    """The inventory entry a finding or incomplete note is about (same version first), in
    `ecosystem` when it is given."""
    if name is None:
        return None
    same_name = [p for p in result.packages if p.name == name and ecosystem in (None, p.ecosystem)]
    for pkg in same_name:
        if pkg.version == version:
            return pkg
    return same_name[0] if same_name else None


def exception_source(by: Ignore, root: str) -> str:
    """Where an exception is written, as `pyproject.toml:12` when it lies under the root."""
    file = by.file
    prefix = root.rstrip("/\\") + "/"
    if file.startswith(prefix):
        file = file[len(prefix) :]
    return f"{file}:{by.line}" if by.line else file


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z` (naive datetimes are taken to be UTC already)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
