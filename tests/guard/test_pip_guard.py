"""The install guard for real: a fresh virtualenv's own pip, a local index on 127.0.0.1.

The world (conftest.py): the local index with the real six and idna wheels, the typosquat
`reqeusts`, `guardtest-app` depending on it and `guardtest-lib` depending on six and idna.

pip is isolated from this machine's configuration (PIP_CONFIG_FILE=/dev/null, no PIP_*
variables), so the local index is the only one it sees.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from chaingate.core.findings import Severity
from chaingate.core.inventory import Origin
from chaingate.guard.pip import (
    GuardError,
    GuardOutcome,
    fetch_files,
    guard,
    install,
    plan,
    plan_from_report,
    split_args,
    target_python,
)
from tests.guard import world
from tests.guard.world import (
    command_env,
    pip_list,
    python_of,
    recorded_file,
    run_command,
    site_packages,
)
from tests.inventory.wheels import write_wheel
from tests.pypiserver import NotFound, PyPIServer, Status


def run_guard(
    server: PyPIServer, venv: Path, tmp_path: Path, *args: str, **kwargs: Any
) -> tuple[GuardOutcome, list[str]]:
    return world.run_guard(guard, server, venv, tmp_path, *args, **kwargs)


# --- the verdict ---------------------------------------------------------------------------


def test_a_typosquat_is_blocked_and_nothing_is_installed(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    outcome, said = run_guard(index, venv, tmp_path, "reqeusts")

    assert not outcome.allowed
    assert outcome.exit_code is None
    assert {d.finding.id for d in outcome.blocked} >= {"typosquat", "new-package"}
    assert site_packages(venv) == before
    text = said[0]
    assert text.startswith("chaingate: blocked: pip would install 1 package(s) (reqeusts 2.32.6)")
    assert "Nothing was installed" in text
    assert "'reqeusts' looks like the popular package 'requests'" in text
    assert "rule: default: severity high or above blocks" in text


def test_a_typosquat_pulled_in_by_a_dependency_blocks_the_whole_install(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    outcome, said = run_guard(index, venv, tmp_path, "guardtest-app")

    assert [i.key for i in outcome.plan.items] == ["guardtest-app==1.0.0", "reqeusts==2.32.6"]
    assert {d.finding.package for d in outcome.blocked} == {"reqeusts"}
    assert site_packages(venv) == before  # not even the harmless guardtest-app
    assert "reqeusts 2.32.6 (pulled in by guardtest-app -> reqeusts): typosquat" in said[0]


def test_a_policy_hook_replaces_the_default_verdict(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    outcome, said = run_guard(index, venv, tmp_path, "reqeusts", decide=lambda result: [])

    assert outcome.allowed and outcome.exit_code == 0
    assert pip_list(venv)["reqeusts"] == "2.32.6"
    assert said[0].startswith(
        "chaingate: checked the 1 package(s) pip would install (reqeusts 2.32.6): nothing blocks"
    )


def test_a_stricter_fail_on_blocks_a_new_package(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    outcome, _ = run_guard(index, venv, tmp_path, "guardtest-lib", fail_on=Severity.MEDIUM)

    assert [(d.finding.package, d.finding.id) for d in outcome.blocked] == [
        ("guardtest-lib", "new-package")
    ]
    assert site_packages(venv) == before


def test_with_fail_incomplete_a_package_that_cannot_be_analysed_blocks(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    index.always("/pypi/six/json", Status(503))
    outcome, said = run_guard(index, venv, tmp_path, "six", fail_incomplete=True)

    assert not outcome.allowed and outcome.exit_code is None
    assert [i.package for i in outcome.incomplete] == ["six"]
    assert site_packages(venv) == before
    assert "1 could not be analysed. Nothing was installed" in said[0]
    assert "--allow-incomplete" in said[0]
    assert "not analysed: six 1.17.0: could not fetch" in said[0]


# --- the install ---------------------------------------------------------------------------


def test_a_clean_package_is_installed_pinned_by_hash(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    outcome, said = run_guard(index, venv, tmp_path, "six")

    assert outcome.allowed and outcome.installed
    sha = recorded_file("six", "six-1.17.0-py2.py3-none-any.whl")["digests"]["sha256"]
    (item,) = outcome.plan.items
    assert item.requirement_line() == f"six==1.17.0 --hash=sha256:{sha}"
    assert pip_list(venv)["six"] == "1.17.0"
    assert "nothing blocks" in said[0]
    # The install read the checked wheel from the cache instead of asking the index again.
    cached = tmp_path / "cache" / "files" / f"sha256-{sha}" / "six-1.17.0-py2.py3-none-any.whl"
    assert cached.is_file()
    assert index.hits["/simple/six/"] == 2  # pip's dry run, and the guard's check of its file

    # Run again: pip would change nothing, so there is nothing to check or install.
    again, said = run_guard(index, venv, tmp_path, "six")
    assert again.plan.items == () and again.result is None and again.exit_code == 0
    assert "pip would install nothing" in said[0]


def test_dependencies_are_planned_scanned_and_installed_together(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    outcome, said = run_guard(index, venv, tmp_path, "guardtest-lib")

    assert outcome.installed
    assert {i.key: i.requested for i in outcome.plan.items} == {
        "guardtest-lib==0.1.0": True,
        "six==1.17.0": False,
        "idna==3.20": False,
    }
    paths = {p.name: p.paths for p in outcome.plan.inventory.packages}
    assert paths["idna"] == (("guardtest-lib", "idna"),)
    installed = pip_list(venv)
    assert (installed["guardtest-lib"], installed["six"], installed["idna"]) == (
        "0.1.0",
        "1.17.0",
        "3.20",
    )
    assert "warning: guardtest-lib 0.1.0: new-package (medium)" in said[0]


def test_pip_options_are_passed_through_to_the_install(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    target = tmp_path / "target"
    outcome, _ = run_guard(index, venv, tmp_path, "--target", str(target), "--no-compile", "six")

    assert outcome.installed
    assert (target / "six.py").is_file()
    assert not (target / "__pycache__").exists()  # --no-compile reached the real install
    assert site_packages(venv) == before


def test_a_file_swapped_after_the_check_is_refused(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    planned = plan(["--index-url", index.index_url, "--no-cache-dir", "six"], python_of(venv))
    # Between the verdict and the install, the index starts serving other bytes.
    evil = write_wheel(tmp_path, "six", "1.17.0", [])
    index.add_file("six-1.17.0-py2.py3-none-any.whl", evil.read_bytes())

    assert install(planned, python_of(venv)) != 0
    assert "six" not in pip_list(venv)


def test_when_the_guard_cannot_fetch_a_wheel_pip_downloads_it_pinned(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    planned = plan(["--index-url", index.index_url, "six"], python_of(venv))
    index.script("/files/six-1.17.0-py2.py3-none-any.whl", [NotFound()])

    assert fetch_files(planned, tmp_path / "cache") is None
    assert install(planned, python_of(venv), None) == 0
    assert pip_list(venv)["six"] == "1.17.0"
    assert index.hits["/simple/six/"] == 2  # the dry run, then pip's own download


def test_a_pip_failure_is_reported_with_pips_words(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    with pytest.raises(GuardError) as raised:
        run_guard(index, venv, tmp_path, "no-such-project")
    assert "pip could not plan the install" in str(raised.value)
    assert "No matching distribution found for no-such-project" in str(raised.value)


def test_the_target_python_is_the_named_or_active_virtualenv(
    venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert target_python(str(venv)) == python_of(venv)
    assert target_python() == sys.executable
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    assert target_python() == python_of(venv)
    with pytest.raises(GuardError, match="no such environment"):
        target_python(str(venv / "missing"))


# --- splitting pip's arguments (no pip run) ------------------------------------------------


def test_requirements_and_options_are_told_apart() -> None:
    args = split_args(
        ["-qU", "six>=1", "-r", "req.txt", "-ihttps://idx/simple", "--extra-index=https://x",
         "--no-compile", "-c", "c.txt", "--target", "out", "-e", "./here", "--only-deps", "idna"]
    )  # fmt: skip
    assert args.requirements == ("six>=1", "-r", "req.txt", "-c", "c.txt", "-e", "./here", "idna")
    assert args.pass_through == (
        "-q", "-U", "-i", "https://idx/simple", "--extra-index=https://x", "--no-compile",
        "--target", "out",
    )  # fmt: skip
    assert args.index_url == "https://idx/simple"
    assert args.value("--extra-index-url") == "https://x"


def test_everything_after_a_double_dash_is_a_requirement() -> None:
    assert split_args(["--pre", "--", "-weird-name"]).requirements == ("-weird-name",)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run", "six"], "--dry-run: the guard runs pip's dry run itself"),
        (["--report", "r.json", "six"], "--report: the guard writes pip's report itself"),
        (["-h"], "-h: for pip's own help run `pip install --help`"),
        (["--frobnicate", "six"], "unknown pip install option --frobnicate"),
        (["-Z"], "unknown pip install option -Z"),
        (["six", "--index-url"], "pip option --index-url needs a value"),
        (["--no-deps=yes"], "pip option --no-deps takes no value"),
        (["--no-", "six"], "pip option --no- is ambiguous"),
    ],
)
def test_arguments_the_guard_cannot_honour_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(GuardError, match=re.escape(message)):
        split_args(args)


def test_the_option_table_knows_every_option_of_the_installed_pip() -> None:
    internal = pytest.importorskip("pip._internal.commands")
    parser = internal.create_command("install").parser
    refused = {"--dry-run", "--report", "-h", "--help", "-V", "--version"}
    for option in parser._get_all_options():
        for spelling in set(option._short_opts + option._long_opts) - refused:
            words = [spelling, "VALUE"] if option.takes_value() else [spelling]
            args = split_args(words)
            assert args.requirements == () or spelling in {
                "-r", "--requirement", "-c", "--constraint", "-e", "--editable",
                "--requirements-from-script", "--group",
            }, spelling  # fmt: skip


# --- reading pip's report (no pip run) -----------------------------------------------------


def _report(*items: dict[str, Any]) -> dict[str, Any]:
    env = {"python_version": "3.11", "sys_platform": "linux", "platform_machine": "x86_64"}
    return {"version": "1", "pip_version": "23.2.1", "install": list(items), "environment": env}


def _item(name: str, version: str, info: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "version": version, **extra.pop("metadata", {})},
        "download_info": info,
        "is_direct": extra.pop("is_direct", False),
        "requested": extra.pop("requested", True),
    }


def test_items_outside_the_index_are_pinned_by_url_or_commit() -> None:
    commit = "a" * 40
    report = _report(
        _item("Lib", "1.0", {"url": "https://h/lib-1.0-py3-none-any.whl",
                             "archive_info": {"hash": "sha256=abc"}}, is_direct=True),
        _item("tool", "2.0", {"url": "https://github.com/o/tool",
                              "vcs_info": {"vcs": "git", "commit_id": commit}}, is_direct=True),
        _item("mine", "0.1", {"url": "file:///src/mine", "dir_info": {"editable": True}},
              is_direct=True),
        _item("dep", "3.0", {"url": "https://files/dep-3.0.tar.gz",
                             "archive_info": {"hashes": {"sha256": "def"}}}, requested=False),
    )  # fmt: skip
    planned = plan_from_report(split_args(["x"]), report)
    lines = {i.name: i.requirement_line() for i in planned.items}
    assert lines == {
        "lib": "lib @ https://h/lib-1.0-py3-none-any.whl --hash=sha256:abc",
        "tool": f"tool @ git+https://github.com/o/tool@{commit}",
        "mine": "-e file:///src/mine",
        "dep": "dep==3.0 --hash=sha256:def",
    }
    origins = {p.name: p.origin for p in planned.inventory.packages}
    assert origins == {
        "lib": Origin.URL,
        "tool": Origin.VCS,
        "mine": Origin.PATH,
        "dep": Origin.REGISTRY,
    }
    assert set(planned.built) == {"tool==2.0", "mine==0.1", "dep==3.0"}


def test_a_file_pip_gives_no_hash_for_cannot_be_pinned() -> None:
    report = _report(_item("six", "1.17.0", {"url": "https://h/six.whl", "archive_info": {}}))
    with pytest.raises(GuardError, match=re.escape("pip gives no hash for six==1.17.0")):
        plan_from_report(split_args(["six"]), report)


# --- the command line ----------------------------------------------------------------------


def test_the_command_blocks_a_typosquat_and_installs_a_clean_package(
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    """`chaingate pip install ...` as a person types it, inside an activated virtualenv."""
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    before = site_packages(venv)

    def chaingate(*args: str) -> subprocess.CompletedProcess[str]:
        return run_command(["pip"], index, env, tmp_path, *args)

    blocked = chaingate("reqeusts")
    assert blocked.returncode == 1, blocked.stderr
    assert "typosquat" in blocked.stderr and "Nothing was installed" in blocked.stderr
    assert site_packages(venv) == before

    installed = chaingate("six==1.17.0")
    assert installed.returncode == 0, installed.stderr
    assert pip_list(venv)["six"] == "1.17.0"


def test_the_command_fails_closed_on_a_package_it_could_not_analyse(
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    """Issue 12, item 1: six's registry document answers 503, so six was not judged. Before,
    the command printed "not analysed" and installed it; now nothing is installed and the
    exit code is 3, unless --allow-incomplete (or the policy) says otherwise, loudly."""
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    env["CHAINGATE_CACHE_DIR"] = str(tmp_path / "fresh-cache")  # nothing known about six
    before = site_packages(venv)
    index.always("/pypi/six/json", Status(503))

    def chaingate(*args: str) -> subprocess.CompletedProcess[str]:
        return run_command(["pip"], index, env, tmp_path, *args)

    refused = chaingate("six==1.17.0")
    assert refused.returncode == 3, refused.stderr
    assert "Nothing was installed" in refused.stderr and "not analysed: six" in refused.stderr
    assert site_packages(venv) == before

    allowed = chaingate("--allow-incomplete", "six==1.17.0")
    assert allowed.returncode == 0, allowed.stderr
    assert "not analysed: six" in allowed.stderr  # said, even when let through
    assert pip_list(venv)["six"] == "1.17.0"


def test_the_command_blocks_a_release_reported_malicious(
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    """litellm 1.82.8 (MAL-2026-2144, served by a local OSV server): `chaingate pip install`
    refuses it and installs nothing; with the OSV server down it fails closed."""
    from tests.osvserver import OsvServer

    wheel = write_wheel(tmp_path / "built", "litellm", "1.82.8", [])  # inert: an empty module
    world.publish(index, "litellm", "1.82.8", {wheel.name: wheel.read_bytes()})
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    before = site_packages(venv)
    with OsvServer() as osv:
        env = {**env, "CHAINGATE_ADVISORIES": "online", "CHAINGATE_OSV_URL": osv.url}
        blocked = run_command(["pip"], index, env, tmp_path, "litellm==1.82.8")
        assert blocked.returncode == 1, blocked.stderr
        assert "known-malicious" in blocked.stderr and "MAL-2026-2144" in blocked.stderr
        assert "Nothing was installed" in blocked.stderr
        assert site_packages(venv) == before
        assert osv.hits["/v1/querybatch"] >= 1
    down = run_command(["pip"], index, env, tmp_path, "six==1.17.0")  # the server is gone
    assert down.returncode == 3, down.stderr
    assert "known advisories unavailable" in down.stderr
    assert site_packages(venv) == before


# --- the pinned install: uv in pip's place where it installs the same -----------------------


def _lib(venv: Path) -> Path:
    (lib,) = (venv / "lib").glob("python3*/site-packages")
    return lib


def installer_of(where: Path, name: str) -> str:
    (info,) = where.glob(f"{name}-*.dist-info")
    return (info / "INSTALLER").read_text().strip()


def test_checked_wheels_are_installed_by_uv_byte_compiled_and_copied_as_pip_would(
    index: PyPIServer, venv: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    outcome, _ = run_guard(index, venv, tmp_path, "guardtest-lib")
    out, err = capfd.readouterr()

    assert outcome.installed
    installed = pip_list(venv)
    assert (installed["guardtest-lib"], installed["six"], installed["idna"]) == (
        "0.1.0",
        "1.17.0",
        "3.20",
    )
    lib = _lib(venv)
    assert {installer_of(lib, n) for n in ("six", "idna", "guardtest_lib")} == {"uv"}
    assert any((lib / "__pycache__").glob("six.*.pyc"))  # compiled, as pip compiles
    assert (lib / "six.py").stat().st_nlink == 1  # a copy, not a link into uv's cache
    # pip's last line, on stdout as pip prints it; uv itself said nothing
    assert out.splitlines()[-1] == (
        "Successfully installed guardtest-lib-0.1.0 idna-3.20 six-1.17.0"
    )
    assert "Installed 3 packages" not in err


def test_pip_installs_when_uv_would_not_install_the_same(
    index: PyPIServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An option uv has no same meaning for here.
    target = tmp_path / "target"
    outcome, _ = run_guard(index, venv, tmp_path, "--target", str(target), "six")
    assert outcome.installed and installer_of(target, "six") == "pip"

    # A setting in pip's configuration (here PIP_TARGET) that pip's install would apply.
    configured = tmp_path / "configured"
    monkeypatch.setenv("PIP_TARGET", str(configured))
    outcome, _ = run_guard(index, venv, tmp_path, "six")
    assert outcome.installed and installer_of(configured, "six") == "pip"
    monkeypatch.delenv("PIP_TARGET")

    # Asked for pip.
    monkeypatch.setenv("CHAINGATE_PINNED_INSTALL", "pip")
    outcome, _ = run_guard(index, venv, tmp_path, "six")
    assert outcome.installed and installer_of(_lib(venv), "six") == "pip"


def test_a_checked_file_changed_on_disk_before_uvs_install_is_refused(
    index: PyPIServer, venv: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    planned = plan(["--index-url", index.index_url, "six"], python_of(venv))
    # (pip's configuration is read when the guard judges the sources; here: none)
    planned = replace(planned, proposal=replace(planned.proposal, settings=()))
    files = fetch_files(planned, tmp_path / "cache")
    assert files is not None
    (key,) = files
    files[key].write_bytes(write_wheel(tmp_path, "six", "1.17.0", []).read_bytes())

    assert install(planned, python_of(venv), files) != 0
    assert "six" not in pip_list(venv)
    assert "hash mismatch" in capfd.readouterr().err.lower()  # uv's --require-hashes said so
