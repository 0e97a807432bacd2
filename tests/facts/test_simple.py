"""The simple API parser: recorded pypi.org pages and hand-made ones with relative links."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.core.facts import RegistryError
from chaingate.ecosystems.pypi.simple import facts_from_simple, parse_simple_page

SIMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "simple"
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_relative_links_resolve_against_the_page() -> None:
    page = (
        b'<html><body><a href="../../packages/ab/cd/demo-1.0.tar.gz#sha256=' + b"a" * 64 + b'">'
        b"demo-1.0.tar.gz</a>"
        b'<a href="/root/pkgs/demo-1.1-py3-none-any.whl" data-yanked="broken build">'
        b"demo-1.1-py3-none-any.whl</a></body></html>"
    )
    files = parse_simple_page(page, "https://mirror.example/simple/demo/")
    assert [f.url for f in files] == [
        "https://mirror.example/packages/ab/cd/demo-1.0.tar.gz",
        "https://mirror.example/root/pkgs/demo-1.1-py3-none-any.whl",
    ]
    assert files[0].sha256 == "a" * 64
    assert files[1].yanked and files[1].yanked_reason == "broken build"


def test_recorded_pypi_pages_html_and_pep691_agree() -> None:
    html = gzip.decompress((SIMPLE / "six.html.gz").read_bytes())
    j = gzip.decompress((SIMPLE / "six.pep691.json.gz").read_bytes())
    from_html = parse_simple_page(html, "https://pypi.org/simple/six/")
    from_json = parse_simple_page(j, "https://pypi.org/simple/six/")
    assert sorted((f.filename, f.url) for f in from_html) == sorted(
        (f.filename, f.url) for f in from_json
    )
    assert all(f.url.startswith("https://files.pythonhosted.org/") for f in from_html)
    assert all(f.upload_time is not None for f in from_json)  # PEP 700


def test_facts_from_a_pep691_page_are_dated_but_ownerless() -> None:
    page = gzip.decompress((SIMPLE / "six.pep691.json.gz").read_bytes())
    facts = facts_from_simple(
        "six",
        parse_simple_page(page, "https://pypi.org/simple/six/"),
        source_url="https://pypi.org/simple/six/",
        fetched_at=NOW,
    )
    assert facts.latest_version == "1.17.0"
    assert not facts.has_ownership
    first = facts.releases[0]
    assert first.uploaded_at is not None and first.uploaded_at.year < 2012


def test_malformed_json_page_is_a_registry_error() -> None:
    with pytest.raises(RegistryError):
        parse_simple_page(b'{"files": 3}', "https://x.example/simple/y/")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_files_or_a_registry_error(body: bytes) -> None:
    try:
        files = parse_simple_page(body, "https://x.example/simple/y/")
    except RegistryError:
        return
    facts_from_simple("y", files, source_url="u", fetched_at=NOW)
