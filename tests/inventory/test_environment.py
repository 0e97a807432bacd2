"""`--env`: reading a real virtual environment through its own interpreter.

Each test creates a venv (`python -m venv --without-pip`) and installs tiny wheels written
by hand (wheels.py) with `uv pip install --no-index --find-links`, so nothing leaves the
machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from uv import find_uv_bin

from chaingate.core.inventory import InventoryError, Location, Origin
from chaingate.ecosystems.pypi.environment import THIS_INTERPRETER, find_python, read_environment
from tests.inventory.wheels import write_wheel

# name -> (version, Requires-Dist lines)
WHEELS: dict[str, tuple[str, list[str]]] = {
    "cg-app": ("1.0", ["cg-lib>=1", "cg-fast; extra == 'fast'", "cg-win; sys_platform == 'win32'"]),
    "cg-lib": ("1.2", ["cg-base", "wheel"]),
    "cg-base": ("2.0", []),
    "cg-fast": ("1.0", ["cg-base"]),
    "cg-socks": ("1.0", ["cg-base", "cg-missing; extra == 'socks'"]),
    "cg-win": ("1.0", []),
    "cg-tool": ("0.1", []),
    # stand-ins for installer tooling: setuptools alone, wheel needed by cg-lib
    "setuptools": ("99.0", []),
    "wheel": ("99.0", []),
}


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A venv with cg-app[fast] from a local wheel directory, cg-tool from a wheel file
    (a PEP 610 direct URL install), cg-socks without its extra, cg-win (which cg-app needs
    only on Windows) and stand-in tooling."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name, (version, requires) in WHEELS.items():
        write_wheel(wheels, name, version, requires)
    env = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    python = find_python(str(env))
    uv = [find_uv_bin(), "pip", "install", "--quiet", "--python", str(python)]
    local = ["--no-index", "--find-links", str(wheels), "--cache-dir", str(tmp_path / "cache")]
    subprocess.run([*uv, *local, "cg-app[fast]", "cg-socks", "cg-win", "setuptools"], check=True)
    subprocess.run([*uv, *local, str(wheels / "cg_tool-0.1-py3-none-any.whl")], check=True)
    return env


def site_packages(env: Path) -> Path:
    found = sorted(env.glob("lib/python3*/site-packages")) + sorted(env.glob("Lib/site-packages"))
    return found[0]


def test_lists_installed_packages_with_graph_and_roots(venv: Path) -> None:
    manifest = read_environment(str(venv))

    assert manifest.kind == "environment"
    assert manifest.locked
    assert manifest.path == str(venv)
    versions = {e.name: e.version for e in manifest.entries}
    assert versions == {
        "cg-app": "1.0",
        "cg-lib": "1.2",
        "cg-base": "2.0",
        "cg-fast": "1.0",
        "cg-socks": "1.0",
        "cg-tool": "0.1",
        "cg-win": "1.0",
        "wheel": "99.0",  # cg-lib depends on it, so it stays; setuptools does not
    }
    # The satisfied extra `fast` counts; cg-socks' extra needs cg-missing, which is absent;
    # cg-app needs cg-win only where sys_platform is win32, judged by the venv's interpreter.
    assert manifest.graph["cg-app"] == ("cg-fast", "cg-lib")
    assert manifest.graph["cg-lib"] == ("cg-base", "wheel")
    assert manifest.graph["cg-socks"] == ("cg-base",)
    direct = {e.name for e in manifest.entries if e.direct}
    assert direct == {"cg-app", "cg-socks", "cg-tool", "cg-win"}
    assert all(e.location == Location(str(venv)) for e in manifest.entries)


def test_wheel_file_install_is_a_path_origin(venv: Path) -> None:
    manifest = read_environment(str(venv))

    by_name = {e.name: e for e in manifest.entries}
    assert by_name["cg-tool"].origin is Origin.PATH
    assert by_name["cg-tool"].url is not None
    assert by_name["cg-tool"].url.startswith("file://")
    assert by_name["cg-app"].origin is Origin.REGISTRY
    assert by_name["cg-app"].url is None


def test_pth_files_are_not_run_but_their_paths_are_read(venv: Path, tmp_path: Path) -> None:
    """A `.pth` line starting with `import` runs code at interpreter start-up: we must not
    start the target's site machinery. Plain path lines still add distributions."""
    extra = tmp_path / "extra-path"
    info = extra / "cg_linked-3.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cg-linked\nVersion: 3.0\n")
    witness = tmp_path / "pth-ran"
    site = site_packages(venv)
    (site / "zz_evil.pth").write_text(f"import pathlib; pathlib.Path({str(witness)!r}).touch()\n")
    (site / "zz_link.pth").write_text(f"{extra}\n")

    manifest = read_environment(str(venv))

    assert not witness.exists()
    assert {e.name: e.version for e in manifest.entries}["cg-linked"] == "3.0"


def test_python_executable_and_this_interpreter(venv: Path) -> None:
    by_dir = read_environment(str(venv))
    python = find_python(str(venv))
    by_exe = read_environment(str(python))

    assert by_exe.entries[0].location == Location(str(python))
    assert [(e.name, e.version) for e in by_exe.entries] == [
        (e.name, e.version) for e in by_dir.entries
    ]
    this = read_environment(THIS_INTERPRETER)
    assert this.path == sys.executable
    assert "packaging" in {e.name for e in this.entries}


def test_not_an_environment(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="not a Python environment"):
        read_environment(str(tmp_path))
    with pytest.raises(InventoryError, match="no such environment"):
        read_environment(str(tmp_path / "missing"))


def test_broken_interpreter_is_an_inventory_error(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'no such thing' >&2\nexit 3\n")
    fake.chmod(0o755)

    with pytest.raises(InventoryError, match="cannot list installed packages: no such thing"):
        read_environment(str(tmp_path))
