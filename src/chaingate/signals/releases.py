"""Release behaviour: dormancy, bursts, very new releases and packages, yanked versions.

All of these read only the release history in `ProjectFacts` and "now", so they replay an
incident exactly: feed the history as it stood and pin now to the day of the attack.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from chaingate.core.facts import Release
from chaingate.core.findings import Finding, Severity
from chaingate.signals.catalog import PackageContext, package_signal


def _day(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d")


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _t(r: Release) -> datetime:
    """Upload time of a release known to have files (see `PackageContext.dated`)."""
    assert r.uploaded_at is not None
    return r.uploaded_at


def _index_of(releases: Sequence[Release], target: Release) -> int:
    """Where `target` is among `releases` (it is there); looked for from the end, where
    the version in use and the latest usually are."""
    for i in range(len(releases) - 1, -1, -1):
        if releases[i].version == target.version:
            return i
    raise ValueError(f"{target.version} is not among the releases")


def _recent_run_start(
    releases: Sequence[Release], idx: int, quiet: timedelta, since: datetime
) -> int | None:
    """Index of the first release of the run holding `releases[idx]` (walking back while
    the gap to the previous release is shorter than `quiet`), when that run began after a
    quiet period and at or after `since`; None when it reaches back to the first release
    or began before `since`. The signals judge only runs that began recently, so the walk
    stops at `since` instead of going through years of releases (botocore's run is
    thousands long)."""
    start, later = idx, _t(releases[idx])
    if later < since:
        return None
    while start > 0:  # a plain loop, no helper calls
        earlier = releases[start - 1].uploaded_at
        assert earlier is not None
        if later - earlier >= quiet:
            return start
        if earlier < since:
            return None
        start, later = start - 1, earlier
    return None


def _targets(ctx: PackageContext, releases: Sequence[Release]) -> list[tuple[str, Release]]:
    """The version in use and the latest release: the two a person should worry about."""
    out: list[tuple[str, Release]] = []
    assert ctx.facts is not None
    used = ctx.facts.release(ctx.package.version)
    if used is not None and used.uploaded_at is not None and used.uploaded_at <= ctx.now:
        out.append(("in use", used))
    if releases and (used is None or releases[-1].version != used.version):
        out.append(("latest", releases[-1]))
    return out


@package_signal(
    "dormant-then-release",
    Severity.MEDIUM,
    "release",
    "The version in use (or the latest) belongs to a run of releases that began after a "
    "long quiet period",
)
def dormant_then_release(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None:
        return
    t = ctx.thresholds
    releases = ctx.dated
    quiet = timedelta(days=t.dormancy_days)
    recent = timedelta(days=t.recent_days)
    for role, target in _targets(ctx, releases):
        idx = _index_of(releases, target)
        # None: the run reaches back to the first release (no dormancy before it), or it
        # woke up long ago and has been public since.
        start = _recent_run_start(releases, idx, quiet, ctx.now - recent)
        if start is None:
            continue
        before, first = releases[start - 1], releases[start]
        assert before.uploaded_at and first.uploaded_at and target.uploaded_at
        gap = first.uploaded_at - before.uploaded_at
        run = releases[start : idx + 1]
        # Mature projects release yearly; years of silence is abandonment. Alone this stays
        # below the default gate; combine() raises it when other signals agree.
        severity = Severity.MEDIUM if gap.days >= 3 * 365 else Severity.LOW
        yield Finding(
            id="dormant-then-release",
            severity=severity,
            package=ctx.package.name,
            version=ctx.package.version,
            message=(
                f"{target.version} ({role}) is part of a run of releases that began "
                f"{_day(first.uploaded_at)} after {gap.days} days without a release "
                f"(previous: {before.version} on {_day(before.uploaded_at)}). Accounts of "
                "abandoned projects are taken over; check who published it and that the "
                "release matches the source repository before upgrading."
            ),
            evidence={
                "release": target.version,
                "role": role,
                "quiet_days": gap.days,
                "previous_release": before.version,
                "previous_release_at": _stamp(before.uploaded_at),
                "run_started_at": _stamp(first.uploaded_at),
                "run_versions": [r.version for r in run],
            },
        )
        return  # one finding per package: the version in use wins over the latest


@package_signal(
    "release-burst",
    Severity.LOW,
    "release",
    "Many releases in a short window after a quiet period",
)
def release_burst(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None:
        return
    t = ctx.thresholds
    releases = ctx.dated
    window = timedelta(days=t.burst_window_days)
    quiet = timedelta(days=t.burst_quiet_days)
    for role, target in _targets(ctx, releases):
        idx = _index_of(releases, target)
        # None: the project's first releases (a launch, not a burst), or a run that began
        # long ago (whatever burst opened it is history).
        start = _recent_run_start(releases, idx, quiet, ctx.now - timedelta(days=t.recent_days))
        if start is None:
            continue
        first, prior = releases[start], releases[start - 1]
        assert first.uploaded_at and prior.uploaded_at and target.uploaded_at
        members = [r for r in releases[start:] if _t(r) - _t(first) <= window]
        if len(members) < t.burst_min_releases:
            continue
        prior_gap = first.uploaded_at - prior.uploaded_at
        span = _t(members[-1]) - _t(members[0])
        severity = Severity.MEDIUM if len(members) >= 2 * t.burst_min_releases else Severity.LOW
        yield Finding(
            id="release-burst",
            severity=severity,
            package=ctx.package.name,
            version=ctx.package.version,
            message=(
                f"{len(members)} releases within {max(1, round(span.total_seconds() / 86400))} "
                f"day(s) around {target.version} ({role}), after {prior_gap.days} quiet days. "
                "A hijacked account often publishes a rapid series of versions; compare them "
                "with the repository's tags."
            ),
            evidence={
                "release": target.version,
                "role": role,
                "count": len(members),
                "versions": [r.version for r in members],
                "window_start": _stamp(_t(members[0])),
                "window_end": _stamp(_t(members[-1])),
                "quiet_days_before": prior_gap.days,
            },
        )
        return


@package_signal(
    "new-release",
    Severity.MEDIUM,
    "release",
    "The version in use was published less than the cooldown ago",
)
def new_release(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None or ctx.package.version is None:
        return
    used = ctx.facts.release(ctx.package.version)
    if used is None or used.uploaded_at is None:
        return
    age = ctx.now - used.uploaded_at
    cooldown = timedelta(hours=ctx.thresholds.cooldown_hours)
    if timedelta(0) <= age < cooldown:
        hours = age.total_seconds() / 3600
        yield Finding(
            id="new-release",
            severity=Severity.MEDIUM,
            package=ctx.package.name,
            version=ctx.package.version,
            message=(
                f"{used.version} was published {hours:.0f} h ago ({_stamp(used.uploaded_at)}), "
                f"inside the {ctx.thresholds.cooldown_hours:g} h cooldown. Most malicious "
                "versions are removed within hours or days: wait, or pin the previous release."
            ),
            evidence={
                "uploaded_at": _stamp(used.uploaded_at),
                "age_hours": round(hours, 1),
                "cooldown_hours": ctx.thresholds.cooldown_hours,
            },
        )


@package_signal(
    "new-package",
    Severity.MEDIUM,
    "release",
    "The project's first release is younger than 30 days",
)
def new_package(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None:
        return
    releases = ctx.dated
    if not releases:
        return
    first = releases[0]
    assert first.uploaded_at is not None
    age = ctx.now - first.uploaded_at
    if age < timedelta(days=ctx.thresholds.new_package_days):
        yield Finding(
            id="new-package",
            severity=Severity.MEDIUM,
            package=ctx.package.name,
            version=ctx.package.version,
            message=(
                f"{ctx.package.name} first appeared on the index {age.days} day(s) ago "
                f"({_stamp(first.uploaded_at)}). New names are how typosquats and dependency "
                "confusion arrive; confirm this is the project you meant."
            ),
            evidence={
                "first_release": first.version,
                "first_release_at": _stamp(first.uploaded_at),
            },
        )


# Clocks disagree by seconds to minutes; an index's "uploaded" later than this is not skew.
_CLOCK_SKEW = timedelta(hours=1)


@package_signal(
    "future-upload-time",
    Severity.HIGH,
    "release",
    "The index dates a release after now: a tampered or bogus index answer (or a wrong clock)",
)
def future_upload_time(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None:
        return
    limit = ctx.now + _CLOCK_SKEW
    ahead: dict[str, datetime] = {}
    for r in ctx.facts.releases:
        times = [t for t in (r.uploaded_at, *(f.upload_time for f in r.files)) if t is not None]
        if times and max(times) > limit:
            ahead[r.version] = max(times)
    if not ahead:
        return
    latest = max(ahead.values())
    gap = latest - ctx.now
    severity = Severity.HIGH if gap > timedelta(days=1) else Severity.MEDIUM
    versions = sorted(ahead, key=lambda v: ahead[v])
    yield Finding(
        id="future-upload-time",
        severity=severity,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"The index says {', '.join(versions[:5])}{', ...' if len(versions) > 5 else ''} "
            f"of {ctx.package.name} {'was' if len(versions) == 1 else 'were'} uploaded at "
            f"{_stamp(latest)}, {gap.total_seconds() / 3600:.1f} h from now ({_stamp(ctx.now)}). "
            "No release can come from the future: the answer is tampered with or broken (a "
            "future date also hides a release from the cooldown and dormancy checks), or "
            "this machine's clock is wrong."
        ),
        evidence={
            "versions": versions[:10],
            "latest_upload": _stamp(latest),
            "now": _stamp(ctx.now),
            "hours_ahead": round(gap.total_seconds() / 3600, 1),
        },
    )


_ALARMING = re.compile(r"malic|compromis|secur|vulnerab|backdoor|hijack|credential|steal", re.I)


@package_signal(
    "yanked-version",
    Severity.MEDIUM,
    "release",
    "The version in use has been yanked from the index",
)
def yanked_version(ctx: PackageContext) -> Iterator[Finding]:
    if ctx.facts is None:
        return
    used = ctx.facts.release(ctx.package.version)
    if used is None or not used.yanked:
        return
    reason = used.yanked_reason or ""
    severity = Severity.HIGH if _ALARMING.search(reason) else Severity.MEDIUM
    yield Finding(
        id="yanked-version",
        severity=severity,
        package=ctx.package.name,
        version=ctx.package.version,
        message=(
            f"{used.version} is yanked"
            + (f": {reason!r}" if reason else " (no reason given)")
            + f". Move to another release (latest: {ctx.facts.latest_version})."
        ),
        evidence={"yanked_reason": reason or None, "latest_version": ctx.facts.latest_version},
    )
