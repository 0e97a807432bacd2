"""Issue 12, item 14: a registry's answer, however damaged, is facts or a `RegistryError`
(which makes the package incomplete with its reason), never another exception; and facts
that parse can be kept in the facts cache and read back.

The seeds are the recorded pypi.org documents (JSON API, PEP 691 JSON, PEP 503 HTML);
hypothesis swaps values anywhere in them for values of other types and sizes (huge and
negative integers, deep nesting, control characters, odd dates), or feeds raw bytes.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.core.facts import ProjectFacts, RegistryError
from chaingate.ecosystems.pypi.registry import parse_project, parse_vulnerabilities
from chaingate.ecosystems.pypi.simple import facts_from_simple, parse_simple_page
from chaingate.net.factscache import FactsCache

FIXTURES = Path(__file__).parent.parent / "fixtures"
FETCHED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _small(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with a few releases only, so each example stays fast."""
    releases = dict(list(doc.get("releases", {}).items())[-4:])
    return {**doc, "releases": releases}


SEEDS = [
    _small(json.loads(gzip.decompress((FIXTURES / "pypi" / f"{name}.json.gz").read_bytes())))
    for name in ("six", "requests", "idna")
]
SIMPLE = [
    gzip.decompress((FIXTURES / "simple" / name).read_bytes())
    for name in ("six.html.gz", "six.pep691.json.gz")
]

DEEP = "DEEP"  # replaced by 50,000 levels of nesting once serialised
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**40, -(10**40), 2**63, 2**64, -1, 10**4000]),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(
        [
            DEEP,
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00",
            "2020-02-30T00:00:00Z",
            "\x1b[2K\x1b[1A",
            "\u202eevil",
            "",
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _replace(doc[head], rest, value)}
    copy = list(doc)
    copy[head] = _replace(copy[head], rest, value)
    return copy


def _dumps(doc: Any) -> bytes:
    text = json.dumps(doc, allow_nan=True)
    return text.replace(f'"{DEEP}"', "[" * 50_000 + "]" * 50_000).encode()


@st.composite
def damaged(draw: st.DrawFn, seed: Any) -> bytes:
    doc = seed
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(doc)))
        doc = _replace(doc, path, draw(ODD_VALUES))
    return _dumps(doc)


def documents(seeds: list[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(seeds).flatmap(damaged),
        st.sampled_from(seeds).flatmap(damaged),
        st.binary(max_size=100),
        st.sampled_from([b"{}", b"[]", b"null", b'{"info": {"name": "x"}}']),
    )


def test_project_documents_are_facts_or_a_registry_error(tmp_path: Path) -> None:
    cache = FactsCache(tmp_path)

    @SETTINGS
    @given(body=documents(SEEDS))
    def run(body: bytes) -> None:
        try:
            facts = parse_project(body, source_url="https://i/pypi/x/json", fetched_at=FETCHED)
        except RegistryError as exc:
            assert str(exc)
            return
        assert isinstance(facts, ProjectFacts)
        cache.put("body", "url", facts)  # the facts can be kept ...
        assert cache.get("body", "url") == facts  # ... and read back

    run()


def test_version_documents_are_vulnerabilities_or_a_registry_error() -> None:
    @SETTINGS
    @given(body=documents(SEEDS))
    def run(body: bytes) -> None:
        try:
            parse_vulnerabilities(
                body, source_url="https://i/pypi/six/1.16.0/json", name="six", version="1.16.0"
            )
        except RegistryError as exc:
            assert str(exc)

    run()


def test_simple_pages_are_facts_or_a_registry_error(tmp_path: Path) -> None:
    json_seed = json.loads(SIMPLE[1])
    json_seed = {**json_seed, "files": json_seed["files"][-6:]}
    cache = FactsCache(tmp_path)

    @SETTINGS
    @given(
        body=st.one_of(
            documents([json_seed]),
            st.binary(max_size=300).map(lambda b: SIMPLE[0][:2000] + b),
            st.text(max_size=200).map(lambda t: f'<a href="{t}">{t}</a>'.encode()),
        )
    )
    def run(body: bytes) -> None:
        try:
            files = parse_simple_page(body, "https://i/simple/six/")
            facts = facts_from_simple("six", files, source_url="u", fetched_at=FETCHED)
        except RegistryError as exc:
            assert str(exc)
            return
        cache.put("body", "url", facts)
        assert cache.get("body", "url") == facts

    run()
