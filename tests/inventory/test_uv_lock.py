"""uv.lock: the project's own package is left out and its dependencies are the direct ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError, Origin
from chaingate.ecosystems.pypi.manifests import uv_lock
from tests.inventory.documents import DEMO_GRAPH, write

FIXTURE = Path(__file__).parent / "fixtures" / "uv" / "uv.lock"


def test_recorded_lock() -> None:
    manifest = uv_lock.parse(FIXTURE, "uv.lock")

    assert manifest.kind == "uv.lock"
    assert manifest.locked
    entries = {e.name: e for e in manifest.entries}
    assert "demo-app" not in entries  # the project itself is not a dependency
    assert {n: e.version for n, e in entries.items()} == {
        "click": "8.1.7",
        "colorama": "0.4.6",
        "helper": "0.2.0",
        "iniconfig": "2.3.1",
        "markdown-it-py": "4.3.0",
        "mdurl": "0.1.2",
        "pygments": "2.21.0",
        "rich": "15.0.0",
        "six": "1.17.0",
    }
    direct = {n: e.group for n, e in entries.items() if e.direct}
    assert direct == {
        "click": None,
        "helper": None,
        "rich": None,
        "six": "compat",  # an optional dependency of the project
        "iniconfig": "dev",  # a dev group
    }
    assert manifest.graph == DEMO_GRAPH
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "libs/helper"
    assert entries["rich"].url is None  # PyPI is the default, not worth recording
    assert entries["rich"].location.line == 108
    assert entries["rich"].specifier == ">=13"  # from the project's requires-dist
    assert entries["iniconfig"].specifier == ">=2"  # from requires-dev
    assert entries["mdurl"].specifier == ""
    assert len(entries["rich"].hashes) == 2


def test_git_url_and_private_index_sources(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "uv.lock",
        """\
version = 1

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "tool" }, { name = "fast" }, { name = "corp-lib" }]

[[package]]
name = "tool"
version = "1.2.0"
source = { git = "https://github.com/example/tool?tag=v1.2#0f1e2d3c4b5a69788796a5b4c3d2e1f0" }

[[package]]
name = "fast"
version = "1.0"
source = { url = "https://example.com/fast-1.0-py3-none-any.whl" }
wheels = [{ url = "https://example.com/fast-1.0-py3-none-any.whl", hash = "sha256:00ff" }]

[[package]]
name = "corp-lib"
version = "3.0"
source = { registry = "https://pypi.corp.example/simple" }
""",
    )

    entries = {e.name: e for e in uv_lock.parse(path, "uv.lock").entries}

    assert entries["tool"].origin is Origin.VCS
    assert entries["tool"].url is not None
    assert entries["tool"].url.startswith("git+https://github.com/example/tool")
    assert entries["fast"].origin is Origin.URL
    assert entries["fast"].hashes == ("sha256:00ff",)
    assert entries["corp-lib"].url == "https://pypi.corp.example/simple"
    assert all(e.direct for e in entries.values())


def test_without_a_project_package_the_graph_roots_are_direct(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "uv.lock",
        """\
version = 1

[[package]]
name = "a"
version = "1"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "b" }]

[[package]]
name = "b"
version = "1"
source = { registry = "https://pypi.org/simple" }
""",
    )

    manifest = uv_lock.parse(path, "uv.lock")

    assert {e.name: e.direct for e in manifest.entries} == {"a": True, "b": False}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            'version = 1\n\n[[package]]\nname = "a"\nversion = "1"\nsource = { ftp = "x" }\n',
            3,
            "unknown kind",
        ),
        ('version = 1\n[[package]]\nname = "a"\ndependencies = "b"\n', 2, "must be an array"),
        ('version = 1\n[[package]]\nversion = "1"\n', 2, "package name must be a string"),
        ("version = 1\n[[package]\n", 2, "invalid TOML"),
    ],
)
def test_errors_point_at_the_package(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(InventoryError, match=message) as caught:
        uv_lock.parse(write(tmp_path, "uv.lock", text), "sub/uv.lock")

    assert (caught.value.file, caught.value.line) == ("sub/uv.lock", line)
