"""`as_of`: a project's facts as the registry showed them at a past moment (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from chaingate.core.facts import Account, ProjectFacts, Release, ReleaseFile, Vulnerability
from chaingate.facts.asof import as_of, first_upload


def t(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def file(name: str, when: datetime, yanked: bool = False) -> ReleaseFile:
    return ReleaseFile(name, "sdist", when, None, 10, yanked)


FACTS = ProjectFacts(
    ecosystem="pypi",
    name="demo",
    fetched_at=t(30),
    source_url="http://example.invalid/pypi/demo/json",
    latest_version="2.0",
    owners=(Account("alice", "Owner"),),
    organization=None,
    people=(),
    releases=(
        Release("1.0", t(1), False, None),
        Release("1.1", t(10), True, "broken", (file("demo-1.1.tar.gz", t(10), True),)),
        Release("2.0", t(20), False, None, (file("a.tar.gz", t(20)), file("b.whl", t(21)))),
        Release("0.0.1", None, False, None),  # no files: cannot be dated
    ),
    vulnerabilities=(Vulnerability("PYSEC-1", (), "today's", (), None),),
    last_serial=42,
)


def test_releases_and_files_after_the_time_are_left_out() -> None:
    then = as_of(FACTS, t(20, 12))
    assert [r.version for r in then.releases] == ["1.0", "1.1", "2.0"]
    assert [f.filename for f in then.release("2.0").files] == ["a.tar.gz"]  # type: ignore[union-attr]
    assert then.latest_version == "2.0"
    assert then.fetched_at == t(20, 12)


def test_the_latest_release_is_the_latest_of_then() -> None:
    then = as_of(FACTS, t(15))
    assert then.latest_version == "1.1"
    assert then.release("2.0") is None


def test_yanks_advisories_and_serial_of_today_are_not_known_then() -> None:
    then = as_of(FACTS, t(15))
    assert not then.release("1.1").yanked  # type: ignore[union-attr]
    assert then.release("1.1").yanked_reason is None  # type: ignore[union-attr]
    assert then.vulnerabilities == () and then.last_serial is None
    assert then.owners == FACTS.owners  # kept: the engine lists them as "as of now"


def test_before_the_first_release_there_is_nothing() -> None:
    then = as_of(FACTS, datetime(2026, 2, 28, tzinfo=UTC))
    assert then.releases == () and then.latest_version is None


def test_first_upload() -> None:
    assert first_upload(FACTS, "2.0") == t(20)
    assert first_upload(FACTS, "0.0.1") is None and first_upload(FACTS, "9") is None
