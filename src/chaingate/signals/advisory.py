"""Known bad: vulnerabilities the registry reports for the version in use."""

from __future__ import annotations

from collections.abc import Iterator

from chaingate.core.findings import Finding, Severity
from chaingate.signals.catalog import PackageContext, package_signal


@package_signal(
    "known-vulnerability",
    Severity.HIGH,
    "advisory",
    "The registry reports a vulnerability (or malicious-package report) for the version in use",
)
def known_vulnerability(ctx: PackageContext) -> Iterator[Finding]:
    vulns = [v for v in ctx.vulnerabilities or () if not v.withdrawn]
    if not vulns:
        return
    malicious = [v for v in vulns if v.id.startswith("MAL-")]
    severity = Severity.CRITICAL if malicious else Severity.HIGH
    ids = ", ".join(v.id for v in vulns[:5]) + (
        f" and {len(vulns) - 5} more" if len(vulns) > 5 else ""
    )
    fixed = sorted({fx for v in vulns for fx in v.fixed_in})
    advice = f" Fixed in: {', '.join(fixed[:5])}." if fixed else " No fixed version is listed."
    yield Finding(
        id="known-vulnerability",
        severity=severity,
        package=ctx.package.name,
        version=ctx.package.version,
        message=f"{len(vulns)} known vulnerabilit{'y' if len(vulns) == 1 else 'ies'}: "
        f"{ids}.{advice}",
        evidence={
            "vulnerabilities": [
                {
                    "id": v.id,
                    "aliases": list(v.aliases),
                    "summary": v.summary[:300],
                    "fixed_in": list(v.fixed_in),
                    "link": v.link,
                }
                for v in vulns
            ]
        },
    )
