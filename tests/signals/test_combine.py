"""Combinations: the ctx pattern is worse than any one of its signals."""

from __future__ import annotations

from chaingate.core.findings import Finding, Severity
from chaingate.signals.combine import combine


def _f(sid: str, sev: Severity, pkg: str = "ctx") -> Finding:
    return Finding(sid, sev, pkg, "0.2.6", "m")


def test_dormancy_burst_and_single_owner_is_critical() -> None:
    out = {
        f.id: f
        for f in combine(
            [
                _f("dormant-then-release", Severity.MEDIUM),
                _f("release-burst", Severity.LOW),
                _f("single-owner", Severity.INFO),
            ]
        )
    }
    assert out["dormant-then-release"].severity == Severity.CRITICAL
    assert out["dormant-then-release"].evidence["combined_with"] == [
        "release-burst",
        "single-owner",
    ]
    assert out["release-burst"].severity == Severity.HIGH
    assert out["single-owner"].severity == Severity.INFO


def test_one_account_beside_an_organisation_does_not_complete_the_takeover_pattern() -> None:
    beside = Finding("single-owner", Severity.INFO, "ctx", "0.2.6", "m", {"organization": "org"})
    out = {
        f.id: f
        for f in combine(
            [_f("dormant-then-release", Severity.MEDIUM), _f("release-burst", Severity.LOW), beside]
        )
    }
    assert out["dormant-then-release"].severity == Severity.HIGH  # still blocks by default
    assert out["dormant-then-release"].evidence["combined_with"] == ["release-burst"]


def test_signals_on_different_packages_do_not_combine() -> None:
    out = combine(
        [_f("dormant-then-release", Severity.MEDIUM, "a"), _f("release-burst", Severity.LOW, "b")]
    )
    assert [f.severity for f in out] == [Severity.MEDIUM, Severity.LOW]


def test_typosquat_on_a_new_package_is_critical() -> None:
    out = {
        f.id: f
        for f in combine([_f("typosquat", Severity.HIGH), _f("new-package", Severity.MEDIUM)])
    }
    assert out["typosquat"].severity == Severity.CRITICAL
    assert out["new-package"].severity == Severity.HIGH


def test_a_provenance_regression_in_a_burst_is_critical() -> None:
    """ultralytics 8.3.45 and 8.3.46 came two in a day, without the attestations before."""
    out = {
        f.id: f
        for f in combine(
            [_f("provenance-regression", Severity.HIGH), _f("release-burst", Severity.LOW)]
        )
    }
    assert out["provenance-regression"].severity == Severity.CRITICAL
    assert out["provenance-regression"].evidence["combined_with"] == ["release-burst"]
    alone = combine([_f("provenance-regression", Severity.HIGH)])
    assert [f.severity for f in alone] == [Severity.HIGH]
