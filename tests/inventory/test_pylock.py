"""pylock.toml (PEP 751): sources, the project entry, and how direct packages are found."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError, Origin
from chaingate.ecosystems.pypi.manifests import pylock
from tests.inventory.documents import DEMO_DIRECT, write

FIXTURES = Path(__file__).parent / "fixtures"


def test_pep751_lock_with_project_entry_and_graph() -> None:
    manifest = pylock.parse(FIXTURES / "pylock" / "pep751" / "pylock.toml", "pylock.toml")

    assert manifest.kind == "pylock"
    assert manifest.locked
    entries = {e.name: e for e in manifest.entries}
    assert "demo-pylock" not in entries  # the project's own directory entry
    assert {n for n, e in entries.items() if e.direct} == {
        "cattrs",
        "internal-tools",
        "patched-lib",
        "vendored-wheel",
    }
    assert manifest.graph == {"cattrs": ("attrs",), "internal-tools": ("numpy",)}
    assert entries["internal-tools"].url == "https://pypi.internal.example/simple"
    assert entries["attrs"].url is None
    assert entries["patched-lib"].origin is Origin.VCS
    assert entries["patched-lib"].url == (
        "git+https://github.com/example/patched-lib.git@8e5c8f6bd3b1c2a7f0e9d4c3b2a1f0e9d8c7b6a5"
    )
    assert entries["patched-lib"].version is None
    assert entries["vendored-wheel"].origin is Origin.URL
    assert entries["numpy"].hashes == (
        "sha256:83807d445817326b4bcdaaaf8e8e9f1753da04341eceec705c001ff342002e5d",
        "sha256:3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe",
    )
    assert entries["numpy"].location.line == 32


def test_uv_export_without_graph_or_pyproject_counts_all_as_direct(tmp_path: Path) -> None:
    lock = FIXTURES / "pylock" / "uv-export" / "pylock.toml"

    manifest = pylock.parse(lock, "pylock.toml")

    assert all(e.direct for e in manifest.entries)
    colorama = next(e for e in manifest.entries if e.name == "colorama")
    assert colorama.marker == "sys_platform == 'win32'"
    helper = next(e for e in manifest.entries if e.name == "helper")
    assert (helper.origin, helper.url, helper.version) == (Origin.PATH, "libs/helper", None)


def test_uv_export_next_to_its_pyproject(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "pylock" / "uv-export" / "pylock.toml", tmp_path / "pylock.toml")
    shutil.copy(FIXTURES / "uv" / "pyproject.toml", tmp_path / "pyproject.toml")

    manifest = pylock.parse(tmp_path / "pylock.toml", "pylock.toml")

    assert {e.name for e in manifest.entries if e.direct} == DEMO_DIRECT


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('lock-version = "2.0"\n', 1, "not supported"),
        ('created-by = "x"\n', None, "lock-version must be a string"),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "a"\nvcs = {type = "git"}\n',
            2,
            "neither url",
        ),
        (
            'lock-version = "1.0"\n[[packages]]\nname = "a"\nwheels = [{hashes = "x"}]\n',
            2,
            "must be a table",
        ),
    ],
)
def test_errors(tmp_path: Path, text: str, line: int | None, message: str) -> None:
    path = write(tmp_path, "pylock.toml", text)

    with pytest.raises(InventoryError, match=message) as caught:
        pylock.parse(path, "pylock.toml")

    assert caught.value.line == line
