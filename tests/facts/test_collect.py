"""Collecting many projects' facts, with and without a helper process on a second core.

Against the local PyPI server (real HTTP on 127.0.0.1). The helper is a real child process
running the same code; these tests lower its threshold so a handful of documents use it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from chaingate.facts import helper
from chaingate.facts.collect import Fetched, _cores, collect, collect_from_cache
from chaingate.net.http import HttpSettings
from tests.pypiserver import PyPIServer, Status

NAMES = ["attrs", "certifi", "idna", "packaging", "requests", "six", "toml", "urllib3", "wheel"]
MISSING = "surely-not-a-project-here"

needs_two_cores = pytest.mark.skipif(
    _cores() < 2, reason="a helper process is used only when there is a second core"
)


def run(
    server: PyPIServer, cache: Path, helper_min: int | None, **wanted: list[str]
) -> tuple[Fetched, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []
    want: dict[str, list[str]] = {n: [] for n in [*NAMES, MISSING]}
    want.update(wanted)
    http = HttpSettings(cache_dir=cache, timeout=5, retries=1, backoff=0.01)
    fetched = asyncio.run(
        collect(
            want,
            server.url,
            http,
            progress=lambda done, total: seen.append((done, total)),
            helper_min=helper_min,
        )
    )
    return fetched, seen


def same(a: Fetched, b: Fetched) -> None:
    assert a.facts.keys() == b.facts.keys()
    for name in a.facts:  # fetched_at differs by when each was downloaded
        assert a.facts[name].releases == b.facts[name].releases
        assert a.facts[name].owners == b.facts[name].owners
        assert a.facts[name].people == b.facts[name].people
    assert a.not_found == b.not_found == {MISSING}
    assert a.incomplete == b.incomplete
    assert a.vulns == b.vulns


@needs_two_cores
def test_a_helper_process_fetches_a_share_with_the_same_result(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pins = {"requests": ["2.32.5"], "six": ["1.17.0"]}
    alone, _ = run(pypi_server, tmp_path / "a", None, **pins)
    helped, progress = run(pypi_server, tmp_path / "b", 1, **pins)
    assert alone.helped == 0 and 0 < helped.helped < len(NAMES) + 1
    same(alone, helped)
    total = len(NAMES) + 1
    assert [done for done, _ in progress] == list(range(1, total + 1))  # each project once
    assert {t for _, t in progress} == {total}


@needs_two_cores
def test_no_helper_when_the_documents_are_cached(pypi_server: PyPIServer, tmp_path: Path) -> None:
    run(pypi_server, tmp_path, None)
    pypi_server.clear_log()
    warm, _ = run(pypi_server, tmp_path, 1)
    assert warm.helped == 0 and warm.network_requests == 0
    assert pypi_server.hits == {}


@needs_two_cores
def test_a_fault_in_the_helpers_share_is_incomplete_not_clean(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    for name in NAMES:
        pypi_server.always(f"/pypi/{name}/json", Status(500))
    fetched, _ = run(pypi_server, tmp_path, 1)
    assert fetched.helped > 0
    assert fetched.facts == {}
    assert set(fetched.incomplete) == set(NAMES)
    assert all("HTTP 500" in why for why in fetched.incomplete.values())


@pytest.mark.parametrize(
    "program",
    [
        "import sys; sys.exit(3)",  # dies
        "import sys; sys.stdout.buffer.write(b'\\x00\\x00\\x00\\x03abc')",  # talks nonsense
        "import sys; sys.stdin.buffer.read()",  # says nothing
        # reports progress on two projects, then dies
        "import sys; from chaingate.net.frames import encoder, write_frame; "
        "from chaingate.facts.helper import _Tick; "
        "[write_frame(sys.stdout.buffer, encoder.encode(_Tick())) for _ in range(2)]; "
        "sys.exit(3)",
    ],
)
@needs_two_cores
def test_a_broken_helper_costs_time_not_packages(
    pypi_server: PyPIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    program: str,
) -> None:
    alone, _ = run(pypi_server, tmp_path / "a", None)
    monkeypatch.setattr(helper, "COMMAND", (sys.executable, "-c", program))
    fetched, progress = run(pypi_server, tmp_path / "b", 1)
    assert fetched.helped == 0  # its share was fetched here
    same(alone, fetched)
    assert [done for done, _ in progress] == list(range(1, len(NAMES) + 2))
    assert "the fetch helper ended without an answer" in capsys.readouterr().err


SIX_1_16 = {
    "info": {"name": "six", "version": "1.16.0"},
    "releases": {},
    "vulnerabilities": [
        {"id": "PYSEC-0000-1", "aliases": [], "summary": "demo", "fixed_in": ["1.17.0"]}
    ],
}


def _want(**pins: list[str]) -> dict[str, list[str]]:
    return {**{n: [] for n in NAMES}, **pins}


@pytest.mark.parametrize("per_version_documents", [True, False])
def test_a_warm_collection_from_the_cache_alone_is_the_collection(
    pypi_server: PyPIServer, tmp_path: Path, per_version_documents: bool
) -> None:
    if per_version_documents:
        pypi_server.add_version("six", "1.16.0", json.dumps(SIX_1_16).encode())
    want = _want(six=["1.16.0"])
    http = HttpSettings(cache_dir=tmp_path, timeout=5, retries=1, backoff=0.01)
    networked = asyncio.run(collect(want, pypi_server.url, http, helper_min=None))
    pypi_server.clear_log()
    seen: list[tuple[int, int]] = []

    cached = collect_from_cache(
        want, pypi_server.url, http, progress=lambda done, total: seen.append((done, total))
    )

    assert cached is not None and pypi_server.hits == {}
    assert cached.facts == networked.facts
    assert cached.vulns == networked.vulns
    assert (("six", "1.16.0") in cached.vulns) is per_version_documents
    assert cached.version_docs_unsupported is networked.version_docs_unsupported
    assert cached.version_docs_unsupported is not per_version_documents
    assert (cached.not_found, cached.incomplete, cached.network_requests) == (set(), {}, 0)
    assert seen == [(i, len(NAMES)) for i in range(1, len(NAMES) + 1)]


def test_anything_the_cache_cannot_answer_leaves_the_collection_to_the_network(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.add_version("six", "1.16.0", json.dumps(SIX_1_16).encode())
    http = HttpSettings(cache_dir=tmp_path, timeout=5, retries=1, backoff=0.01)
    url = pypi_server.url
    assert collect_from_cache(_want(), url, http) is None  # cold
    asyncio.run(collect(_want(six=["1.16.0"]), url, http, helper_min=None))
    pypi_server.clear_log()
    assert collect_from_cache(_want(six=["1.16.0"]), url, http) is not None

    assert collect_from_cache(_want(six=["1.15.0"]), url, http) is None  # a new pin's document
    assert collect_from_cache({**_want(), MISSING: []}, url, http) is None  # a 404
    for facts in (tmp_path / "facts").rglob("*.facts"):
        facts.unlink()  # the facts of a document were lost: it must be parsed again
    assert collect_from_cache(_want(six=["1.16.0"]), url, http) is None
    assert pypi_server.hits == {}  # it never asks: that is the async collection's job
