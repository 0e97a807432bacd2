"""The install guards' world as fixtures: the real six and idna wheels, a local index on
127.0.0.1 serving them with the recorded documents and a few tiny wheels built here, and
a fresh virtualenv per test whose pip sees only that index.

The index serves the recorded pypi.org documents of six and idna with their real wheels
(downloaded once from PyPI with `pip download`, checked against the recorded digests, and
kept in pytest's cache), plus tiny wheels built here: `reqeusts`, a two-day-old typosquat
of requests with a single owner; `guardtest-app`, which depends on it; and `guardtest-lib`,
a new but harmless package depending on six and idna; and `solidlib`, old and harmless.

A second index (`attacker`) and a find-links directory (`planted`) offer solidlib 1.0
again as `solidlib-1.0-1-py3-none-any.whl`: the same name and version with a build tag,
which pip prefers, and a module of its own (`solidlib/planted.py`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.guard.world import NOW, REAL, clean_env, document, recorded_file
from tests.inventory.wheels import write_wheel
from tests.pypiserver import PyPIServer, recorded_documents

# --- wheels, documents, an index, a virtualenv ----------------------------------


@pytest.fixture(scope="session")
def real_wheels(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """six and idna wheels from PyPI, fetched once and checked against the recorded digests."""
    cache = getattr(request.config, "cache", None)
    where = cache.mkdir("chaingate-guard-wheels") if cache else tmp_path_factory.mktemp("wheels")
    wanted = {
        name: f"{name}-{version}-{'py2.py3' if name == 'six' else 'py3'}-none-any.whl"
        for name, version in REAL.items()
    }
    if not all((where / f).is_file() for f in wanted.values()):
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--index-url", "https://pypi.org/simple", "--disable-pip-version-check",
             "-d", str(where), *(f"{n}=={v}" for n, v in REAL.items())],
            env=clean_env(), capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot download the real wheels from PyPI: {done.stderr[-300:]}")
    for name, filename in wanted.items():
        digest = hashlib.sha256((where / filename).read_bytes()).hexdigest()
        assert digest == recorded_file(name, filename)["digests"]["sha256"], filename
    return where


def _document(
    name: str, version: str, wheel: Path, uploaded: datetime, owner: str, requires: list[str]
) -> bytes:
    """A JSON API document for a one-release project whose only file is `wheel`."""
    return document(name, version, {wheel.name: wheel.read_bytes()}, uploaded, owner, requires)


@pytest.fixture
def index(real_wheels: Path, tmp_path: Path) -> Iterator[PyPIServer]:
    recorded = recorded_documents()
    with PyPIServer({name: recorded[name] for name in REAL}) as server:
        for wheel in real_wheels.glob("*.whl"):
            server.add_file(wheel.name, wheel.read_bytes())
        built = tmp_path / "built"
        built.mkdir()
        for name, version, uploaded, owner, requires in (
            ("reqeusts", "2.32.6", NOW - timedelta(days=2), "kennethreitz2", []),
            ("guardtest-app", "1.0.0", NOW - timedelta(days=400), "alice", ["reqeusts>=2"]),
            ("guardtest-lib", "0.1.0", NOW - timedelta(days=3), "alice", ["six", "idna>=3"]),
            ("solidlib", "1.0", NOW - timedelta(days=400), "alice", []),
        ):
            wheel = write_wheel(built, name, version, requires)
            server.add_file(wheel.name, wheel.read_bytes())
            server.add_project(name, _document(name, version, wheel, uploaded, owner, requires))
        yield server


@pytest.fixture(scope="session")
def template_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with pip, made once; each test works on its own copy."""
    where = tmp_path_factory.mktemp("template") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, env=clean_env())
    return where


@pytest.fixture
def venv(template_venv: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "venv"
    shutil.copytree(template_venv, copy, symlinks=True)
    return copy


@pytest.fixture(autouse=True)
def isolated_pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pip sees only the local index: none of this machine's configuration or caches."""
    for key in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(key)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "pip-cache"))


PLANTED = "solidlib-1.0-1-py3-none-any.whl"


def _planted_wheel(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    return write_wheel(
        where, "solidlib", "1.0", [], build="1", extra={"solidlib/planted.py": "PLANTED = 1\n"}
    )


@pytest.fixture
def attacker(tmp_path: Path) -> Iterator[PyPIServer]:
    """A second index, serving solidlib 1.0 as a build-tagged wheel of the attacker's."""
    with PyPIServer() as server:
        wheel = _planted_wheel(tmp_path / "attacker-built")
        assert wheel.name == PLANTED
        server.add_file(wheel.name, wheel.read_bytes())
        uploaded = NOW - timedelta(days=1)
        server.add_project("solidlib", _document("solidlib", "1.0", wheel, uploaded, "mallory", []))
        yield server


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A find-links directory holding the attacker's solidlib wheel."""
    where = tmp_path / "planted"
    _planted_wheel(where)
    return where
