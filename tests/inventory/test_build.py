"""From files on disk to the Inventory: resolution, merging, direct flags and paths.

Resolution runs the real uv against a local `file://` PEP 503 index of tiny wheels written
by hand (wheels.py); the lock file case scans the repository's own examples/webapp (a real
uv.lock made with `uv lock` on 2026-11-25).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError, Location, Origin, Package
from chaingate.ecosystems.pypi.resolve import ResolutionError
from chaingate.inventory.build import build_inventory, shortest_paths
from tests.inventory.wheels import write_index

REPO = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9/simple"

# name -> version -> Requires-Dist lines
PROJECTS: dict[str, dict[str, list[str]]] = {
    "cg-app": {"1.0": ["cg-lib>=1", "cg-fast; extra == 'fast'"]},
    "cg-lib": {"1.0": ["cg-base"], "2.0": ["cg-base"]},
    "cg-base": {"1.0": []},
    "cg-fast": {"1.0": ["cg-base"]},
}


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A `file://` PEP 503 index of PROJECTS (uv reads those like an HTTP index)."""
    root = tmp_path / "index"
    write_index(root, PROJECTS)
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    return (root / "simple").as_uri()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A hand-written requirements.txt (ranges, a direct URL) and a second file pinning
    cg-lib to another version."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "requirements.txt").write_text(
        "# the service\ncg-app[fast]\ncg-lib<2\ncg-vendored @ https://files.example/v-1.0.tar.gz\n"
    )
    (root / "tools").mkdir()
    (root / "tools" / "requirements.txt").write_text("cg-lib==2.0\n")
    return root


def by_key(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.key: p for p in packages}


def test_unlocked_files_are_resolved_one_by_one(project: Path, index: str) -> None:
    inventory = build_inventory(project, index_url=index)

    assert inventory.resolved_with is not None
    assert inventory.resolved_with.startswith("uv ")
    assert sorted(inventory.manifests) == ["requirements.txt", "tools/requirements.txt"]
    packages = by_key(inventory.packages)
    assert sorted(packages) == [
        "cg-app==1.0",
        "cg-base==1.0",
        "cg-fast==1.0",
        "cg-lib==1.0",
        "cg-lib==2.0",  # two files, two installs, two versions to audit
        "cg-vendored",
    ]
    app = packages["cg-app==1.0"]
    assert app.direct
    assert app.paths == (("cg-app",),)
    assert app.locations == (Location("requirements.txt", 2),)
    base = packages["cg-base==1.0"]
    assert not base.direct
    assert base.paths == (
        ("cg-lib", "cg-base"),
        ("cg-app", "cg-fast", "cg-base"),
        ("cg-app", "cg-lib", "cg-base"),
    )
    assert packages["cg-lib==1.0"].paths == (("cg-lib",), ("cg-app", "cg-lib"))
    assert base.locations == (Location("requirements.txt"), Location("tools/requirements.txt"))
    assert packages["cg-lib==2.0"].locations == (Location("tools/requirements.txt", 1),)
    vendored = packages["cg-vendored"]
    assert vendored.version is None
    assert vendored.origin is Origin.URL
    assert vendored.url == "https://files.example/v-1.0.tar.gz"
    assert vendored.direct
    assert inventory.graph["cg-app"] == ("cg-fast", "cg-lib")


def test_no_resolve_takes_the_files_as_complete(project: Path) -> None:
    inventory = build_inventory(project, resolve_deps=False, index_url=UNREACHABLE)

    assert inventory.resolved_with is None
    assert sorted(by_key(inventory.packages)) == ["cg-app", "cg-lib", "cg-lib==2.0", "cg-vendored"]
    assert all(p.direct and p.paths == ((p.name,),) for p in inventory.packages)


def test_single_file_target(project: Path) -> None:
    inventory = build_inventory(
        project / "tools" / "requirements.txt", resolve_deps=False, index_url=UNREACHABLE
    )

    assert inventory.manifests == ("requirements.txt",)
    assert [p.key for p in inventory.packages] == ["cg-lib==2.0"]


def test_own_name_in_pyproject_is_not_sent_to_the_index(tmp_path: Path, index: str) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "cg-self"\nversion = "1"\ndependencies = ["cg-lib<2"]\n'
        '[project.optional-dependencies]\nfast = ["cg-fast"]\nall = ["cg-self[fast]"]\n'
    )

    inventory = build_inventory(tmp_path, index_url=index)

    assert sorted(p.key for p in inventory.packages) == [
        "cg-base==1.0",
        "cg-fast==1.0",
        "cg-lib==1.0",
    ]


def test_lock_file_is_taken_as_it_is(tmp_path: Path) -> None:
    """examples/webapp: discover reads the uv.lock (not the pyproject.toml beside it), and no
    resolver runs; the index is never asked."""
    shutil.copytree(REPO / "examples" / "webapp", tmp_path / "webapp")

    inventory = build_inventory(tmp_path / "webapp", index_url=UNREACHABLE)

    assert inventory.resolved_with is None
    assert inventory.manifests == ("uv.lock",)
    assert len(inventory.packages) == 73
    assert all(p.version for p in inventory.packages)
    packages = {p.name: p for p in inventory.packages}
    assert packages["fastapi"].direct
    assert packages["fastapi"].paths[0] == ("fastapi",)
    assert not packages["starlette"].direct
    assert ("fastapi", "starlette") in packages["starlette"].paths
    assert packages["h11"].paths[0] == ("uvicorn", "h11")
    assert ("httpx", "httpcore", "h11") in packages["h11"].paths
    assert all(len(p.paths) <= 3 and p.paths for p in inventory.packages)
    assert packages["h11"].locations[0].file == "uv.lock"


@pytest.mark.parametrize(
    ("fixture", "lock", "helper"),
    [
        ("uv", "uv.lock", "libs/helper"),
        ("poetry", "poetry.lock", "libs/helper"),
        ("pdm", "pdm.lock", "libs/helper"),
        ("pipenv", "Pipfile.lock", "libs/helper"),
    ],
)
def test_a_path_dependency_under_a_lock_is_not_resolved_again(
    tmp_path: Path, fixture: str, lock: str, helper: str
) -> None:
    """The recorded projects depend on a local package `libs/helper` (which depends on
    six) that their lock locks. Its own pyproject.toml is the lock's business, as the one
    beside the lock is: resolving it on its own would ask the index again (the index here
    is unreachable) and could add versions nobody installs."""
    root = tmp_path / fixture
    shutil.copytree(REPO / "tests" / "inventory" / "fixtures" / fixture, root)
    member = root / helper / "pyproject.toml"
    member.parent.mkdir(parents=True, exist_ok=True)
    member.write_text(
        '[project]\nname = "helper"\nversion = "0.1.0"\ndependencies = ["six>=1.16"]\n'
    )

    inventory = build_inventory(root, index_url=UNREACHABLE)

    assert inventory.resolved_with is None
    assert inventory.manifests == (lock,)
    versions = {p.name: p.version for p in inventory.packages}
    assert versions["six"] is not None  # as the lock pins it
    # An unlocked project beside it, not locked by anything, is still resolved.
    other = tmp_path / "other"
    shutil.copytree(root, other / fixture)
    (other / "tool").mkdir()
    (other / "tool" / "pyproject.toml").write_text(
        '[project]\nname = "tool"\nversion = "0"\ndependencies = ["six"]\n'
    )
    with pytest.raises(ResolutionError):
        build_inventory(other, index_url=UNREACHABLE)


def test_uv_workspace_members_are_locked_by_the_root_lock(tmp_path: Path) -> None:
    """A uv workspace (recorded with `uv lock`, uv 0.13.9, 2026-12-07): the member's
    pyproject.toml asks for six<1.17 and the root lock pins 1.16.0; nothing is resolved."""
    root = tmp_path / "ws"
    (root / "packages" / "a").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "root-app"\nversion = "0.1.0"\ndependencies = ["a", "idna"]\n\n'
        "[tool.uv.sources]\na = { workspace = true }\n\n"
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n'
    )
    (root / "packages" / "a" / "pyproject.toml").write_text(
        '[project]\nname = "a"\nversion = "0.1.0"\ndependencies = ["six>=1.10,<1.17"]\n'
    )
    shutil.copy(REPO / "tests" / "inventory" / "fixtures" / "uv-workspace.lock", root / "uv.lock")

    inventory = build_inventory(root, index_url=UNREACHABLE)

    assert inventory.resolved_with is None
    assert inventory.manifests == ("uv.lock",)
    assert {p.name: p.version for p in inventory.packages} == {"idna": "3.21", "six": "1.16.0"}


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="no manifest or lock file found under"):
        build_inventory(tmp_path, index_url=UNREACHABLE)


def test_unreadable_target_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="no such file or directory"):
        build_inventory(tmp_path / "missing.txt", index_url=UNREACHABLE)
    (tmp_path / "notes.md").write_text("# notes\n")
    with pytest.raises(InventoryError, match="not a manifest or lock file"):
        build_inventory(tmp_path / "notes.md", index_url=UNREACHABLE)


def test_environment_mode() -> None:
    inventory = build_inventory(Path("."), index_url=UNREACHABLE, env=sys.executable)

    assert inventory.root == sys.executable
    assert inventory.manifests == (sys.executable,)
    packages = {p.name: p for p in inventory.packages}
    assert packages["packaging"].version
    assert all(p.paths for p in inventory.packages)


def test_shortest_paths_keeps_three_and_never_loops() -> None:
    graph = {
        "a": ("b", "c", "d"),
        "b": ("e",),
        "c": ("e",),
        "d": ("e",),
        "e": ("a", "f"),
        "x": ("e",),
    }

    paths = shortest_paths(["a", "x"], graph, limit=3)

    assert paths["a"] == [("a",), ("x", "e", "a")]
    assert paths["e"] == [("x", "e"), ("a", "b", "e"), ("a", "c", "e")]
    assert paths["f"] == [("x", "e", "f"), ("a", "b", "e", "f"), ("a", "c", "e", "f")]
