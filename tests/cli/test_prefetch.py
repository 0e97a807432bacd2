"""The command line's cold-download trick (cli/prefetch.py): a child process fetches a share
of the documents into the shared cache; each document is downloaded once; a child that
fails costs time, never a package.

Against the local PyPI server; `MIN_DOCUMENTS` is lowered because the recorded documents are
fewer than a real tree's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaingate.cli import prefetch
from chaingate.core.refs import PackageRef
from chaingate.engine import Engine
from chaingate.net.http import HttpSettings
from tests.pypiserver import PyPIServer

NAMES = ["attrs", "certifi", "docopt", "idna", "packaging", "requests", "six", "toml", "wheel"]


def refs() -> list[PackageRef]:
    return [PackageRef("pypi", n) for n in NAMES]


def engine(server: PyPIServer, tmp_path: Path) -> Engine:
    http = HttpSettings(cache_dir=tmp_path / "cache", timeout=5, retries=0)
    return Engine(http=http, indexes={"pypi": server.url})


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefetch, "MIN_DOCUMENTS", 2)
    monkeypatch.setattr(prefetch, "_cores", lambda: 2)
    monkeypatch.delenv("CHAINGATE_NO_PREFETCH", raising=False)


def test_a_child_fetches_a_share_and_each_document_is_downloaded_once(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    with engine(pypi_server, tmp_path) as e:
        assert len(e.to_download(refs())) == len(NAMES)
        prefetch.warm(e, refs())
        assert e.to_download(refs()) == []  # every document is in the cache now
        fetched = e.fetch(refs())
    assert fetched.network_requests == 0 and len(fetched.facts) == len(NAMES)
    project_hits = {p: n for p, n in pypi_server.hits.items() if p.startswith("/pypi/")}
    assert set(project_hits) == {f"/pypi/{n}/json" for n in NAMES}
    assert set(project_hits.values()) == {1}


def test_a_failed_child_costs_time_not_packages(
    pypi_server: PyPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prefetch.sys, "executable", "/bin/false")
    with engine(pypi_server, tmp_path) as e:
        prefetch.warm(e, refs())
        left = e.to_download(refs())
        assert 0 < len(left) < len(NAMES)  # the child's share was not fetched
        fetched = e.fetch(refs())
    assert sorted(r.name for r in fetched.facts) == NAMES
    assert fetched.incomplete == {}


def test_a_warm_cache_starts_no_child(
    pypi_server: PyPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine(pypi_server, tmp_path) as e:
        e.fetch(refs())

        def no_child(*args: object, **kwargs: object) -> None:
            raise AssertionError("a child process was started for a warm cache")

        monkeypatch.setattr(prefetch.subprocess, "Popen", no_child)
        prefetch.warm(e, refs())
