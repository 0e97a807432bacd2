"""`--scope` (issue 13) restricts scan, check and diff to the packages of the named scopes:
a project whose runtime is requests and whose dev group is six and docopt, scanned
against the local PyPI serving recorded documents."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.pypiserver import PyPIServer
from tests.test_cli import NOW, local_domain_sources, run, write

__all__ = ["local_domain_sources"]  # the autouse fixture: local DNS and RDAP servers

PYPROJECT = """\
[project]
name = "app"
version = "1.0"
dependencies = ["requests==2.32.5", "idna==3.11"]

[dependency-groups]
dev = ["six==1.17.0", "docopt==0.6.2", "idna==3.11"]
"""


def scan(server: PyPIServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    write(tmp_path / "app" / "pyproject.toml", PYPROJECT)
    return run(
        server, tmp_path, "scan", "app", "--no-resolve", "--format", "json", "--now", NOW, *args
    )


def names(proc: subprocess.CompletedProcess[str]) -> set[str]:
    assert proc.returncode in (0, 1), proc.stderr
    return {p["name"] for p in json.loads(proc.stdout)["packages"]}


def test_scope_runtime_leaves_the_dev_tools_out(pypi_server: PyPIServer, tmp_path: Path) -> None:
    assert names(scan(pypi_server, tmp_path)) == {"requests", "idna", "six", "docopt"}
    runtime = scan(pypi_server, tmp_path, "--scope", "runtime")
    assert names(runtime) == {"requests", "idna"}
    doc = json.loads(runtime.stdout)
    assert list(doc["summary"]["scopes"]) == ["runtime", "dev"]  # idna is in both
    assert names(scan(pypi_server, tmp_path, "--scope", "dev")) == {"six", "docopt", "idna"}
    both = scan(pypi_server, tmp_path, "--scope", "dev", "--scope", "runtime")
    assert names(both) == {"requests", "idna", "six", "docopt"}


def test_a_scope_no_package_is_in_is_an_error(pypi_server: PyPIServer, tmp_path: Path) -> None:
    proc = scan(pypi_server, tmp_path, "--scope", "docs")
    assert proc.returncode == 2
    assert "--scope docs: no package is in that scope (scopes here: runtime, dev)" in proc.stderr


def test_check_judges_only_the_scope_asked_for(pypi_server: PyPIServer, tmp_path: Path) -> None:
    write(tmp_path / "app" / "pyproject.toml", PYPROJECT)
    proc = run(
        pypi_server, tmp_path, "check", "app", "--no-resolve", "--format", "json", "--now", NOW,
        "--scope", "dev",
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    assert {p["name"] for p in doc["scan"]["packages"]} == {"six", "docopt", "idna"}
    judged = {d["package"] for key in ("blocked", "warned", "ignored") for d in doc[key]}
    assert judged - {None} <= {"six", "docopt", "idna"}


def test_diff_with_scope_runtime_ignores_a_new_dev_tool(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """The change adds six to the dev group only: a runtime diff sees nothing added."""
    old = write(tmp_path / "old" / "pyproject.toml", PYPROJECT.replace('"six==1.17.0", ', ""))
    write(tmp_path / "app" / "pyproject.toml", PYPROJECT)

    def added(*args: str) -> set[str]:
        proc = run(
            pypi_server, tmp_path, "diff", "app/pyproject.toml", "--base", str(old),
            "--no-resolve", "--format", "json", "--now", NOW, *args,
        )  # fmt: skip
        assert proc.returncode in (0, 1), proc.stderr
        return {p["name"] for p in json.loads(proc.stdout)["added"]}

    assert added() == {"six"}
    assert added("--scope", "runtime") == set()
