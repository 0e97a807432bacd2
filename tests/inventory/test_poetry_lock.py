"""poetry.lock: direct packages come from the pyproject.toml beside the lock, else the roots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError, Origin
from chaingate.ecosystems.pypi.manifests import poetry_lock
from tests.inventory.documents import DEMO_DIRECT, DEMO_GRAPH, write

FIXTURES = Path(__file__).parent / "fixtures" / "poetry"


def test_recorded_lock_with_its_pyproject() -> None:
    manifest = poetry_lock.parse(FIXTURES / "poetry.lock", "poetry.lock")

    assert manifest.kind == "poetry.lock"
    assert manifest.locked
    entries = {e.name: e for e in manifest.entries}
    assert entries["rich"].version == "13.9.4"
    assert {n for n, e in entries.items() if e.direct} == DEMO_DIRECT
    assert entries["iniconfig"].group == "dev"
    assert entries["rich"].group is None
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "libs/helper"
    # PyPI configured as a "legacy" simple source is still PyPI.
    assert entries["rich"].origin is Origin.REGISTRY
    assert entries["rich"].url is None
    assert entries["rich"].location.line == 142
    assert len(entries["click"].hashes) == 2
    assert manifest.graph == DEMO_GRAPH


def test_without_pyproject_the_graph_roots_are_direct(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "poetry.lock", tmp_path / "poetry.lock")

    manifest = poetry_lock.parse(tmp_path / "poetry.lock", "poetry.lock")

    direct = {e.name for e in manifest.entries if e.direct}
    assert direct == {"click", "helper", "iniconfig", "rich"}  # six comes in through helper


def test_a_cycle_no_root_leads_into_still_gets_a_direct_entry(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "poetry.lock",
        """\
[[package]]
name = "app-plugin"
version = "1.0"

[package.dependencies]
app-core = "*"

[[package]]
name = "app-core"
version = "1.0"

[package.dependencies]
app-plugin = "*"

[[package]]
name = "tool"
version = "2.0"
""",
    )

    manifest = poetry_lock.parse(path, "poetry.lock")

    assert {e.name for e in manifest.entries if e.direct} == {"app-core", "tool"}
    assert manifest.graph == {"app-core": ("app-plugin",), "app-plugin": ("app-core",)}


def test_invalid_sibling_pyproject_is_reported_against_that_file(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "poetry.lock", tmp_path / "poetry.lock")
    (tmp_path / "pyproject.toml").write_text("[tool.poetry\n", encoding="utf-8")

    with pytest.raises(InventoryError) as caught:
        poetry_lock.parse(tmp_path / "poetry.lock", "svc/poetry.lock")

    assert caught.value.file == "svc/pyproject.toml"


def test_git_url_private_sources_and_old_format(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "poetry.lock",
        """\
[[package]]
name = "tool"
version = "1.2.0"
description = ""
category = "main"
optional = false
python-versions = "*"

[package.source]
type = "git"
url = "https://github.com/example/tool.git"
reference = "v1.2"
resolved_reference = "0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"

[[package]]
name = "corp-lib"
version = "3.0"
description = ""
category = "dev"
optional = false
python-versions = "*"

[package.source]
type = "legacy"
url = "https://pypi.corp.example/simple"
reference = "corp"

[[package]]
name = "fast"
version = "1.0"
description = ""
category = "main"
optional = false
python-versions = "*"

[package.source]
type = "url"
url = "https://example.com/fast-1.0-py3-none-any.whl"

[metadata]
lock-version = "1.1"
python-versions = "^3.8"
content-hash = "abc"

[metadata.files]
corp-lib = [
    {file = "corp_lib-3.0-py3-none-any.whl", hash = "sha256:aa11"},
]
""",
    )

    entries = {e.name: e for e in poetry_lock.parse(path, "poetry.lock").entries}

    assert entries["tool"].origin is Origin.VCS
    assert entries["tool"].url == (
        "git+https://github.com/example/tool.git@0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6"
    )
    assert entries["corp-lib"].url == "https://pypi.corp.example/simple"
    assert entries["corp-lib"].group == "dev"
    assert entries["corp-lib"].hashes == ("sha256:aa11",)
    assert entries["fast"].origin is Origin.URL


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[[package]]\nname = "a"\n', 1, "a version must be a string"),
        (
            '[[package]]\nname = "a"\nversion = "1"\n\n[[package]]\nname = "!"\n',
            5,
            "not a valid package name",
        ),
        (
            '[[package]]\nname = "a"\nversion = "1"\nsource = {type = "svn2", url = "x"}\n',
            1,
            "unknown type",
        ),
        ('[[package]]\nname = "a"\nversion = 1.0\nversion = 2\n', 4, "invalid TOML"),
    ],
)
def test_errors_point_at_the_package(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(InventoryError, match=message) as caught:
        poetry_lock.parse(write(tmp_path, "poetry.lock", text), "poetry.lock")

    assert caught.value.line == line
