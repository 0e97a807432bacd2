"""Who may publish, told by the index itself: the project's PEP 792 status, and the PEP 740
publishing evidence of the version in use against the releases before it (pnpm's
`trustPolicy: no-downgrade` is the model: weaker evidence than before is a possible
takeover). ultralytics 8.3.46 (Dec 2024) had no attestation although earlier releases did;
PyPI quarantined litellm 2h32m after its malicious upload (March 2026).

An index that serves no provenance at all (`ProjectFacts.provenance` is None) says nothing:
these signals stay silent and the scan reports the check unavailable."""

from __future__ import annotations

from collections.abc import Iterator

from chaingate.core.facts import Publisher, ReleaseProvenance
from chaingate.core.findings import Finding, Severity
from chaingate.signals.catalog import PackageContext, package_signal
from chaingate.signals.cicd import ACTIONS, HOOKS

FAMILY = "publishing"


@package_signal(
    "project-quarantined",
    Severity.CRITICAL,
    FAMILY,
    "The index has quarantined the project (PEP 792), e.g. for malware",
)
def project_quarantined(ctx: PackageContext) -> Iterator[Finding]:
    f = ctx.facts
    if f is None or f.status != "quarantined":
        return
    reason = f" ({f.status_reason})" if f.status_reason else ""
    yield Finding(
        id="project-quarantined",
        severity=Severity.CRITICAL,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"The index has quarantined {f.name}{reason}: it considers the project unsafe "
            "to use (PEP 792) and no longer offers its files. Remove it, and check the "
            "machines that installed it."
        ),
        evidence={"status": f.status, "reason": f.status_reason, "source": f.source_url},
    )


@package_signal(
    "project-archived",
    Severity.LOW,
    FAMILY,
    "The project is archived (PEP 792): no further releases are expected",
)
def project_archived(ctx: PackageContext) -> Iterator[Finding]:
    f = ctx.facts
    if f is None or f.status != "archived" or ctx.package.ecosystem in (ACTIONS, HOOKS):
        return  # an action's or a hook's repository: archived-action says it
    reason = f": {f.status_reason}" if f.status_reason else ""
    yield Finding(
        id="project-archived",
        severity=Severity.LOW,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{f.name} is archived on the index{reason}. No fixes will come; plan a replacement."
        ),
        evidence={"status": f.status, "reason": f.status_reason, "source": f.source_url},
    )


def _history(ctx: PackageContext) -> tuple[ReleaseProvenance, list[ReleaseProvenance]] | None:
    """The provenance of the version in use and of the dated releases before it, oldest
    first; None when the index serves none or the version is not among them."""
    f = ctx.facts
    if f is None or f.provenance is None or ctx.package.version is None:
        return None
    used = f.release(ctx.package.version)
    if used is None or used.uploaded_at is None or used.uploaded_at > ctx.now:
        return None
    by_version = {p.version: p for p in f.provenance}
    mine = by_version.get(used.version)
    if mine is None:
        return None
    before = [
        by_version[r.version]
        for r in ctx.dated
        if r.uploaded_at is not None
        and r.uploaded_at < used.uploaded_at
        and r.version in by_version
    ]
    return mine, before


@package_signal(
    "provenance-regression",
    Severity.HIGH,
    FAMILY,
    "The version in use has no attestation (PEP 740) although earlier releases had them",
)
def provenance_regression(ctx: PackageContext) -> Iterator[Finding]:
    found = _history(ctx)
    if found is None:
        return
    mine, before = found
    attested = [p.version for p in before if p.attested]
    if mine.attested or not attested:
        return
    yield Finding(
        id="provenance-regression",
        severity=Severity.HIGH,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{mine.version} carries no attestation although {len(attested)} earlier "
            f"release(s) did (last: {attested[-1]}): it was not uploaded by the project's "
            "trusted publisher. ultralytics 8.3.46 looked like this, uploaded with a "
            "leftover token; pin the last attested release until the project explains it."
        ),
        evidence={
            "release": mine.version,
            "attested_before": attested[-10:],
            "last_attested": attested[-1],
        },
    )


def _who(p: Publisher) -> str:
    return f"{p.kind} {p.repository or '?'} {p.workflow or '?'}".strip()


@package_signal(
    "publisher-change",
    Severity.HIGH,
    FAMILY,
    "The trusted publisher (repository or workflow) of the version in use differs from the "
    "one that published the previous releases",
)
def publisher_change(ctx: PackageContext) -> Iterator[Finding]:
    found = _history(ctx)
    if found is None:
        return
    mine, before = found
    earlier = [p for p in before if p.publishers]
    if not mine.publishers or not earlier:
        return
    previous = earlier[-1]
    old = {(p.kind, p.repository, p.workflow) for p in previous.publishers}
    new = {(p.kind, p.repository, p.workflow) for p in mine.publishers}
    if new & old:
        return
    yield Finding(
        id="publisher-change",
        severity=Severity.HIGH,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{mine.version} was published by {', '.join(_who(p) for p in mine.publishers)}; "
            f"{previous.version} by {', '.join(_who(p) for p in previous.publishers)}. A "
            "new repository or workflow can publish a project whose account was taken "
            "over; confirm the move with the project before upgrading."
        ),
        evidence={
            "release": mine.version,
            "publishers": [_who(p) for p in mine.publishers],
            "previous_release": previous.version,
            "previous_publishers": [_who(p) for p in previous.publishers],
        },
    )
