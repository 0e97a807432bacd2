"""Pipfile.lock: JSON sections, hashes and pins; the Pipfile says which are direct."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError, Origin
from chaingate.ecosystems.pypi.manifests import pipfile_lock

FIXTURES = Path(__file__).parent / "fixtures" / "pipenv"


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "Pipfile.lock"
    path.write_text(json.dumps(document, indent=4), encoding="utf-8")
    return path


def test_recorded_lock_with_its_pipfile() -> None:
    manifest = pipfile_lock.parse(FIXTURES / "Pipfile.lock", "Pipfile.lock")

    assert manifest.kind == "Pipfile.lock"
    assert manifest.locked
    assert manifest.graph == {}
    entries = {e.name: e for e in manifest.entries}
    assert {n for n, e in entries.items() if e.direct} == {"click", "helper", "iniconfig", "rich"}
    assert entries["click"].version == "8.1.7"
    assert entries["click"].specifier == "==8.1.7"
    assert entries["click"].marker == "python_version >= '3.7'"
    assert len(entries["click"].hashes) == 2
    assert entries["click"].location.line == 19
    assert entries["iniconfig"].group == "develop"
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "./libs/helper"


def test_without_pipfile_every_package_is_direct(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "Pipfile.lock", tmp_path / "Pipfile.lock")

    manifest = pipfile_lock.parse(tmp_path / "Pipfile.lock", "Pipfile.lock")

    assert all(e.direct for e in manifest.entries)


def test_vcs_file_and_private_index_entries(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "_meta": {"sources": [{"name": "corp", "url": "https://pypi.corp.example/simple"}]},
            "default": {
                "tool": {"git": "https://github.com/example/tool.git", "ref": "0f1e2d3c"},
                "fast": {"file": "https://example.com/fast-1.0-py3-none-any.whl"},
                "corp-lib": {"version": "==3.0", "index": "corp", "hashes": ["sha256:aa11"]},
            },
        },
    )

    entries = {e.name: e for e in pipfile_lock.parse(path, "Pipfile.lock").entries}

    assert entries["tool"].origin is Origin.VCS
    assert entries["tool"].url == "git+https://github.com/example/tool.git@0f1e2d3c"
    assert entries["fast"].origin is Origin.URL
    assert entries["corp-lib"].url == "https://pypi.corp.example/simple"
    assert entries["corp-lib"].version == "3.0"


def test_json_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "Pipfile.lock"
    path.write_text('{\n  "default": {\n    "six": {"version": "==1.17.0",}\n  }\n}\n')

    with pytest.raises(InventoryError, match="invalid JSON") as caught:
        pipfile_lock.parse(path, "Pipfile.lock")

    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must be a table"),
        ({"default": []}, "must be a table"),
        ({"default": {"six": {"version": 1}}}, "version must be a string"),
        ({"default": {"six": {"hashes": "sha256:aa"}}}, "must be an array"),
        ({"default": {"": {}}}, "not a valid package name"),
    ],
)
def test_wrong_shapes_are_errors(tmp_path: Path, document: object, message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        pipfile_lock.parse(write(tmp_path, document), "Pipfile.lock")
