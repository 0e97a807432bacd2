"""Resolution that does not sink the tree (issue 13): a pyproject-only project is resolved
one scope at a time (runtime alone, then each group and extra) for a target interpreter,
by default the lowest Python its requires-python admits. A group that cannot be resolved
is incomplete on its own, with uv's reason naming the group; the others keep their
transitive trees.

The index is the local PyPI (tests/pypiserver.py) serving generated wheels to the real
uv: cg-sphinx's only release requires Python >= 3.12 (as sphinx 9.1 does, which black's
docs group pins), while the project's requires-python is >= 3.9.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaingate.ecosystems.pypi.resolve import lowest_python
from chaingate.inventory.build import build_inventory
from tests.guard.world import document
from tests.inventory.wheels import write_wheel
from tests.pypiserver import PyPIServer

UPLOADED = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
RELEASES = {  # name -> (version, Requires-Dist, Requires-Python)
    "cg-web": ("1.0", ["cg-core>=1"], None),
    "cg-core": ("1.0", [], None),
    "cg-sphinx": ("9.1", ["cg-core>=1"], ">=3.12"),
    "cg-pytest": ("8.0", ["cg-pluggy"], None),
    "cg-pluggy": ("1.5", [], None),
}
PYPROJECT = """\
[project]
name = "app"
version = "1.0"
requires-python = ">=3.9"
dependencies = ["cg-web"]

[dependency-groups]
docs = ["cg-sphinx==9.1"]
dev = ["cg-pytest"]
"""


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PyPIServer]:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    with PyPIServer() as server:
        for name, (version, requires, python) in RELEASES.items():
            wheel = write_wheel(tmp_path, name, version, requires)
            data = wheel.read_bytes()
            server.add_file(wheel.name, data)
            doc = json.loads(document(name, version, {wheel.name: data}, UPLOADED, "alice"))
            for file in doc["releases"][version]:
                file["requires_python"] = python
            server.add_project(name, json.dumps(doc).encode())
        yield server


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


def test_a_group_that_cannot_resolve_is_incomplete_alone(index: PyPIServer, project: Path) -> None:
    inventory = build_inventory(project, index_url=index.index_url)
    assert inventory.resolved_with is not None and inventory.resolved_with.startswith("uv ")
    found = {p.name: (p.version, p.scopes) for p in inventory.packages}
    assert found == {
        "cg-web": ("1.0", ("runtime",)),
        "cg-core": ("1.0", ("runtime",)),  # runtime keeps its transitive tree
        "cg-pytest": ("8.0", ("dev",)),
        "cg-pluggy": ("1.5", ("dev",)),  # so does dev
        "cg-sphinx": ("9.1", ("docs",)),  # as pinned: the docs group did not resolve
    }
    assert inventory.unresolved == ()  # not the file: the group
    (failure,) = inventory.unresolved_scopes
    assert failure.scope == "docs"
    assert failure.file == "pyproject.toml"
    assert "cg-sphinx" in failure.reason and "3.12" in failure.reason  # uv's own reason
    assert "3.9" in failure.reason  # the target: the lowest requires-python admits


def test_a_target_python_that_fits_resolves_every_group(index: PyPIServer, project: Path) -> None:
    inventory = build_inventory(project, index_url=index.index_url, python_version="3.12")
    assert inventory.unresolved_scopes == ()
    sphinx = next(p for p in inventory.packages if p.name == "cg-sphinx")
    core = next(p for p in inventory.packages if p.name == "cg-core")
    assert sphinx.scopes == ("docs",)
    assert core.scopes == ("runtime", "docs")  # cg-sphinx pulls it in too


def test_scan_names_the_group_and_keeps_the_resolver(
    index: PyPIServer, project: Path, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "PIP_CONFIG_FILE": "/dev/null",
    }
    done = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", "--index-url", index.url, "--no-db",
         "--no-domain-checks", "--now", "2026-11-25T12:00:00Z", "--format", "json"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    doc = json.loads(done.stdout)
    assert doc["resolved_with"].startswith("uv ")
    entries = [i for i in doc["incomplete"] if i["package"] == "scope docs"]
    assert len(entries) == 1, doc["incomplete"]
    assert "dependency group docs" in entries[0]["reason"]
    assert "cg-sphinx" in entries[0]["reason"]
    assert not [i for i in doc["incomplete"] if i["package"] == "pyproject.toml"]
    # --scope runtime leaves the docs group, and its incompleteness, out of the gate
    gate = subprocess.run(
        [sys.executable, "-m", "chaingate", "check", "--index-url", index.url, "--no-db",
         "--no-domain-checks", "--now", "2026-11-25T12:00:00Z", "--format", "json",
         "--scope", "runtime"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    scanned = json.loads(gate.stdout)["scan"]
    assert {p["name"] for p in scanned["packages"]} == {"cg-web", "cg-core"}
    assert not [i for i in scanned["incomplete"] if i["package"].startswith("scope ")]
    assert gate.returncode != 3, gate.stdout


def test_lowest_python_requires_python_admits() -> None:
    assert lowest_python(">=3.9") == "3.9"
    assert lowest_python(">=3.9.2,<4") == "3.9.2"
    assert lowest_python("~=3.10") == "3.10"
    assert lowest_python(">3.11") == "3.11.1"
    assert lowest_python("==3.13.*") == "3.13"
    assert lowest_python("<3") is None
    assert lowest_python("not a specifier") is None
    assert lowest_python(None) is None
