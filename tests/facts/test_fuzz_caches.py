"""Issue 12, item 14: every file chaingate keeps under its cache directory, however damaged
(hand-edited, torn, nested too deep, values of the wrong type), is read as an answer or as
a miss that is fetched or computed again: never an exception.

Each reader is fed what hypothesis makes of a sound entry: a field replaced by a value of
another type or size, or the whole file replaced by bytes.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.ecosystems.pypi.memo import IndexMemo
from chaingate.facts.intel.cache import DomainCache, HostMemo, SourceMemo
from chaingate.net.factscache import FactsCache
from chaingate.net.http import FetchError, HttpClient, HttpSettings
from chaingate.net.tomlcache import TomlCache

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DEEP = b"[" * 50_000 + b"]" * 50_000
# msgpack: {"a": [[[...nil]]]} and {"a": {"b": [[[...]]]}}, under keys a reader skips
DEEP_PACK = b"\x81\xa1a" + b"\x91" * 50_000 + b"\xc0"
DEEP_PACK_2 = b"\x81\xa1a\x81\xa1b" + b"\x91" * 50_000 + b"\xc0"

ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**40, -(10**40), 2**64, "x", "", "Infinity", [1], {"a": 1}]),
    st.floats(),
    st.text(max_size=10),
)


def files(sound: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """A sound JSON entry with fields replaced or added, or bytes."""
    keys = st.sampled_from([*sound, "extra"])
    damaged = st.dictionaries(keys, ODD, min_size=1, max_size=3).map(
        lambda changes: json.dumps({**sound, **changes}).encode()
    )
    return st.one_of(
        damaged,
        damaged,
        st.binary(max_size=60),
        st.just(DEEP),
        st.just(b'{"key": ' + DEEP + b"}"),
        st.sampled_from([b"[]", b"null", b"1e400", b"{}"]),
    )


URL = "https://index.example/pypi/six/json"
SOUND_META = {
    "url": URL,
    "status": 200,
    "fetched_at": time.time(),
    "downloaded_at": time.time(),
    "max_age": None,
    "etag": '"e"',
    "last_modified": None,
    "length": 2,
    "body_id": "b",
    "body_kept": True,
    "key": f"application/json {URL}",
}


def test_http_cache_metadata(tmp_path: Path) -> None:
    client = HttpClient(HttpSettings(cache_dir=tmp_path / "http"))
    meta_path, body_path = client._cache._paths(SOUND_META["key"])  # type: ignore[union-attr]
    meta_path.parent.mkdir(parents=True)
    body_path.write_bytes(b"{}")

    @SETTINGS
    @given(meta=files(SOUND_META))
    def run(meta: bytes) -> None:
        meta_path.write_bytes(meta)
        response = client.cached(URL)
        if response is not None:
            assert response.status in (200, 404)
            assert isinstance(response.fetched_at, float | int)
            with contextlib.suppress(FetchError):  # read as a scan reads it
                assert isinstance(response.body, bytes)

    run()


def test_facts_cache_entries(tmp_path: Path) -> None:
    cache = FactsCache(tmp_path)

    @SETTINGS
    @given(data=st.one_of(st.binary(max_size=200), st.sampled_from([DEEP_PACK, DEEP_PACK_2])))
    def run(data: bytes) -> None:
        path = cache._path("b", URL)
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        cache.get("b", URL)  # facts, or None: parsed again

    run()


def test_toml_cache_entries(tmp_path: Path) -> None:
    cache = TomlCache(tmp_path)
    tmp_path.mkdir(exist_ok=True)

    @SETTINGS
    @given(data=st.one_of(st.binary(max_size=200), st.sampled_from([DEEP_PACK, DEEP_PACK_2])))
    def run(data: bytes) -> None:
        cache._path("text").write_bytes(data)
        cache.get("text")

    run()


def test_index_memo(tmp_path: Path) -> None:
    memo = IndexMemo(tmp_path, "https://index.example", 900)
    assert memo.path is not None
    memo.path.parent.mkdir(parents=True)

    @SETTINGS
    @given(data=files({"version_docs": True, "checked_at": time.time()}))
    def run(data: bytes) -> None:
        memo.path.write_bytes(data)  # type: ignore[union-attr]
        again = IndexMemo(tmp_path, "https://index.example", 900)
        assert again.version_docs in (None, True, False)

    run()


def test_domain_source_memo_and_host_memo(tmp_path: Path) -> None:
    sources, hosts = SourceMemo(tmp_path), HostMemo(tmp_path)
    entry = {"key": "k", "reason": "refused", "checked_at": NOW.isoformat()}

    @SETTINGS
    @given(
        source=files({"dns": entry}) | files(entry).map(lambda b: b'{"dns": ' + b + b"}"),
        host=files({"files.example": "example", "a.b": None}),
    )
    def run(source: bytes, host: bytes) -> None:
        sources.path.write_bytes(source)  # type: ignore[union-attr]
        said = sources.unavailable("dns", "k", NOW)
        assert said is None or isinstance(said, str)
        hosts.path.write_bytes(host)  # type: ignore[union-attr]
        loaded = hosts.load()
        assert all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in loaded.items()
        )

    run()


def test_domain_cache(tmp_path: Path) -> None:
    cache = DomainCache(tmp_path, timedelta(hours=24))

    @SETTINGS
    @given(data=st.one_of(st.binary(max_size=200), st.sampled_from([DEEP_PACK, DEEP_PACK_2])))
    def run(data: bytes) -> None:
        cache.path.write_bytes(data)  # type: ignore[union-attr]
        cache.fresh(["example.com", "a"], NOW)

    run()
