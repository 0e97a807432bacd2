"""The uv install guard for real: uv's own dry run and install against a local index.

The world is the pip guard's (conftest.py): the local index on 127.0.0.1 with the real six
and idna wheels, the typosquat `reqeusts`, `guardtest-app` depending on it and
`guardtest-lib` depending on six and idna, and a fresh virtualenv per test. uv is
isolated from this machine's configuration: no UV_* variables, no configuration files, its
own cache per test.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.findings import Severity
from chaingate.core.inventory import Origin
from chaingate.ecosystems.pypi.install import uv as uv_installer
from chaingate.ecosystems.pypi.install import uv_args
from chaingate.guard import uv as guard_uv
from chaingate.guard.core import scan_with
from chaingate.guard.uv import (
    Change,
    GuardError,
    GuardOutcome,
    find_uv,
    guard,
    install,
    parse_dry_run,
    plan,
    plan_from_changes,
    split_args,
)
from chaingate.net.http import HttpSettings
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
from tests.pypiserver import PyPIServer

SIX_WHEEL = "six-1.17.0-py2.py3-none-any.whl"
SIX_SDIST = "six-1.17.0.tar.gz"


@pytest.fixture(autouse=True)
def isolated_uv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """uv sees only the local index: none of this machine's configuration or caches."""
    for key in [k for k in os.environ if k.startswith("UV_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")


def run_guard(
    server: PyPIServer, venv: Path, tmp_path: Path, *args: str, **kwargs: Any
) -> tuple[GuardOutcome, list[str]]:
    return world.run_guard(guard, server, venv, tmp_path, *args, **kwargs)


def http(tmp_path: Path) -> HttpSettings:
    return HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01)


def sha256(name: str, filename: str) -> str:
    return f"sha256:{recorded_file(name, filename)['digests']['sha256']}"


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
    assert text.startswith("chaingate: blocked: uv would install 1 package(s) (reqeusts 2.32.6)")
    assert "Nothing was installed" in text
    assert "'reqeusts' looks like the popular package 'requests'" in text
    assert "rule: default: severity high or above blocks" in text


def test_a_typosquat_pulled_in_by_a_dependency_blocks_the_whole_install(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    outcome, said = run_guard(index, venv, tmp_path, "guardtest-app")

    assert {i.key: i.requested for i in outcome.plan.items} == {
        "guardtest-app==1.0.0": True,
        "reqeusts==2.32.6": False,
    }
    assert {d.finding.package for d in outcome.blocked} == {"reqeusts"}
    assert site_packages(venv) == before  # not even the harmless guardtest-app
    assert "reqeusts 2.32.6: typosquat" in said[0]


def test_a_stricter_fail_on_blocks_a_new_package(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    outcome, _ = run_guard(index, venv, tmp_path, "guardtest-lib", fail_on=Severity.MEDIUM)

    assert [(d.finding.package, d.finding.id) for d in outcome.blocked] == [
        ("guardtest-lib", "new-package")
    ]
    assert site_packages(venv) == before


# --- the install ---------------------------------------------------------------------------


def test_a_clean_package_is_installed_pinned_to_the_file_uv_chose(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    outcome, said = run_guard(index, venv, tmp_path, "six==1.17.0")

    assert outcome.allowed and outcome.installed
    (item,) = outcome.plan.items
    # The wheel uv's dry run chose, not the sdist the index also publishes for 1.17.0.
    assert item.requirement_line() == f"six==1.17.0 --hash={sha256('six', SIX_WHEEL)}"
    # The guard fetched it while judging; the install read it from there, not the index:
    # the simple page was read by uv's dry run and by the guard's pin, and never again.
    assert index.hits["/simple/six/"] == 2
    assert pip_list(venv)["six"] == "1.17.0"
    assert said[0].startswith(
        "chaingate: checked the 1 package(s) uv would install (six 1.17.0): nothing blocks"
    )
    assert outcome.plan.inventory.resolved_with == f"uv {outcome.plan.proposal.version}"

    # Run again: uv would change nothing, so there is nothing to check or install.
    again, said = run_guard(index, venv, tmp_path, "six==1.17.0")
    assert again.plan.items == () and again.result is None and again.exit_code == 0
    assert "uv would install nothing" in said[0]


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
    assert paths == {
        "guardtest-lib": (("guardtest-lib",),),
        "idna": (("idna",),),  # uv's dry run gives no graph
        "six": (("six",),),
    }
    installed = pip_list(venv)
    assert (installed["guardtest-lib"], installed["six"], installed["idna"]) == (
        "0.1.0",
        "1.17.0",
        "3.20",
    )
    assert "warning: guardtest-lib 0.1.0: new-package (medium)" in said[0]


def test_uv_options_are_passed_through_to_the_install(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    before = site_packages(venv)
    target = tmp_path / "target"
    outcome, _ = run_guard(
        index, venv, tmp_path, "--target", str(target), "--compile-bytecode", "-q", "six"
    )

    assert outcome.installed
    assert (target / "six.py").is_file()
    assert any((target / "__pycache__").glob("six.*.pyc"))  # --compile-bytecode reached it
    assert site_packages(venv) == before


def test_a_file_swapped_after_the_check_is_refused(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    planned = plan(
        ["--index-url", index.index_url, "six"], python=python_of(venv), http=http(tmp_path)
    )
    # Between the verdict and the install, the index starts serving other bytes.
    evil = write_wheel(tmp_path, "six", "1.17.0", [])
    index.add_file(SIX_WHEEL, evil.read_bytes())

    assert install(planned, python=python_of(venv)) != 0
    assert "six" not in pip_list(venv)


def test_an_editable_directory_is_installed_editable_and_its_dependencies_pinned(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    project = _local_project(tmp_path / "localproj", requires=["six"])
    outcome, _ = run_guard(index, venv, tmp_path, "-e", str(project))

    assert outcome.installed
    lines = {i.name: i.requirement_line() for i in outcome.plan.items}
    assert lines == {
        "localproj": f"-e {project.as_uri()}",
        "six": f"six==1.17.0 --hash={sha256('six', SIX_WHEEL)}",
    }
    packages = {p.name: p for p in outcome.plan.inventory.packages}
    assert (packages["localproj"].origin, packages["localproj"].version) == (Origin.PATH, None)
    assert packages["localproj"].direct and not packages["six"].direct
    assert pip_list(venv).items() >= {"localproj": "0.3.0", "six": "1.17.0"}.items()
    (info,) = (venv / "lib").glob("python3*/site-packages/localproj-0.3.0.dist-info")
    assert json.loads((info / "direct_url.json").read_text())["dir_info"] == {"editable": True}


def _local_project(where: Path, requires: list[str]) -> Path:
    """A project directory with an in-tree build backend (no build dependencies to fetch)."""
    where.mkdir(parents=True)
    deps = ", ".join(f'"{r}"' for r in requires)
    (where / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        f'[project]\nname = "localproj"\nversion = "0.3.0"\ndependencies = [{deps}]\n'
    )
    wheels = Path(__file__).resolve().parent.parent / "inventory" / "wheels.py"
    (where / "backend.py").write_text(
        "import importlib.util, pathlib\n"
        f"spec = importlib.util.spec_from_file_location('wheels', {str(wheels)!r})\n"
        "wheels = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(wheels)\n"
        f"REQUIRES = {requires!r}\n"
        "def build_wheel(directory, config_settings=None, metadata_directory=None):\n"
        "    return wheels.write_wheel(pathlib.Path(directory), 'localproj', '0.3.0',"
        " REQUIRES).name\n"
        "build_editable = build_wheel\n"
        "def get_requires_for_build_wheel(config_settings=None):\n"
        "    return []\n"
        "get_requires_for_build_editable = get_requires_for_build_wheel\n"
    )
    return where


def test_a_uv_failure_is_reported_with_uvs_words(
    index: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    with pytest.raises(GuardError) as raised:
        run_guard(index, venv, tmp_path, "no-such-project")
    assert "uv could not plan the install" in str(raised.value)
    assert "no-such-project was not found in the package registry" in str(raised.value)


def test_without_uv_the_guard_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uv_installer, "_uv_binary", lambda: None)
    with pytest.raises(GuardError, match=r"^uv is not installed$"):
        find_uv()
    from click.testing import CliRunner

    from chaingate.cli import app

    done = CliRunner().invoke(app, ["uv", "pip", "install", "six"])
    assert done.exit_code == 2
    assert "chaingate: uv is not installed" in done.output


# --- pinning: where the hashes come from (no uv run) ---------------------------------------


def _simple_index(root: Path, files: dict[str, bytes]) -> str:
    """A local PEP 503 index of six under `root`; returns its URL."""
    page = root / "six" / "index.html"
    page.parent.mkdir(parents=True)
    links = ""
    for filename, data in files.items():
        (page.parent / filename).write_bytes(data)
        links += f'<a href="{filename}#sha256={hashlib.sha256(data).hexdigest()}">{filename}</a>'
    page.write_text(f"<html><body>{links}</body></html>")
    return root.as_uri()


def test_hashes_come_from_the_judged_index_only(tmp_path: Path) -> None:
    """Issue 12, item 2: before, the hashes came from the first index in uv's order (an
    extra index first), so the pin followed whichever source uv preferred; now they are the
    judged index's (the one the scan's facts come from, or the one the policy pins the name
    to), and another source's files are that source's finding, never the pin."""
    judged = _simple_index(tmp_path / "judged", {SIX_WHEEL: b"judged", "six-1.16.0.tar.gz": b"x"})
    other = _simple_index(tmp_path / "other", {SIX_WHEEL: b"other"})
    six = [Change("six", "1.17.0", None)]

    findings: list[set[str]] = []

    def pinned(*args: str, index_url: str = judged, **kw: Any) -> guard_uv.UvPlanned:
        planned = plan_from_changes(
            split_args([*args, "six"]), six, http=http(tmp_path), index_url=index_url, **kw
        )
        findings.append({f.id for f in planned.proposal.findings})
        (item,) = planned.items
        assert isinstance(item, guard_uv.UvPlanned)
        return item

    def digest(data: bytes) -> str:
        return f"sha256:{hashlib.sha256(data).hexdigest()}"

    assert pinned("--index-url", judged, "--extra-index-url", other).hashes == (digest(b"judged"),)
    assert pinned("--index-url", judged).hashes == (digest(b"judged"),)
    # The policy pins six to the other index: its file, and no finding.
    item = pinned("--index-url", judged, "--extra-index-url", other, pinned={"six": other})
    assert item.hashes == (digest(b"other"),)
    assert findings == [{"dependency-confusion"}, set(), set()]


def test_a_version_the_index_gives_no_hash_for_cannot_be_pinned(tmp_path: Path) -> None:
    page = tmp_path / "idx" / "six" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<a href="{SIX_WHEEL}">{SIX_WHEEL}</a>')
    idx = (tmp_path / "idx").as_uri()
    args = split_args(["--index-url", idx, "six"])
    with pytest.raises(
        GuardError, match=re.escape("the index publishes no sha256 for six==1.17.0")
    ):
        plan_from_changes(args, [Change("six", "1.17.0", None)], http=http(tmp_path), index_url=idx)


def test_items_outside_the_index_are_pinned_by_url_or_commit(tmp_path: Path) -> None:
    commit = "a" * 40
    changes = parse_dry_run(
        "Would install 3 packages\n"
        f" + tool @ git+https://github.com/o/tool@{commit}\n"
        " + lib @ https://h/lib-1.0-py3-none-any.whl\n"
        " + mine @ file:///src/mine\n"
    )
    args = split_args(["git+https://github.com/o/tool", "-e", "/src/mine", "lib @ https://h/x"])
    planned = plan_from_changes(args, changes, http=http(tmp_path))

    assert {i.name: i.requirement_line() for i in planned.items} == {
        "tool": f"tool @ git+https://github.com/o/tool@{commit}",
        "lib": "lib @ https://h/lib-1.0-py3-none-any.whl",
        "mine": "-e file:///src/mine",
    }
    packages = {p.name: (p.origin, p.version, p.direct) for p in planned.inventory.packages}
    assert packages == {
        "tool": (Origin.VCS, None, True),
        "lib": (Origin.URL, None, True),
        "mine": (Origin.PATH, None, True),
    }
    assert set(planned.built) == {
        f"tool @ git+https://github.com/o/tool@{commit}",
        "mine @ file:///src/mine",
    }


# --- reading uv's dry run (recorded output of uv 0.13) -------------------------------------

RECORDED = {
    "install": (
        "Using Python 3.11.7 environment at: /tmp/venv\nResolved 3 packages in 101ms\n"
        "Would download 3 packages\nWould install 3 packages\n + guardtest-lib==0.2.0\n"
        " + idna==3.20\n + six==1.17.0\n"
    ),
    "reinstall": (
        "Using Python 3.11.7 environment at: /tmp/venv\nResolved 1 package in 4ms\n"
        "Would download 1 package\nWould uninstall 1 package\nWould install 1 package\n"
        " - six==1.17.0\n + six==1.17.0\n"
    ),
    "upgrade": (
        "Resolved 1 package in 4ms\nWould download 1 package\nWould uninstall 1 package\n"
        "Would install 1 package\n - six==1.16.0\n + six==1.17.0\n"
    ),
    "vcs": (
        "Using Python 3.11.7 environment at: /tmp/venv\n   Updating file:///tmp/uvx/proj (HEAD)\n"
        "    Updated file:///tmp/uvx/proj (3617d57130f0949d727cfff57c48f6c39ee3f0f1)\n"
        "Resolved 2 packages in 83ms\nWould download 2 packages\nWould install 2 packages\n"
        " + localproj @ git+file:///tmp/uvx/proj@3617d57130f0949d727cfff57c48f6c39ee3f0f1\n"
        " + six==1.17.0\n"
    ),
    "nothing": (
        "Using Python 3.11.7 environment at: /tmp/venv\nChecked 1 package in 0.74ms\n"
        "Would make no changes\n"
    ),
    "color": (
        "\x1b[2mUsing Python 3.11.7 environment at: /tmp/venv\x1b[0m\n"
        "\x1b[2mWould install \x1b[1m2 packages\x1b[0m\x1b[0m\n"
        " \x1b[32m+\x1b[39m \x1b[1midna\x1b[0m\x1b[2m==3.20\x1b[0m\n"
        " \x1b[32m+\x1b[39m \x1b[1msix\x1b[0m\x1b[2m==1.17.0\x1b[0m\n"
    ),
}


def test_the_dry_run_is_read_into_the_exact_set() -> None:
    def read(name: str) -> list[tuple[str, str | None, str | None]]:
        return [(c.name, c.version, c.url) for c in parse_dry_run(RECORDED[name])]

    assert read("install") == [
        ("guardtest-lib", "0.2.0", None),
        ("idna", "3.20", None),
        ("six", "1.17.0", None),
    ]
    assert read("reinstall") == read("upgrade") == [("six", "1.17.0", None)]
    assert read("vcs") == [
        ("localproj", None, "git+file:///tmp/uvx/proj@3617d57130f0949d727cfff57c48f6c39ee3f0f1"),
        ("six", "1.17.0", None),
    ]
    assert read("nothing") == []
    assert read("color") == [("idna", "3.20", None), ("six", "1.17.0", None)]


@pytest.mark.parametrize(
    ("stderr", "message"),
    [
        ("", "it names no packages to install and does not say it would make no changes"),
        ("Resolved 1 package in 1ms\n", "does not say it would make no changes"),
        ("Would install 2 packages\n + six==1.17.0\n", "would install 2 package(s) but lists 1"),
        ("Would make no changes\n + six==1.17.0\n", "would install 0 package(s) but lists 1"),
        ("Would install 1 package\n + six>=1.17\n", "cannot read this line of uv's dry run"),
        ("Would install 1 package\n + six (1.17.0)\n", "cannot read this line"),
        ("Would install 2 packages\n + six==1\n + Six==2\n", "a package is listed twice"),
        (
            "Would uninstall 1 package\nWould install 1 package\n + six==1.17.0\n",
            "would uninstall 1 package(s) but lists 0",
        ),
    ],
)
def test_dry_run_output_that_cannot_be_understood_is_refused(stderr: str, message: str) -> None:
    with pytest.raises(GuardError, match=re.escape(message)):
        parse_dry_run(stderr)


# --- splitting uv's arguments (no uv run) --------------------------------------------------


def test_requirements_and_options_are_told_apart() -> None:
    args = split_args(
        ["-qU", "six>=1", "-r", "req.txt", "-ihttps://idx/simple", "--extra-index-url=https://x",
         "--compile-bytecode", "-c", "c.txt", "--target", "out", "-e", "./here", "--no-deps",
         "--extra", "dev", "--color", "always", "--require-hashes", "idna"]
    )  # fmt: skip
    assert args.packages == ("six>=1", "idna")
    assert args.requirements == ("six>=1", "idna", "-r", "req.txt", "-c", "c.txt", "-e", "./here")
    assert args.pass_through == (
        "-q", "-U", "-ihttps://idx/simple", "--extra-index-url=https://x", "--compile-bytecode",
        "--target", "out", "--color", "always",
    )  # fmt: skip
    assert args.dry_run == (
        "-U", "six>=1", "-r", "req.txt", "-ihttps://idx/simple", "--extra-index-url=https://x",
        "--compile-bytecode", "-c", "c.txt", "--target", "out", "-e", "./here", "--no-deps",
        "--extra", "dev", "--require-hashes", "idna",
    )  # fmt: skip
    assert args.index_url == "https://idx/simple"
    assert split_args(["-i=https://a", "--default-index", "https://b", "x"]).index_url == (
        "https://b"
    )


def test_everything_after_a_double_dash_is_a_requirement() -> None:
    args = split_args(["--pre", "--", "-weird-name"])
    assert args.packages == ("-weird-name",)
    assert args.dry_run == ("--pre", "--", "-weird-name")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run", "six"], "--dry-run: the guard runs uv's dry run itself"),
        (["--check", "six"], "--check: the guard installs"),
        (["--exact", "six"], "--exact: the pinned install names only the packages that change"),
        (["-h"], "-h: for uv's own help run `uv pip install --help`"),
        (["-r", "-"], "-r -: the guard reads the requirements twice"),
        (["--frobnicate", "six"], "unknown uv pip install option --frobnicate"),
        (["--index-u", "x", "six"], "unknown uv pip install option --index-u"),  # no prefixes
        (["-Z"], "unknown uv pip install option -Z"),
        (["six", "--index-url"], "uv option --index-url needs a value"),
        (["--no-deps=yes"], "uv option --no-deps takes no value"),
    ],
)
def test_arguments_the_guard_cannot_honour_are_refused(args: list[str], message: str) -> None:
    with pytest.raises(GuardError, match=re.escape(message)):
        split_args(args)


def _help_options() -> dict[str, bool]:
    """Every spelling `uv pip install --help` shows -> whether it takes a value."""
    text = subprocess.run(
        [find_uv(), "pip", "install", "--help"], capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, bool] = {}
    for line in text.splitlines():
        m = re.match(r"^\s+(?:(-[A-Za-z]), )?(--[a-z0-9-]+)( <[A-Za-z_]+>)?", line)
        if m:
            for spelling in filter(None, (m.group(1), m.group(2))):
                found[spelling] = m.group(3) is not None
    return found


def test_the_option_table_knows_every_option_uv_shows() -> None:
    shown = _help_options()
    assert len(shown) > 60
    for spelling, takes_value in shown.items():
        option = uv_args._OPTIONS.get(spelling)
        assert option is not None, f"{spelling} is missing from the table"
        assert option.takes_value == takes_value, spelling


def test_every_option_in_the_table_is_one_the_installed_uv_accepts() -> None:
    uv = find_uv()
    for spelling, option in uv_args._OPTIONS.items():
        done = subprocess.run(
            [uv, "pip", "install", "--dry-run", "--python", "/nonexistent/python", spelling],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        first = done.stderr.splitlines()[0] if done.stderr else done.stdout[:80]
        assert "unexpected argument" not in first, spelling
        if spelling not in ("-h", "--help", "--dry-run", "--check"):
            assert ("a value is required" in first) == option.takes_value, (spelling, first)


# --- the command line ----------------------------------------------------------------------


def test_the_command_blocks_a_typosquat_and_installs_a_clean_package(
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    """`chaingate uv pip install ...` as a person types it, inside an activated virtualenv."""
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    before = site_packages(venv)

    def chaingate(*args: str) -> subprocess.CompletedProcess[str]:
        return run_command(["uv", "pip"], index, env, tmp_path, *args)

    blocked = chaingate("reqeusts")
    assert blocked.returncode == 1, blocked.stderr
    assert "typosquat" in blocked.stderr and "Nothing was installed" in blocked.stderr
    assert site_packages(venv) == before

    bad = chaingate("--exact", "six")
    assert bad.returncode == 2
    assert "chaingate: --exact: the pinned install names only" in bad.stderr

    installed = chaingate("six==1.17.0")
    assert installed.returncode == 0, installed.stderr
    assert "uv would install (six 1.17.0): nothing blocks" in installed.stderr
    assert pip_list(venv)["six"] == "1.17.0"


# --- pinned per file (issue 12, item 4) ----------------------------------------------------


def test_the_install_is_the_file_the_dry_run_chose_whatever_the_index_offers_later(
    index: PyPIServer, venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cg-swap 1.0 has a wheel and an sdist; uv's dry run chooses the wheel. While the guard
    judges, the index withdraws the wheel. Before, the install was pinned to every file of
    the version on the index, so uv built the sdist (its backend ran, unjudged) and
    installed that. Now the pin is the one file the dry run chose, installed from the bytes
    the guard fetched: the sdist is never built, and what is installed is the judged wheel
    (or nothing, when the wheel could not be fetched in time)."""
    monkeypatch.setenv("UV_NO_CACHE", "1")  # uv keeps no copy of its own between the runs
    mark = tmp_path / "backend-ran"
    monkeypatch.setenv("CG_BUILD_MARK", str(mark))
    wheel = write_wheel(tmp_path, "cg-swap", "1.0", [])
    source = world.sdist("cg-swap", "1.0")
    world.publish(index, "cg-swap", "1.0", {wheel.name: wheel.read_bytes(), source[0]: source[1]})
    scan = scan_with(world.options(index, tmp_path))

    def evaluate(inventory: Any, progress: Any) -> Any:
        result = scan(inventory, progress)
        world.publish(index, "cg-swap", "1.0", {source[0]: source[1]})  # the wheel is gone
        return result

    before = site_packages(venv)
    outcome, _ = run_guard(index, venv, tmp_path, "cg-swap", evaluate=evaluate)

    (item,) = outcome.plan.items
    assert item.requirement_line() == f"cg-swap==1.0 --hash=sha256:{_digest(wheel)}"
    assert not mark.exists(), mark.read_text()  # no build backend ran
    if outcome.exit_code == 0:
        assert pip_list(venv)["cg-swap"] == "1.0"
        (lib,) = (venv / "lib").glob("python3*/site-packages")
        assert not (lib / "cg_swap" / "built_from_sdist.py").exists()
    else:
        assert site_packages(venv) == before


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
