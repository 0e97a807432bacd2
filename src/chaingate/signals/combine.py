"""Signals that mean more together. ctx in May 2022 showed every one of them at once: 7.5
quiet years, then eleven versions in ten days, from a single owner, hours old. Each alone is
common among healthy projects; together they are an account takeover in progress."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from msgspec.structs import replace

from chaingate.core.findings import Finding, Severity

# The takeover pattern: dormancy is the anchor; these make it worse. A single owner alone
# does not (most small projects have one), but it completes the picture with any of them --
# a known single owner: one account beside an organisation is not (its owners can publish too).
_AMPLIFIERS = ("release-burst", "new-release", "ownership-change")
_NAME_RISK = ("typosquat", "not-on-registry")
_PUBLISH_RISK = ("release-burst", "new-release")


def combine(findings: Iterable[Finding]) -> list[Finding]:
    """Raise the severity of findings that reinforce each other on the same package, and
    record which ones did it in `evidence["combined_with"]`."""
    by_pkg: dict[tuple[str | None, str | None], list[Finding]] = defaultdict(list)
    for f in findings:
        by_pkg[(f.package, f.version)].append(f)
    out: list[Finding] = []
    for group in by_pkg.values():
        ids = {f.id for f in group}
        if any(f.id == "single-owner" and f.evidence.get("organization") for f in group):
            ids.discard("single-owner")  # one named account, but an organisation owns it too
        for f in group:
            out.append(_amplify(f, ids))
    return out


def _amplify(f: Finding, ids: set[str]) -> Finding:
    severity = f.severity
    partners: list[str] = []
    if f.id == "dormant-then-release":
        partners = [i for i in _AMPLIFIERS if i in ids]
        if partners:
            severity = max(severity, Severity.HIGH)
            if "single-owner" in ids:
                partners.append("single-owner")
        if len(partners) >= 2:
            severity = Severity.CRITICAL
    elif f.id == "release-burst" and "dormant-then-release" in ids:
        partners = ["dormant-then-release"]
        severity = max(severity, Severity.HIGH)
    elif f.id == "new-release" and ("dormant-then-release" in ids or "ownership-change" in ids):
        partners = [i for i in ("dormant-then-release", "ownership-change") if i in ids]
        severity = max(severity, Severity.HIGH)
    elif f.id == "provenance-regression" and any(i in ids for i in _PUBLISH_RISK):
        # ultralytics 8.3.46: no attestation, and a release nobody expected.
        partners = [i for i in _PUBLISH_RISK if i in ids]
        severity = Severity.CRITICAL
    elif f.id == "new-package" and any(i in ids for i in _NAME_RISK):
        partners = [i for i in _NAME_RISK if i in ids]
        severity = max(severity, Severity.HIGH)
    elif f.id == "typosquat" and "new-package" in ids:
        partners = ["new-package"]
        severity = Severity.CRITICAL
    if not partners or severity == f.severity:
        return f
    return replace(f, severity=severity, evidence={**f.evidence, "combined_with": partners})
