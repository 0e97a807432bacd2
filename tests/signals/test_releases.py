"""Release-behaviour signals over hand-built histories, with "now" pinned."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.core.facts import Release
from chaingate.core.findings import Severity
from chaingate.signals.releases import (
    _recent_run_start,
    dormant_then_release,
    new_package,
    new_release,
    release_burst,
    yanked_version,
)
from tests.signals.factories import NOW, at, ctx, facts

# ctx as it stood on 2022-05-24: one release in 2014, then eleven in ten days.
CTX_HISTORY = [
    ("0.1.2", "2014-12-19T12:00:00"),
    ("0.1.2-1", "2022-05-14T19:18:00"),
    ("0.1.2-2", "2022-05-14T20:02:00"),
    ("0.1.4", "2022-05-15T08:00:00"),
    ("0.2", "2022-05-16T09:00:00"),
    ("0.2.1", "2022-05-17T10:00:00"),
    ("0.2.2", "2022-05-18T11:00:00"),
    ("0.2.2.1", "2022-05-19T12:00:00"),
    ("0.2.3", "2022-05-20T13:00:00"),
    ("0.2.4", "2022-05-21T14:00:00"),
    ("0.2.5", "2022-05-22T15:00:00"),
    ("0.2.6", "2022-05-24T10:00:00"),
]
CTX_NOW = at("2022-05-24T12:00:00")


def test_dormancy_then_release_names_the_gap_and_previous_release() -> None:
    f = facts("ctx", CTX_HISTORY, owners=["figlief"])
    (finding,) = dormant_then_release(ctx(f, "0.2.6", now=CTX_NOW))
    assert finding.id == "dormant-then-release"
    assert finding.severity == Severity.MEDIUM  # 7.5 years; combine() raises it further
    assert finding.evidence["previous_release"] == "0.1.2"
    assert finding.evidence["quiet_days"] > 2700
    assert finding.evidence["run_versions"][0] == "0.1.2-1"
    assert "0.2.6" in finding.message and "2014-12-19" in finding.message


def test_pinned_old_version_is_still_warned_about_the_latest() -> None:
    f = facts("ctx", CTX_HISTORY, owners=["figlief"])
    (finding,) = dormant_then_release(ctx(f, "0.1.2", now=CTX_NOW))
    assert finding.evidence["role"] == "latest"
    assert finding.evidence["release"] == "0.2.6"


def test_awakening_that_has_been_public_for_months_is_quiet() -> None:
    """six 1.17.0 came 3.5 years after 1.16.0, in Dec 2024; two years on it is history."""
    f = facts("six", [("1.16.0", "2021-05-05"), ("1.17.0", "2024-12-04")])
    assert list(dormant_then_release(ctx(f))) == []
    recent = facts("six", [("1.16.0", "2021-05-05"), ("1.17.0", "2026-10-01")])
    (finding,) = dormant_then_release(ctx(recent))
    assert finding.severity == Severity.MEDIUM  # 5 years of silence
    yearly = facts("lib", [("1.0", "2025-09-20"), ("1.1", "2026-10-01")])
    (finding,) = dormant_then_release(ctx(yearly))
    assert finding.severity == Severity.LOW  # a year between releases is common


def test_project_that_woke_up_long_ago_and_stayed_active_is_quiet() -> None:
    history = [("1.0", "2015-01-01"), ("2.0", "2018-01-01")]
    history += [(f"2.{i}", f"20{18 + i // 12}-{i % 12 + 1:02d}-15") for i in range(1, 60)]
    f = facts("revived", history)
    assert list(dormant_then_release(ctx(f))) == []


def test_steady_project_has_no_dormancy_or_burst() -> None:
    history = [
        (f"1.{i}", (at("2024-01-01") + timedelta(days=30 * i)).isoformat()) for i in range(30)
    ]
    f = facts("steady", history)
    c = ctx(f, now=at("2026-06-01"))
    assert list(dormant_then_release(c)) == []
    assert list(release_burst(c)) == []


def test_burst_after_quiet_period() -> None:
    f = facts("ctx", CTX_HISTORY, owners=["figlief"])
    (finding,) = release_burst(ctx(f, "0.2.6", now=CTX_NOW))
    assert finding.id == "release-burst"
    assert finding.evidence["count"] >= 5
    assert finding.evidence["quiet_days_before"] > 2700


def test_a_launch_is_not_a_burst() -> None:
    history = [(f"0.{i}", f"2026-01-0{i + 1}") for i in range(6)]
    assert list(release_burst(ctx(facts("fresh", history), now=at("2026-02-01")))) == []


def test_busy_project_releasing_daily_is_not_a_burst() -> None:
    history = [(f"1.{i}", (at("2025-01-01") + timedelta(days=i)).isoformat()) for i in range(300)]
    assert list(release_burst(ctx(facts("botoish", history), now=at("2025-10-28")))) == []


def test_releases_after_now_are_ignored_in_replays() -> None:
    f = facts("ctx", CTX_HISTORY, owners=["figlief"])
    early = at("2022-05-01")
    assert list(dormant_then_release(ctx(f, "0.1.2", now=early))) == []


def test_new_release_inside_cooldown() -> None:
    f = facts("demo", [("1.0", "2025-01-01"), ("1.1", (NOW - timedelta(hours=5)).isoformat())])
    (finding,) = new_release(ctx(f, "1.1"))
    assert finding.evidence["age_hours"] == 5.0
    assert list(new_release(ctx(f, "1.0"))) == []


def test_new_release_respects_configured_cooldown() -> None:
    from chaingate.signals.catalog import Thresholds

    f = facts("demo", [("1.0", "2025-01-01"), ("1.1", (NOW - timedelta(hours=5)).isoformat())])
    assert list(new_release(ctx(f, "1.1", thresholds=Thresholds(cooldown_hours=4)))) == []


def test_new_package() -> None:
    f = facts("fresh", [("0.1", (NOW - timedelta(days=3)).isoformat())])
    (finding,) = new_package(ctx(f))
    assert finding.evidence["first_release"] == "0.1"
    old = facts("old", [("0.1", "2020-01-01")])
    assert list(new_package(ctx(old))) == []


def test_yanked_version_with_reason() -> None:
    f = facts(
        "demo", [("1.0", "2024-01-01"), ("1.1", "2024-02-01")], yanked={"1.0": "Security issue"}
    )
    (finding,) = yanked_version(ctx(f, "1.0"))
    assert finding.severity == Severity.HIGH
    assert "Security issue" in finding.message
    plain = facts("demo", [("1.0", "2024-01-01"), ("1.1", "2024-02-01")], yanked={"1.0": ""})
    (finding,) = yanked_version(ctx(plain, "1.0"))
    assert finding.severity == Severity.MEDIUM and "no reason given" in finding.message
    assert list(yanked_version(ctx(f, "1.1"))) == []


def test_no_facts_no_findings() -> None:
    for fn in (dormant_then_release, release_burst, new_release, new_package, yanked_version):
        assert list(fn(ctx(None, "1.0"))) == []


def _run_start_walking_all_the_way(releases: list[Release], idx: int, quiet: timedelta) -> int:
    """The run's start as found before the walk stopped early: every release back."""
    start = idx
    while start > 0 and _at(releases[start]) - _at(releases[start - 1]) < quiet:
        start -= 1
    return start


def _at(r: Release) -> datetime:
    assert r.uploaded_at is not None
    return r.uploaded_at


@settings(max_examples=300, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=800), min_size=1, max_size=40),
    pick=st.integers(min_value=0),
    quiet=st.integers(min_value=1, max_value=400),
    recent=st.integers(min_value=0, max_value=400),
)
def test_the_walk_back_stops_early_without_changing_an_answer(
    gaps: list[int], pick: int, quiet: int, recent: int
) -> None:
    """A run is judged only when it began after a quiet period and no longer ago than
    `since`; the early stop must give the same verdict as walking back through all."""
    times = [NOW - timedelta(days=sum(gaps[i:])) for i in range(len(gaps))]
    releases = [Release(f"1.{i}", t, False, None) for i, t in enumerate(times)]
    idx = pick % len(releases)
    since = NOW - timedelta(days=recent)
    full = _run_start_walking_all_the_way(releases, idx, timedelta(days=quiet))
    expected = None if full == 0 or _at(releases[full]) < since else full

    assert _recent_run_start(releases, idx, timedelta(days=quiet), since) == expected
