"""The parsed-TOML cache: what it gives back is what tomli gives, it is really read on the
second parse, and whatever goes wrong with it costs time, never a wrong inventory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import msgspec
import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.core.inventory import InventoryError
from chaingate.ecosystems.pypi.manifests._common import parse_toml
from chaingate.inventory.discover import parse_file
from chaingate.net import tomlcache
from chaingate.net.atomic import seal, unseal

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).parents[2]
T = TypeVar("T", datetime, time)
PAD = "\n# " + "x" * tomlcache.MIN_CHARS + "\n"  # a comment that makes any lock "large"

LOCKS = [
    ("uv", "uv.lock", "uv.lock"),
    ("poetry", "poetry.lock", "poetry.lock"),
    ("pdm", "pdm.lock", "pdm.lock"),
    ("pylock/pep751", "pylock.toml", "pylock"),
    ("pyproject", "pyproject.toml", "pyproject"),
]


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "toml").glob("*.msgpack"))


@pytest.mark.parametrize(("folder", "name", "kind"), LOCKS)
def test_a_large_file_parses_the_same_from_the_cache(
    tmp_path: Path, folder: str, name: str, kind: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / folder, project)  # siblings too: some parsers read them
    lock = project / name
    lock.write_text(lock.read_text(encoding="utf-8") + PAD, encoding="utf-8")
    cache = tmp_path / "cache"

    uncached = parse_file(lock, kind, name)
    with tomlcache.using(cache):
        first = parse_file(lock, kind, name)
    assert len(entries(cache)) == 1
    with tomlcache.using(cache):
        second = parse_file(lock, kind, name)

    assert first == second == uncached
    assert uncached.entries  # the fixture is not empty


def test_the_second_parse_reads_the_entry_and_a_corrupt_one_is_parsed_again(
    tmp_path: Path,
) -> None:
    text = (ROOT / "examples" / "webapp" / "uv.lock").read_text(encoding="utf-8")
    cache = tmp_path / "cache"
    with tomlcache.using(cache):
        real = parse_toml(text, "uv.lock")
    (entry,) = entries(cache)
    assert real == tomli.loads(text)

    # A sealed entry is believed as it is: a doctored one shows through (so hits are real
    # hits); one changed on disk since it was sealed is not (issue 12, item 10).
    doctored = {**real, "version": 999}
    entry.write_bytes(seal(msgspec.msgpack.encode(doctored)))
    with tomlcache.using(cache):
        assert parse_toml(text, "uv.lock") == doctored
    entry.write_bytes(msgspec.msgpack.encode(doctored))
    with tomlcache.using(cache):
        assert parse_toml(text, "uv.lock") == real

    entry.write_bytes(b"\xc1 not msgpack")
    with tomlcache.using(cache):
        assert parse_toml(text, "uv.lock") == real
    assert msgspec.msgpack.decode(unseal(entry.read_bytes()) or b"") == real  # written afresh


def test_dates_and_times_come_back_as_tomli_gives_them(tmp_path: Path) -> None:
    text = (
        "at = 2024-05-01T12:00:00.123456+02:00\nutc = 2024-05-01T10:00:00Z\n"
        "local = 2024-05-01T12:00:00\nday = 2024-05-01\nclock = 07:32:00.5\n"
        f"nested = [{{when = 1979-05-27}}, [00:00:01]]\n{PAD}"
    )
    cache = tmp_path / "cache"
    with tomlcache.using(cache):
        parse_toml(text, "a.toml")
        assert len(entries(cache)) == 1
        again = parse_toml(text, "a.toml")

    want = tomli.loads(text)
    assert again == want
    for key in ("at", "utc", "local", "day", "clock"):
        assert type(again[key]) is type(want[key]), key
        assert str(again[key]) == str(want[key]), key  # the same offset, not just the instant


def test_only_large_documents_msgpack_can_hold_are_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    huge = f"n = {2**64}\n{PAD}"  # a TOML integer may be larger than msgpack's 64 bits
    small = 'name = "small"\n'
    with tomlcache.using(cache):
        assert parse_toml(huge, "b.toml")["n"] == 2**64
        assert parse_toml(small, "c.toml") == {"name": "small"}
    assert entries(cache) == []


def test_errors_still_name_the_line_and_are_not_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    text = PAD + "[package]\nname = \n"
    with tomlcache.using(cache), pytest.raises(InventoryError) as err:
        parse_toml(text, "uv.lock")
    assert str(err.value).startswith(f"uv.lock:{text.count(chr(10))}: invalid TOML")
    assert entries(cache) == []


def test_an_unwritable_cache_costs_nothing_but_time(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    text = (ROOT / "examples" / "webapp" / "uv.lock").read_text(encoding="utf-8")
    with tomlcache.using(blocker):
        assert parse_toml(text, "uv.lock") == tomli.loads(text)
        assert parse_toml(text, "uv.lock") == tomli.loads(text)


def test_the_least_recently_used_entries_go_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tomlcache, "MAX_ENTRIES", 3)
    cache = tmp_path / "cache"
    docs = [f"n = {i}\n{PAD}" for i in range(5)]
    where = tomlcache.TomlCache(cache / "toml")._path
    with tomlcache.using(cache):
        for i, doc in enumerate(docs[:3]):
            parse_toml(doc, "x.toml")
            os.utime(where(doc), (100 + i, 100 + i))  # docs[0] the oldest
        assert parse_toml(docs[0], "x.toml") == {"n": 0}  # used again: now the newest
        parse_toml(docs[3], "x.toml")
        parse_toml(docs[4], "x.toml")

    assert entries(cache) == sorted(where(docs[i]) for i in (0, 3, 4))


def test_the_scan_keeps_its_lock_in_the_cache_dir_it_is_given(tmp_path: Path) -> None:
    cache = tmp_path / "given-cache"
    lock = str(ROOT / "examples/webapp/uv.lock")
    offline = ["--no-resolve", "--offline", "--no-domain-checks", "--no-db"]
    proc = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", lock, *offline, "--cache-dir", str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "other")},
    )
    assert proc.returncode == 0, proc.stderr
    assert len(entries(cache)) == 1
    assert not (tmp_path / "other").exists()


_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timedelta(minutes=minutes)
)


def _unfolded(value: T) -> T:
    return value.replace(fold=0)


_leaves = st.one_of(
    st.text(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False),
    st.booleans(),
    # as tomli makes them: fixed offsets in minutes, no fold
    st.datetimes(timezones=st.none() | st.builds(timezone, _offsets)).map(_unfolded),
    st.dates(),
    st.times().map(_unfolded),
)
_documents = st.dictionaries(
    st.text(),
    st.recursive(
        _leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(document=_documents)
def test_any_value_tomli_can_give_comes_back_equal_and_of_the_same_type(
    document: dict[str, object],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cache = tomlcache.TomlCache(Path(tmp))
        cache.put("text", document)
        again = cache.get("text")

    assert again == document
    assert repr(again) == repr(document)  # types and offsets too, not only equal values
