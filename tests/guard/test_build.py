"""The install guards build nothing they have not judged (issue 12, item 3).

The world is conftest.py's local index, plus `cg-built`: published only as an sdist whose
`build-system.requires` names `setuptoolz`, a typosquat of setuptools served as an inert
wheel whose import leaves a mark. Building cg-built means installing setuptoolz and running
it, and cg-built's own backend, before anything is judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaingate.ecosystems.pypi.install.common import BuildRefused
from chaingate.ecosystems.pypi.install.pip import plan as pip_plan
from chaingate.ecosystems.pypi.install.uv import plan as uv_plan
from chaingate.net.http import HttpSettings
from tests.guard import world
from tests.guard.test_uv_guard import isolated_uv  # noqa: F401  (uv sees only the index)
from tests.guard.world import command_env, pip_list, run_command, site_packages
from tests.pypiserver import PyPIServer


@pytest.mark.parametrize("installer", [["pip"], ["uv", "pip"]], ids=["pip", "uv"])
def test_the_command_runs_no_build_backend_it_has_not_judged(
    installer: list[str],
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    """Before, the installer's dry run installed setuptoolz and ran the backend (and the
    install did again), unjudged, and cg-built was installed. Now the guard lets the
    installer use wheels only: nothing runs, nothing is installed, exit 3, and the message
    says how to allow building. With `--allow-build` (stripped before the installer sees
    it) the sdist and its build requirements are judged before anything is built: the
    typosquat blocks (exit 1) and still nothing ran."""
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    mark = tmp_path / "backend-ran"
    env["CG_BUILD_MARK"] = str(mark)
    world.publish_build_typosquat(index, tmp_path)
    before = site_packages(venv)

    refused = run_command(installer, index, env, tmp_path, "cg-built")
    assert not mark.exists(), mark.read_text()
    assert refused.returncode == 3, refused.stderr
    assert "not installed: cg-built would have to be built from source" in refused.stderr
    assert "--allow-build" in refused.stderr
    assert site_packages(venv) == before

    # Allowed to build, the guard first judges cg-built and its build requirements: the
    # typosquat blocks, before any of its code ran.
    blocked = run_command(installer, index, env, tmp_path, "--allow-build", "cg-built")
    assert not mark.exists(), mark.read_text()
    assert blocked.returncode == 1, blocked.stderr
    assert "setuptoolz 80.0 (pulled in by cg-built -> setuptoolz): typosquat" in blocked.stderr
    assert site_packages(venv) == before

    # A build requirement that passes: the sdist is built with exactly the judged wheels,
    # and the wheel built from it is what gets installed.
    filename, data = world.sdist("cg-built-ok", "1.0", ["guardtest-lib"])
    world.publish(index, "cg-built-ok", "1.0", {filename: data})
    allowed = run_command(installer, index, env, tmp_path, "--allow-build", "cg-built-ok")
    assert allowed.returncode == 0, allowed.stderr
    assert "cg-built-ok: build_wheel" in mark.read_text()
    assert "judging it and its build requirements (guardtest-lib)" in allowed.stderr
    assert "warning: guardtest-lib 0.1.0 (to build cg-built-ok): new-package" in allowed.stderr
    assert pip_list(venv)["cg-built-ok"] == "1.0"
    (lib,) = (venv / "lib").glob("python3*/site-packages")
    assert (lib / "cg_built_ok" / "built_from_sdist.py").is_file()
    assert "guardtest-lib" not in pip_list(venv)  # a build requirement, not a dependency


@pytest.mark.parametrize(
    "args",
    [["--no-binary", ":all:", "six"], ["--only-binary=:none:", "six"], ["--no-binary=six", "six"]],
)
def test_options_that_ask_for_a_build_need_permission(args: list[str], tmp_path: Path) -> None:
    """pip's and uv's own ways of asking for a build would undo the guard's wheels-only;
    without --allow-build they are refused before the installer runs (exit 3)."""
    http = HttpSettings(cache_dir=tmp_path / "cache")
    for plan in (lambda: pip_plan(args), lambda: uv_plan(args, http=http, uv="/nonexistent")):
        with pytest.raises(BuildRefused) as refused:
            plan()
        assert refused.value.exit_code == 3
        assert "builds from source" in str(refused.value) and "--allow-build" in str(refused.value)
