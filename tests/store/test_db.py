"""The store: schema by migrations or by models is the same, observations over time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from chaingate.core.facts import Account
from chaingate.store.db import HEAD, MIGRATIONS, Store, upgrade
from chaingate.store.models import Base
from tests.signals.factories import facts

T1 = datetime(2026, 11, 1, tzinfo=UTC)
T2 = datetime(2026, 11, 2, tzinfo=UTC)


def test_head_constant_matches_the_newest_migration() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_migrations_build_exactly_the_models_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.connect() as conn:
        upgrade(conn)
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_new_database_is_created_and_stamped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'new.db'}"
    Store(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_observation_rows_only_when_content_changes(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    f = facts("demo", owners=["alice"])
    store.record([f], T1)
    store.record([f], T2)
    (obs,) = store.latest("pypi", ["demo"]).values()
    assert obs.observed_at == T1 and obs.last_seen_at == T2
    assert obs.owners == (Account("alice", "Owner"),)

    changed = facts("demo", owners=["mallory"])
    store.record([changed], T2)
    obs = store.latest("pypi", ["demo"])["demo"]
    assert obs.owners == (Account("mallory", "Owner"),) and obs.observed_at == T2
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM project_observation")).scalar()
    assert rows == 2


def test_releases_that_appear_later_get_a_row_with_the_time_they_were_seen(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.record([facts("demo", [("1.0", "2020-01-01")])], T1)
    store.record([facts("demo", [("1.0", "2020-01-01"), ("1.1", "2026-11-01")])], T2)
    store.record([facts("demo", [("1.0", "2020-01-01"), ("1.1", "2026-11-01")])], T2)
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT version FROM release_observation")).all()
        baseline = conn.execute(
            text("SELECT versions FROM project_observation ORDER BY id LIMIT 1")
        ).scalar()
    assert [r[0] for r in rows] == ["1.1"]  # 1.0 was already there at the first look
    assert "1.0" in baseline


def test_upgrade_from_the_first_schema_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.connect() as conn:
        upgrade(conn, "0001")
        conn.execute(
            text(
                "INSERT INTO release_observation (ecosystem, name, version, yanked, "
                "first_seen_at) VALUES ('pypi', 'demo', '1.0', 0, '2026-01-01 00:00:00')"
            )
        )
        conn.commit()
    store = Store(url)  # upgrades to HEAD through the migrations
    store.record([facts("demo", [("1.0", "2020-01-01")])], T1)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        assert conn.execute(text("SELECT count(*) FROM release_observation")).scalar() == 1


def test_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    from chaingate.store.interface import StoreError

    bad = tmp_path / "not-a-db"
    bad.write_text("this is not sqlite")
    try:
        Store(f"sqlite:///{bad}")
    except StoreError as exc:
        assert "cannot open database" in str(exc)
    else:
        raise AssertionError("expected StoreError")


def test_each_ecosystem_is_recorded_as_its_own(tmp_path: Path) -> None:
    """One scan records PyPI packages and GitHub Actions together: each keeps one row while
    its content is unchanged (the ecosystem of the first is not everyone's)."""
    from msgspec.structs import replace

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    pypi = facts("demo", owners=["alice"])
    action = replace(facts("o/demo", owners=["bob"]), ecosystem="github-actions")
    store.record([pypi, action], T1)
    store.record([pypi, action], T2)
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT ecosystem, count(*) FROM project_observation GROUP BY ecosystem")
        ).all()
    assert sorted(rows) == [("github-actions", 1), ("pypi", 1)]
    assert store.latest("github-actions", ["o/demo"])["o/demo"].owners == (Account("bob", "Owner"),)


def test_a_tag_gets_a_row_when_its_commit_changes(tmp_path: Path) -> None:
    from msgspec.structs import replace

    from chaingate.core.facts import GitRef

    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    base = replace(facts("o/r"), ecosystem="github-actions")
    store.record([replace(base, refs=(GitRef("v1", "tag", "a" * 40),))], T1)
    store.record([replace(base, refs=(GitRef("v1", "tag", "a" * 40),))], T2)
    from chaingate.store.interface import TagSeen

    assert store.latest("github-actions", ["o/r"])["o/r"].tags == {
        "v1": TagSeen("a" * 40, T1.isoformat())
    }
    store.record([replace(base, refs=(GitRef("v1", "tag", "b" * 40),))], T2)
    assert store.latest("github-actions", ["o/r"])["o/r"].tags["v1"] == TagSeen(
        "b" * 40, T2.isoformat(), "a" * 40, T1.isoformat()
    )
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ref_observation")).scalar() == 2
