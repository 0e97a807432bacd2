"""Every source pip and uv would consider is judged (issue 12, item 2), and the guard's
words on an unknown name and a block (item 5).

The world (conftest.py): the local index serves solidlib 1.0, old and harmless; a second
index (`attacker`) and a find-links directory (`planted`) offer solidlib 1.0 again as
`solidlib-1.0-1-py3-none-any.whl`, a build-tagged wheel of the attacker's that pip prefers.
The facts come from the first index; whichever way the second source reaches pip or uv
(command line, a requirements file's option line, the environment, pip.conf,
`--find-links`, uv's extra indexes and `[[tool.uv.index]]`), the guard knows it: a name
offered by two sources is a `dependency-confusion` finding that blocks, unless the policy
pins the name to one index, and then the judged file is what gets installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chaingate.guard import pip as guard_pip
from chaingate.guard import uv as guard_uv
from chaingate.guard.core import GuardOutcome
from tests.guard import world
from tests.guard.test_uv_guard import isolated_uv as isolated_uv  # autouse: uv sees no config
from tests.guard.world import command_env, pip_list, run_command, site_packages
from tests.pypiserver import PyPIServer, Status

Setup = Callable[[pytest.MonkeyPatch, Path, PyPIServer, Path], list[str]]


def solidlib(venv: Path) -> str | None:
    """Which solidlib is installed: "judged", "planted" (the attacker's), or None."""
    (lib,) = (venv / "lib").glob("python3*/site-packages")
    if not (lib / "solidlib").is_dir():
        return None
    return "planted" if (lib / "solidlib" / "planted.py").exists() else "judged"


def blocked_ids(outcome: GuardOutcome) -> set[str]:
    return {d.finding.id for d in outcome.blocked}


# --- pip: each way a second source reaches it ----------------------------------------------


def _extra_index(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    return ["--extra-index-url", attacker.index_url, "solidlib"]


def _requirements_file(
    mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path
) -> list[str]:
    req = tmp / "requirements.txt"
    req.write_text(f"--extra-index-url {attacker.index_url}\nsolidlib\n")
    return ["-r", str(req)]


def _environment(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    mp.setenv("PIP_EXTRA_INDEX_URL", attacker.index_url)
    return ["solidlib"]


def _pip_conf(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    conf = tmp / "pip.conf"
    conf.write_text(f"[global]\nextra-index-url = {attacker.index_url}\n")
    mp.setenv("PIP_CONFIG_FILE", str(conf))
    return ["solidlib"]


def _find_links(
    mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, planted: Path
) -> list[str]:
    return ["--find-links", str(planted), "solidlib"]


PIP_WAYS: dict[str, Setup] = {
    "--extra-index-url": _extra_index,
    "-r file's option line": _requirements_file,
    "PIP_EXTRA_INDEX_URL": _environment,
    "pip.conf": _pip_conf,
    "--find-links": _find_links,
}


def test_pip_a_name_the_policy_pins_to_the_judged_index_installs_the_judged_file(
    index: PyPIServer, attacker: PyPIServer, venv: Path, tmp_path: Path
) -> None:
    """pip prefers the attacker's build-tagged wheel; with solidlib pinned to the judged
    index there is no finding, and the install is pinned to the file that index publishes."""
    outcome, said = world.run_guard(
        guard_pip.guard,
        index,
        venv,
        tmp_path,
        "--extra-index-url",
        attacker.index_url,
        "solidlib",
        pinned_indexes={"solidlib": index.index_url},
    )
    assert outcome.installed, said
    assert "dependency-confusion" not in {d.finding.id for d in outcome.decisions}
    assert solidlib(venv) == "judged"
    (item,) = outcome.plan.items
    assert item.url is not None and "/files/solidlib-1.0-py3-none-any.whl" in item.url


def test_pip_a_second_source_that_offers_the_same_files_is_not_a_finding(
    index: PyPIServer,
    attacker: PyPIServer,
    real_wheels: Path,
    venv: Path,
    tmp_path: Path,
) -> None:
    """No crying wolf: an extra index without six, and a wheelhouse of six's own wheel."""
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    for wheel in real_wheels.glob("six-*.whl"):
        shutil.copy(wheel, wheelhouse)
    outcome, said = world.run_guard(
        guard_pip.guard,
        index,
        venv,
        tmp_path,
        "--extra-index-url",
        attacker.index_url,
        "--find-links",
        str(wheelhouse),
        "six",
    )
    assert outcome.installed, said
    assert pip_list(venv)["six"] == "1.17.0"


@pytest.mark.parametrize("way", ["find-links", "extra index"])
def test_pip_a_source_the_guard_cannot_consult_fails_closed(
    way: str,
    index: PyPIServer,
    attacker: PyPIServer,
    venv: Path,
    tmp_path: Path,
) -> None:
    """pip skips a source it cannot read with a warning and installs from the others; the
    guard cannot say what that source offers, so nothing is installed (fail closed)."""
    before = site_packages(venv)
    if way == "find-links":
        args = ["--find-links", str(tmp_path / "missing"), "six"]
    else:
        attacker.always("/simple/six/", Status(503))
        args = ["--retries", "0", "--extra-index-url", attacker.index_url, "six"]
    outcome, said = world.run_guard(
        guard_pip.guard, index, venv, tmp_path, *args, fail_incomplete=True
    )

    assert site_packages(venv) == before, "installed although a source was not consulted"
    assert not outcome.allowed and outcome.exit_code is None
    assert [i.package for i in outcome.incomplete] == ["six"]
    assert "could not be analysed. Nothing was installed" in said[0]


# --- uv: its extra indexes -----------------------------------------------------------------


def _uv_index(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    return ["--index", f"mirror={attacker.index_url}", "solidlib"]


def _uv_extra_env(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    mp.setenv("UV_EXTRA_INDEX_URL", attacker.index_url)
    return ["solidlib"]


def _uv_index_env(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    mp.setenv("UV_INDEX", attacker.index_url)
    return ["solidlib"]


def _uv_pyproject(mp: pytest.MonkeyPatch, tmp: Path, attacker: PyPIServer, _: Path) -> list[str]:
    project = tmp / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[[tool.uv.index]]\nname = "mirror"\nurl = "{attacker.index_url}"\n'
    )
    mp.chdir(project)
    mp.delenv("UV_NO_CONFIG")
    mp.setenv("XDG_CONFIG_HOME", str(tmp / "xdg"))  # no user configuration
    return ["solidlib"]


UV_WAYS: dict[str, Setup] = {
    "--extra-index-url": _extra_index,
    "--index": _uv_index,
    "UV_EXTRA_INDEX_URL": _uv_extra_env,
    "UV_INDEX": _uv_index_env,
    "[[tool.uv.index]]": _uv_pyproject,
    "--find-links": _find_links,
}


GUARDS = {"pip": (guard_pip.guard, PIP_WAYS), "uv": (guard_uv.guard, UV_WAYS)}


@pytest.mark.parametrize(
    ("installer", "way"), [(i, w) for i, (_, ways) in GUARDS.items() for w in ways]
)
def test_a_name_offered_by_a_second_source_is_dependency_confusion(
    installer: str,
    way: str,
    index: PyPIServer,
    attacker: PyPIServer,
    planted: Path,
    venv: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before, pip and uv installed the attacker's build-tagged wheel (or, for uv with
    `[[tool.uv.index]]`, failed only at the hash check after the verdict let it through),
    judged by the first index's facts; now the second source is known, the name is
    offered twice, and nothing installs."""
    guard, ways = GUARDS[installer]
    args = ways[way](monkeypatch, tmp_path, attacker, planted)
    try:
        outcome, said = world.run_guard(guard, index, venv, tmp_path, *args)
    finally:
        assert solidlib(venv) != "planted", f"{way}: the attacker's file was installed"
    assert not outcome.allowed and outcome.exit_code is None
    assert "dependency-confusion" in blocked_ids(outcome)
    assert solidlib(venv) is None
    assert "solidlib 1.0: dependency-confusion (high)" in said[0]


# --- the command line ----------------------------------------------------------------------


def test_the_command_blocks_dependency_confusion_unless_the_policy_pins_the_name(
    index: PyPIServer,
    attacker: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)

    def chaingate(*args: str) -> subprocess.CompletedProcess[str]:
        return run_command(["pip"], index, env, tmp_path, *args)

    blocked = chaingate("--extra-index-url", attacker.index_url, "solidlib")
    assert blocked.returncode == 1, blocked.stderr
    assert "dependency-confusion" in blocked.stderr
    assert attacker.index_url in blocked.stderr
    assert solidlib(venv) is None

    (tmp_path / "chaingate.toml").write_text(f'[sources]\nsolidlib = "{index.index_url}"\n')
    pinned = chaingate("--extra-index-url", attacker.index_url, "solidlib")
    assert pinned.returncode == 0, pinned.stderr
    assert solidlib(venv) == "judged"


@pytest.mark.parametrize("installer", [["pip"], ["uv", "pip"]])
def test_the_command_explains_a_block_exactly_once(
    installer: list[str],
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 12, item 5: the explanation was printed when the verdict was known and again
    at the end."""
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    env.update(UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    done = run_command(installer, index, env, tmp_path, "reqeusts")

    assert done.returncode == 1, done.stderr
    assert done.stderr.count("chaingate: blocked:") == 1, done.stderr
    assert done.stderr.count("looks like the popular package 'requests'") == 1


@pytest.mark.parametrize("installer", [["pip"], ["uv", "pip"]])
def test_an_unknown_name_that_looks_like_a_popular_one_gets_a_did_you_mean(
    installer: list[str],
    index: PyPIServer,
    venv: Path,
    tmp_path: Path,
    dns_server: Any,
    rdap_server: Any,
) -> None:
    env = command_env(index, venv, tmp_path, dns_server, rdap_server)
    env.update(UV_NO_CONFIG="1", UV_CACHE_DIR=str(tmp_path / "uv-cache"))
    done = run_command(installer, index, env, tmp_path, "requsts")

    assert done.returncode == 2, done.stderr
    assert "requsts" in done.stderr
    assert "did you mean 'requests'" in done.stderr, done.stderr
    unknown = run_command(installer, index, env, tmp_path, "zzq-nothing-like-it")
    assert unknown.returncode == 2 and "did you mean" not in unknown.stderr


# --- learning the sources as pip and uv do (no installer run) -------------------------------


def test_pip_sources_come_from_the_command_line_requirement_files_and_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaingate.ecosystems.pypi.install.sources import pip_config, pip_sources

    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "wheels").mkdir()
    (tmp_path / "requirements.txt").write_text(
        "six  # a requirement\n-r sub/more.txt\n--extra-index-url https://a.example/simple\n"
    )
    monkeypatch.setenv("EXTRA", "https://b.example/simple")
    (tmp_path / "sub" / "more.txt").write_text(
        "--find-links wheels\n--extra-index-url=${EXTRA}\n-ihttps://main.example/simple\n"
    )
    config = pip_config(
        ":env:.extra-index-url='https://env.example/simple https://env2.example/simple'\n"
        "global.find-links='/srv/wheels'\n"
        "global.cert='/etc/ssl/ca.pem'\n"
        "global.index-url='https://global.example/simple'\n"
        "install.index-url='https://install.example/simple'\n"
        f"global.constraint='{tmp_path / 'constraints.txt'}'\n"
    )
    (tmp_path / "constraints.txt").write_text("--extra-index-url https://c.example/simple\n")
    found = pip_sources(
        [("--extra-index-url", "https://cli.example/simple/"), ("--find-links", "here")],
        ["requirements.txt"],
        config,
        tmp_path,
    )
    assert [(s.kind, s.url) for s in found] == [
        ("index", "https://env.example/simple/"),
        ("index", "https://env2.example/simple/"),
        ("index", "https://cli.example/simple/"),
        ("index", "https://c.example/simple/"),  # a constraints file from the configuration
        ("index", "https://b.example/simple/"),  # sub/more.txt, included before the next line
        ("index", "https://main.example/simple/"),
        ("index", "https://a.example/simple/"),
        ("find-links", "file:///srv/wheels"),
        ("find-links", (tmp_path / "here").as_uri()),
        ("find-links", (tmp_path / "sub" / "wheels").as_uri()),  # relative to its file
    ]

    # The main index: the command line's, else PIP_INDEX_URL, else install.index-url, else
    # global.index-url, else pypi.org; --no-index drops every index.
    def main(options: list[tuple[str, str | None]], config: dict[str, str]) -> str:
        return pip_sources(options, [], config, tmp_path)[0].url

    assert main([], {}) == "https://pypi.org/simple/"
    assert main([], config) == "https://install.example/simple/"
    assert main([], {**config, ":env:.index-url": "https://e.example/simple"}) == (
        "https://e.example/simple/"
    )
    assert main([("--index-url", "https://c.example/simple")], config) == (
        "https://c.example/simple/"
    )
    no_index = pip_sources([("--no-index", None), ("--find-links", "w")], [], config, tmp_path)
    assert [s.url for s in no_index] == ["file:///srv/wheels", (tmp_path / "w").as_uri()]


def test_uv_sources_come_from_the_command_line_environment_and_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaingate.ecosystems.pypi.install.uv_args import split_args
    from chaingate.ecosystems.pypi.install.uv_config import uv_sources

    for key in [k for k in os.environ if k.startswith("UV_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg-system"))
    project = tmp_path / "project" / "deep"
    project.mkdir(parents=True)
    (tmp_path / "project" / "pyproject.toml").write_text(
        '[[tool.uv.index]]\nname = "corp"\nurl = "https://corp.example/simple"\nexplicit = true\n'
        '[tool.uv.pip]\nextra-index-url = ["https://pip-section.example/simple"]\n'
    )
    user = tmp_path / "xdg" / "uv"
    user.mkdir(parents=True)
    (user / "uv.toml").write_text('find-links = ["https://links.example/wheels/"]\n')
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", "https://env.example/simple")

    found = uv_sources(split_args(["--index", "x=https://cli.example/simple", "six"]), project)
    assert [s.url for s in found] == [
        "https://corp.example/simple/",
        "https://pip-section.example/simple/",
        "https://cli.example/simple/",
        "https://env.example/simple/",
        "https://pypi.org/simple/",  # uv's default index: nothing names another
        "https://links.example/wheels/",
    ]
    assert [s.url for s in uv_sources(split_args(["--no-config", "six"]), project)] == [
        "https://env.example/simple/",
        "https://pypi.org/simple/",
    ]
    no_index = uv_sources(split_args(["--no-index", "-f", "w", "six"]), project)
    assert [s.kind for s in no_index] == ["find-links", "find-links"]
