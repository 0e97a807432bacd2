"""`--as-of` in the engine: the recorded six document (1.16.0 on 2021-05-05, 1.17.0 on
2024-12-04T17:35Z after 3.6 quiet years) served by the local PyPI, judged at past times."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.engine import Engine
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import ScanOptions, run_scan
from chaingate.net.http import HttpSettings
from chaingate.policy.interface import Action
from tests.pypiserver import PyPIServer, recorded_documents

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
UPLOAD_1_17 = datetime(2024, 12, 4, 17, 35, 26, 475808, tzinfo=UTC)


def scan(
    server: PyPIServer, tmp_path: Path, pin: str, *, as_of: datetime | None, db: bool = False
) -> ScanResult:
    name, _, version = pin.partition("==")
    inv = Inventory(".", (Package("pypi", name, version, True, ((name,),)),), ("req.txt",))
    opts = ScanOptions(
        index_url=server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01),
        db_url=f"sqlite:///{tmp_path / 'store.db'}" if db else None,
        now=NOW if as_of is None else None,
        as_of=as_of,
    )
    return run_scan(inv, opts)


def ids(result: ScanResult) -> set[str]:
    return {f.id for f in result.findings}


def test_an_hour_after_the_release_it_is_new_and_the_latest(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    hour_later = datetime(2024, 12, 4, 18, 35, tzinfo=UTC)
    result = scan(pypi_server, tmp_path, "six==1.17.0", as_of=hour_later)
    assert {"new-release", "dormant-then-release"} <= ids(result)
    facts = result.facts[PackageRef("pypi", "six")]
    assert facts.latest_version == "1.17.0"
    new = next(f for f in result.findings if f.id == "new-release")
    assert new.evidence["age_hours"] < 2
    # Today, the same pin is two years old: neither signal.
    today = scan(pypi_server, tmp_path, "six==1.17.0", as_of=None)
    assert not {"new-release", "dormant-then-release"} & ids(today)


def test_before_the_release_the_latest_is_the_one_of_then(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(pypi_server, tmp_path, "six==1.16.0", as_of=datetime(2024, 12, 1, tzinfo=UTC))
    facts = result.facts[PackageRef("pypi", "six")]
    assert facts.latest_version == "1.16.0"
    assert all(r.uploaded_at and r.uploaded_at <= datetime(2024, 12, 1, tzinfo=UTC)
               for r in facts.releases)  # fmt: skip
    assert "new-release" not in ids(result) and result.incomplete == ()


def test_a_pin_uploaded_after_the_time_was_not_yet_published(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(pypi_server, tmp_path, "six==1.17.0", as_of=datetime(2024, 12, 4, 12, tzinfo=UTC))
    [gap] = result.incomplete
    assert gap.reason == (
        "version 1.17.0 was not yet published as of 2024-12-04T12:00:00Z "
        "(first uploaded 2024-12-04T17:35:26Z)"
    )
    assert not [f for f in result.findings if f.version == "1.17.0"]  # not a finding


def test_what_only_today_knows_is_listed_under_checks(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(pypi_server, tmp_path, "six==1.17.0", as_of=datetime(2024, 12, 5, tzinfo=UTC))
    checks = result.checks
    assert checks["ownership"].status == "as-of-now"
    assert checks["ownership"].reason.startswith("as of now, not as of 2024-12-05T00:00:00Z")
    assert checks["known-vulnerability"].status == "as-of-now"
    assert checks["release-history"].status == "ok"
    assert checks["ownership-change"].status == "unavailable"


def test_an_as_of_scan_records_nothing_in_the_store(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    scan(pypi_server, tmp_path, "six==1.17.0", as_of=datetime(2024, 12, 5, tzinfo=UTC), db=True)
    from chaingate.store.db import Store

    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert store.latest("pypi", ["six"]) == {}
    finally:
        store.close()


def test_evaluate_as_of_blocks_an_unpublished_pin_as_incomplete(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    http = HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01)
    with Engine(http=http, indexes={"pypi": pypi_server.url},
                as_of=datetime(2024, 12, 4, 12, tzinfo=UTC)) as engine:  # fmt: skip
        verdict = engine.evaluate(PackageRef("pypi", "six", "1.17.0"))
        assert verdict.incomplete is not None and "not yet published" in verdict.incomplete
        fresh = engine.evaluate(PackageRef("pypi", "six", "1.16.0"))
        assert fresh.incomplete is None and fresh.action is not Action.BLOCK
    with Engine(http=http, indexes={"pypi": pypi_server.url},
                as_of=UPLOAD_1_17.replace(hour=18, minute=35)) as engine:  # fmt: skip
        verdict = engine.evaluate(PackageRef("pypi", "six", "1.17.0"))
        assert {f.id for f in verdict.findings} >= {"new-release", "dormant-then-release"}
        assert verdict.checks["ownership"].status == "as-of-now"


def test_owners_come_from_the_store_observation_at_or_before_the_time(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """Two observations of six (2024-12-10: gutworth; 2025-06-01: a new sole owner): as of
    a time between or after them, the owners are those observed by then, and the change is
    judged against the observation before; before both, the owners are today's and the
    checks say so."""
    db = f"sqlite:///{tmp_path / 'store.db'}"
    http = HttpSettings(cache_dir=tmp_path / "cache", ttl=0, backoff=0.01)
    inv = Inventory(".", (Package("pypi", "six", "1.17.0", True, (("six",),)),), ("r.txt",))

    def at(now: datetime | None = None, as_of: datetime | None = None) -> ScanResult:
        opts = ScanOptions(index_url=pypi_server.url, http=http, db_url=db, now=now, as_of=as_of)
        return run_scan(inv, opts)

    at(now=datetime(2024, 12, 10, tzinfo=UTC))
    doc = json.loads(recorded_documents()["six"])
    doc["ownership"]["roles"] = [{"role": "Owner", "user": "new-maintainer-2025"}]
    pypi_server.add_project("six", json.dumps(doc).encode())
    at(now=datetime(2025, 6, 1, tzinfo=UTC))

    def owners(result: ScanResult) -> list[str]:
        return [a.user for a in result.facts[PackageRef("pypi", "six")].owners]

    between = at(as_of=datetime(2025, 1, 1, tzinfo=UTC))
    assert owners(between) == ["gutworth"]  # not today's new-maintainer-2025
    assert between.checks["ownership"].status == "ok"
    assert "ownership-change" not in ids(between)

    after = at(as_of=datetime(2025, 7, 1, tzinfo=UTC))
    assert owners(after) == ["new-maintainer-2025"]
    change = next(f for f in after.findings if f.id == "ownership-change")
    assert change.evidence["removed"] == ["gutworth"]
    assert change.evidence["added"] == ["new-maintainer-2025"]

    before = at(as_of=datetime(2024, 12, 5, tzinfo=UTC))
    assert owners(before) == ["new-maintainer-2025"]  # today's, and said so:
    assert before.checks["ownership"].status == "as-of-now"
    assert before.checks["ownership-change"].status == "unavailable"

    from chaingate.store.db import Store

    store = Store(db)
    try:  # the as-of scans recorded nothing
        assert store.latest("pypi", ["six"])["six"].observed_at == datetime(2025, 6, 1, tzinfo=UTC)
        assert len(store.observed("pypi", ["six"], datetime(2030, 1, 1, tzinfo=UTC))) == 1
    finally:
        store.close()


def test_checks_name_the_packages_whose_owners_are_todays() -> None:
    """Pure: two projects, one observed by then; the other's owners are listed as today's."""
    from chaingate.engine.scan import as_of_checks
    from chaingate.store.interface import Observation

    when = datetime(2025, 1, 1, tzinfo=UTC)
    seen = Observation("six", when, when, (), None, (), "1.17.0")
    six, idna = PackageRef("pypi", "six"), PackageRef("pypi", "idna")
    checks = as_of_checks(when, [idna, six], {six: (seen, None)}, False, True)
    assert checks["ownership"].status == "as-of-now"
    assert checks["ownership"].reason.endswith("for 1 package(s) (idna)")
    assert checks["ownership-change"].status == "ok"
    assert "email-domains" not in checks  # no domain checks were run
    every = as_of_checks(when, [six], {six: (seen, None)}, True, True)
    assert every["ownership"].status == "ok" and every["email-domains"].status == "as-of-now"


def test_deep_as_of_says_the_file_read_is_todays_choice() -> None:
    from chaingate.analysis.deep import DeepResult
    from chaingate.engine.scan import code_checks

    when = datetime(2025, 1, 1, tzinfo=UTC)
    assert code_checks(DeepResult(), when)["artifact-analysis"].status == "as-of-now"
    failed = DeepResult(failed={PackageRef("pypi", "six", "1.17.0"): "download failed"})
    assert code_checks(failed, when)["artifact-analysis"].status == "unavailable"  # not hidden
    assert code_checks(DeepResult())["artifact-analysis"].status == "ok"
