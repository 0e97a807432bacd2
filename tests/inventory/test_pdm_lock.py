"""pdm.lock: PEP 508 dependency strings give the graph; pyproject.toml the direct set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError, Origin
from chaingate.ecosystems.pypi.manifests import pdm_lock
from tests.inventory.documents import DEMO_DIRECT, DEMO_GRAPH, write

FIXTURES = Path(__file__).parent / "fixtures" / "pdm"


def test_recorded_lock_with_its_pyproject() -> None:
    manifest = pdm_lock.parse(FIXTURES / "pdm.lock", "pdm.lock")

    assert manifest.kind == "pdm.lock"
    assert manifest.locked
    entries = {e.name: e for e in manifest.entries}
    assert len(entries) == len(manifest.entries) == 9
    assert {n for n, e in entries.items() if e.direct} == DEMO_DIRECT
    assert entries["iniconfig"].group == "dev"
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "./libs/helper"
    assert entries["pygments"].version == "2.21.0"
    assert entries["pygments"].location.line == 87
    # click's importlib-metadata is not in the lock: no edge
    assert manifest.graph == DEMO_GRAPH


def test_without_pyproject_the_graph_roots_are_direct(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "pdm.lock", tmp_path / "pdm.lock")

    manifest = pdm_lock.parse(tmp_path / "pdm.lock", "pdm.lock")

    assert {e.name for e in manifest.entries if e.direct} == {
        "click",
        "helper",
        "iniconfig",
        "rich",
    }


def test_extras_copies_add_edges_not_entries_and_git_source(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pdm.lock",
        """\
[[package]]
name = "requests"
version = "2.32.3"
groups = ["default"]
dependencies = ["idna<4,>=2.5"]

[[package]]
name = "requests"
version = "2.32.3"
extras = ["socks"]
groups = ["default"]
dependencies = ["PySocks!=1.5.7,>=1.5.6", "requests==2.32.3"]

[[package]]
name = "idna"
version = "3.10"
groups = ["default"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["default"]

[[package]]
name = "tool"
version = "1.2.0"
git = "https://github.com/example/tool.git"
ref = "v1.2"
revision = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"
groups = ["default"]
""",
    )

    manifest = pdm_lock.parse(path, "pdm.lock")

    assert [e.name for e in manifest.entries] == ["requests", "idna", "pysocks", "tool"]
    assert manifest.graph == {"requests": ("idna", "pysocks")}
    tool = manifest.entries[-1]
    assert tool.origin is Origin.VCS
    assert (
        tool.url
        == "git+https://github.com/example/tool.git@0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"
    )


def test_invalid_dependency_string_points_at_its_package(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pdm.lock",
        '[[package]]\nname = "a"\nversion = "1"\n\n[[package]]\nname = "b"\nversion = "1"\n'
        'dependencies = ["c >>= 2"]\n',
    )

    with pytest.raises(InventoryError, match="invalid dependency 'c >>= 2'") as caught:
        pdm_lock.parse(path, "pdm.lock")

    assert caught.value.line == 5
