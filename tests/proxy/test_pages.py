"""Reading and writing simple pages (proxy/pages.py): hypothesis throws arbitrary bytes and
arbitrary well-formed pages at the parser; what comes back is bounded and safe to serve."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.proxy.pages import (
    PEP691_HTML,
    PEP691_JSON,
    PageError,
    negotiate,
    parse_page,
    render,
    version_of,
)

URL = "https://upstream.example/simple/demo/"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_are_a_page_or_a_page_error(body: bytes) -> None:
    try:
        page = parse_page(body, URL, "demo")
    except PageError:
        return
    for f in page.files:
        assert "/" not in f.filename and not f.filename.startswith(".")
        assert all(c.isprintable() for c in f.filename)


_names = st.from_regex(
    r"demo-[0-9]{1,3}(\.[0-9]{1,3}){0,2}(-py3-none-any\.whl|\.tar\.gz)", fullmatch=True
)
_text = st.text(max_size=40)
_file = st.fixed_dictionaries(
    {"filename": st.one_of(_names, _text), "url": st.one_of(_text, _names)},
    optional={
        "hashes": st.dictionaries(st.sampled_from(["sha256", "md5", "x y"]), st.text(max_size=70)),
        "requires-python": st.one_of(st.none(), _text, st.integers()),
        "yanked": st.one_of(st.booleans(), _text, st.none()),
        "core-metadata": st.one_of(st.booleans(), st.dictionaries(_text, _text)),
        "upload-time": st.one_of(_text, st.none()),
        "size": st.one_of(st.integers(), st.booleans(), _text),
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_file, max_size=8), st.one_of(_text, st.integers(), st.none()))
def test_json_pages_round_trip_through_the_proxy(
    files: list[dict[str, object]], serial: object
) -> None:
    body = json.dumps({"meta": {"_last-serial": serial}, "name": "demo", "files": files}).encode()
    page = parse_page(body, URL, "demo")
    for kind in (PEP691_JSON, "text/html"):
        out = render(page, list(page.files), kind)
        again = parse_page(out, "http://proxy.example/simple/demo/", "demo")
        assert [f.filename for f in again.files] == [f.filename for f in page.files]
        assert [f.sha256 for f in again.files] == [f.sha256 for f in page.files]
        assert [f.yanked for f in again.files] == [f.yanked for f in page.files]
        for f in again.files:  # every link points at the proxy's own /files/
            assert f.url.startswith("http://proxy.example/files/demo/")


@given(st.text(max_size=200))
def test_negotiation_never_fails(accept: str) -> None:
    assert negotiate(accept) in (None, PEP691_JSON, PEP691_HTML, "text/html")


def test_html_attributes_are_read_as_pip_reads_them() -> None:
    html = (
        '<a href="../../files/demo-1.0.tar.gz#sha256=' + "a" * 64 + '" '
        'data-requires-python="&gt;=3.9" data-yanked="broken" '
        'data-dist-info-metadata="sha256=' + "b" * 64 + '">demo-1.0.tar.gz</a>'
        '<a href="https://files.example/x/demo-2.0-py3-none-any.whl" data-yanked>w</a>'
        "<!--SERIAL 42-->"
    )
    page = parse_page(html.encode(), URL, "demo")
    first, second = page.files
    assert first.url == "https://upstream.example/files/demo-1.0.tar.gz"
    assert first.sha256 == "a" * 64
    assert first.requires_python == ">=3.9"
    assert first.yanked == "broken"
    assert first.core_metadata == {"sha256": "b" * 64}
    assert second.yanked is True and second.sha256 is None
    assert page.serial == "42"
    assert page.versions == ["1.0", "2.0"]


def test_versions_are_told_from_filenames() -> None:
    assert version_of("Demo_Pkg-1.2.post1-py3-none-any.whl") == "1.2.post1"
    assert version_of("demo-0.9.tar.gz") == "0.9"
    assert version_of("demo-0.8-py2.7.egg") == "0.8"
    assert version_of("demo.exe") is None
