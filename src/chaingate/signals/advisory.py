"""Known bad: advisories for the version in use -- vulnerabilities, and malicious-package
reports (OpenSSF malicious-packages `MAL-` records), from OSV and the registry's own lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from chaingate.core.facts import Vulnerability
from chaingate.core.findings import Finding, Severity
from chaingate.facts.advisories.osv import smallest_upgrade
from chaingate.signals.catalog import PackageContext, package_signal

# The databases' words (GitHub's `database_specific.severity`) as chaingate's severities.
_WORDS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


def _current(ctx: PackageContext) -> list[Vulnerability]:
    return [v for v in ctx.vulnerabilities or () if not v.withdrawn]


def _evidence(vulns: Sequence[Vulnerability]) -> list[dict[str, object]]:
    return [
        {
            "id": v.id,
            "aliases": list(v.aliases),
            "summary": v.summary[:300],
            "severity": v.severity,
            "score": v.score,
            "fixed_in": list(v.fixed_in),
            "whole_package": v.whole_package,
            "link": v.link,
        }
        for v in vulns
    ]


def _ids(vulns: Sequence[Vulnerability]) -> str:
    return ", ".join(v.id for v in vulns[:5]) + (
        f" and {len(vulns) - 5} more" if len(vulns) > 5 else ""
    )


def _record_severity(v: Vulnerability) -> Severity:
    """A record's severity: from its CVSS base score (the CVSS v3 bands: 9.0 critical, 7.0
    high, 4.0 medium, else low), else its database's word; HIGH when it gives neither (the
    registry's lists): not knowing is not "low"."""
    if v.score is not None:
        if v.score >= 9.0:
            return Severity.CRITICAL
        if v.score >= 7.0:
            return Severity.HIGH
        return Severity.MEDIUM if v.score >= 4.0 else Severity.LOW
    return _WORDS.get((v.severity or "").upper(), Severity.HIGH)


def _severity(vulns: Sequence[Vulnerability]) -> Severity:
    """The worst of the records' severities."""
    return max((_record_severity(v) for v in vulns), default=Severity.HIGH)


def upgrade(vulns: Sequence[Vulnerability], version: str, releases: Sequence[str]) -> str | None:
    """The smallest release above `version` that none of `vulns` covers. A record without
    version data (the registry's lists) counts through its lowest fixed version above
    `version`; None when such a record names none (nothing known fixes it)."""
    ranged = [v for v in vulns if v.versions or v.ranges or v.whole_package]
    floors = []
    for v in vulns:
        if v.versions or v.ranges or v.whole_package:
            continue
        later = [f for f in v.fixed_in if _key(f) > _key(version)]
        if not later:
            return None
        floors.append(min(later, key=_key))
    floor = max(floors, key=_key) if floors else None
    if not ranged:
        return floor
    above = [r for r in releases if floor is None or _key(r) >= _key(floor)]
    return smallest_upgrade(ranged, version, above)


def _key(text: str) -> tuple[int, object]:
    from packaging.version import InvalidVersion, Version

    try:
        return (1, Version(text))
    except InvalidVersion:
        return (0, text)


@package_signal(
    "known-vulnerability",
    Severity.HIGH,
    "advisory",
    "A published advisory (OSV, or the registry's list) covers the version in use",
)
def known_vulnerability(ctx: PackageContext) -> Iterator[Finding]:
    vulns = [v for v in _current(ctx) if not v.malicious and not v.id.startswith("MAL-")]
    if not vulns:
        return
    version = ctx.package.version or ""
    releases = [r.version for r in ctx.facts.releases if not r.yanked] if ctx.facts else []
    best = upgrade(vulns, version, releases)
    fixed = sorted({fx for v in vulns for fx in v.fixed_in}, key=_key)
    if best:
        advice = f" Smallest upgrade that fixes all of them: {best}."
    elif fixed:
        advice = f" Fixed in: {', '.join(fixed[:5])}; no release fixes all of them."
    else:
        advice = " No fixed version is listed."
    aliases = sorted({a for v in vulns for a in v.aliases if a.startswith(("CVE-", "GHSA-"))})
    also = f" ({', '.join(aliases[:5])}{', ...' if len(aliases) > 5 else ''})" if aliases else ""
    yield Finding(
        id="known-vulnerability",
        severity=_severity(vulns),
        package=ctx.package.name,
        version=ctx.package.version,
        message=f"{len(vulns)} known vulnerabilit{'y' if len(vulns) == 1 else 'ies'}: "
        f"{_ids(vulns)}{also}.{advice}",
        evidence={"vulnerabilities": _evidence(vulns), "upgrade": best},
    )


@package_signal(
    "known-malicious",
    Severity.CRITICAL,
    "advisory",
    "A malicious-package report (OpenSSF malicious-packages, MAL-) covers the version in use",
)
def known_malicious(ctx: PackageContext) -> Iterator[Finding]:
    reports = [v for v in _current(ctx) if v.malicious or v.id.startswith("MAL-")]
    if not reports:
        return
    whole = any(v.whole_package for v in reports)
    scope = "every version of the package" if whole else f"version {ctx.package.version}"
    yield Finding(
        id="known-malicious",
        severity=Severity.CRITICAL,
        package=ctx.package.name,
        version=ctx.package.version,
        message=f"reported malicious ({_ids(reports)}), covering {scope}: "
        f"{reports[0].summary[:200]}",
        evidence={"reports": _evidence(reports)},
    )
