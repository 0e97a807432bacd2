"""Ownership signals."""

from __future__ import annotations

import msgspec

from chaingate.core.facts import Account
from chaingate.core.findings import Severity
from chaingate.core.refs import PackageRef
from chaingate.signals.authors import (
    disposable_email,
    owner_concentration,
    ownership_change,
    ownership_unknown,
    single_owner,
)
from chaingate.signals.catalog import TreeContext
from chaingate.store.interface import Observation
from tests.signals.factories import NOW, at, ctx, facts, package


def test_single_owner_severity_grows_with_dependents() -> None:
    f = facts("leaf", owners=["solo"])
    (alone,) = single_owner(ctx(f, dependents=0, tree_size=100))
    (some,) = single_owner(ctx(f, dependents=4, tree_size=100))
    (many,) = single_owner(ctx(f, dependents=30, tree_size=100))
    assert (alone.severity, some.severity, many.severity) == (
        Severity.INFO,
        Severity.LOW,
        Severity.MEDIUM,
    )
    assert many.evidence["account"] == "solo" and many.evidence["dependents"] == 30


def test_two_owners_or_unknown_ownership_is_not_single() -> None:
    assert list(single_owner(ctx(facts(owners=["a", "b"])))) == []
    assert list(single_owner(ctx(facts(owners=[], has_ownership=False)))) == []


def test_single_owner_with_an_organisation_says_the_organisation_can_publish_too() -> None:
    # click-repl: the organisation pallets-eco owns it, auvipy is a Maintainer there.
    f = msgspec.structs.replace(
        facts("click-repl", owners=[]),
        owners=(Account("auvipy", "Maintainer"),),
        organization="pallets-eco",
    )
    (finding,) = single_owner(ctx(f, dependents=30, tree_size=100))
    assert "Only the account" not in finding.message
    assert "can publish click-repl" not in finding.message.split(":")[0]
    assert "organisation 'pallets-eco' owns it too" in finding.message
    assert "not known" in finding.message  # members are not public: no count is claimed
    assert finding.severity == Severity.INFO  # not raised by the tree that depends on it
    assert finding.evidence["organization"] == "pallets-eco"


def test_single_owner_without_an_organisation_says_so() -> None:
    (finding,) = single_owner(ctx(facts("six", owners=["gutworth"])))
    assert finding.message.startswith(
        "Only the account 'gutworth' can publish six, and no organisation owns it."
    )
    assert finding.evidence["organization"] is None


def test_an_organisation_with_no_named_account_is_not_single_or_unknown() -> None:
    # attrs: {"organization": "attrs", "roles": []}; members are not public, not "nobody".
    f = msgspec.structs.replace(facts("attrs", owners=[]), organization="attrs")
    assert list(single_owner(ctx(f))) == []
    assert list(ownership_unknown(ctx(f))) == []


def test_owner_concentration_names_the_accounts() -> None:
    tree = {
        PackageRef("pypi", f"p{i}"): facts(f"p{i}", owners=["hub", f"own{i}"]) for i in range(12)
    }
    tree.update({PackageRef("pypi", f"q{i}"): facts(f"q{i}", owners=[f"x{i}"]) for i in range(8)})
    pkgs = tuple(package(r.name) for r in tree)
    (finding,) = owner_concentration(TreeContext(NOW, pkgs, tree))
    assert finding.package is None
    assert finding.evidence["accounts"][0]["account"] == "hub"
    assert len(finding.evidence["accounts"][0]["packages"]) == 12
    assert finding.severity == Severity.MEDIUM
    assert "hub (12)" in finding.message


def test_no_concentration_in_a_diverse_tree() -> None:
    tree = {PackageRef("pypi", f"p{i}"): facts(f"p{i}", owners=[f"o{i}"]) for i in range(30)}
    pkgs = tuple(package(r.name) for r in tree)
    assert list(owner_concentration(TreeContext(NOW, pkgs, tree))) == []


def _prev(*users: str) -> Observation:
    return Observation(
        name="demo",
        observed_at=at("2026-10-01"),
        last_seen_at=at("2026-11-01"),
        owners=tuple(Account(u, "Owner") for u in users),
        organization=None,
        emails=(),
        latest_version="1.0",
    )


def test_sole_owner_replaced_is_high() -> None:
    (finding,) = ownership_change(ctx(facts(owners=["mallory"]), previous=_prev("alice")))
    assert finding.severity == Severity.HIGH
    assert finding.evidence["added"] == ["mallory"] and finding.evidence["removed"] == ["alice"]
    assert finding.message.startswith("The sole owner was replaced")


def test_owner_added_is_medium_and_no_change_is_silent() -> None:
    (finding,) = ownership_change(ctx(facts(owners=["alice", "bob"]), previous=_prev("alice")))
    assert finding.severity == Severity.MEDIUM and finding.evidence["added"] == ["bob"]
    assert list(ownership_change(ctx(facts(owners=["alice"]), previous=_prev("alice")))) == []
    assert list(ownership_change(ctx(facts(owners=["alice"]), previous=None))) == []


def test_disposable_placeholder_and_reserved_domains() -> None:
    f = facts(emails=["dev@mailinator.com", "me@yourdomain.com", "x@example.com", "ok@gmail.com"])
    found = {x.evidence["domain"]: x for x in disposable_email(ctx(f))}
    assert set(found) == {"mailinator.com", "yourdomain.com", "example.com"}
    assert found["mailinator.com"].severity == Severity.MEDIUM
    assert found["yourdomain.com"].evidence["kind"] == "placeholder"
    assert found["example.com"].severity == Severity.INFO


def _prev_org(org: str | None, *users: str) -> Observation:
    return msgspec.structs.replace(_prev(*users), organization=org)


def test_an_organisation_replaced_is_high() -> None:
    f = msgspec.structs.replace(facts(owners=["alice"]), organization="mallory-org")
    (finding,) = ownership_change(ctx(f, previous=_prev_org("pallets", "alice")))
    assert finding.severity == Severity.HIGH
    assert "organisation pallets replaced by mallory-org" in finding.message
    assert finding.evidence["organization_before"] == "pallets"
    assert finding.evidence["organization_after"] == "mallory-org"


def test_an_organisation_added_or_removed_is_medium() -> None:
    with_org = msgspec.structs.replace(facts(owners=["alice"]), organization="pallets")
    (added,) = ownership_change(ctx(with_org, previous=_prev_org(None, "alice")))
    assert added.severity == Severity.MEDIUM and "organisation pallets added" in added.message
    (removed,) = ownership_change(
        ctx(facts(owners=["alice"]), previous=_prev_org("pallets", "alice"))
    )
    assert removed.severity == Severity.MEDIUM
    assert "organisation pallets removed" in removed.message
    assert list(ownership_change(ctx(with_org, previous=_prev_org("pallets", "alice")))) == []


def test_an_organisation_is_a_principal_of_owner_concentration() -> None:
    tree = {
        PackageRef("pypi", f"p{i}"): msgspec.structs.replace(
            facts(f"p{i}", owners=[]), organization="pallets"
        )
        for i in range(6)
    }
    tree.update({PackageRef("pypi", f"q{i}"): facts(f"q{i}", owners=[f"x{i}"]) for i in range(6)})
    pkgs = tuple(package(r.name) for r in tree)
    (finding,) = owner_concentration(TreeContext(NOW, pkgs, tree))
    assert finding.evidence["packages_with_owners"] == 12  # the organisation's count too
    assert finding.evidence["organizations"] == [
        {"organization": "pallets", "packages": [f"p{i}" for i in range(6)]}
    ]
    assert finding.evidence["accounts"] == []
    assert "organisation pallets (6)" in finding.message
