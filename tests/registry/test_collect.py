"""Collecting many projects' facts, with and without a helper process on a second core.

Against the local PyPI server (real HTTP on 127.0.0.1). The helper is a real child process
running the same code; these tests lower its threshold so a handful of documents use it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from chaingate.registry import helper
from chaingate.registry.collect import Fetched, _cores, collect
from chaingate.registry.http import HttpSettings
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
        "import sys; from chaingate.frames import encoder, write_frame; "
        "from chaingate.registry.helper import _Tick; "
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
