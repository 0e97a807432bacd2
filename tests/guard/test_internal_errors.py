"""Issue 12, item 14, for the install guards: neither a registry document chaingate cannot
read nor a bug in chaingate ends as exit 1 or as an install. `chaingate pip install` and
`chaingate uv pip install` as a person types them, into a real virtualenv, from the local
index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.errors import EXIT_INCOMPLETE, EXIT_INTERNAL
from chaingate.ecosystems.pypi.install.common import InstallError
from chaingate.ecosystems.pypi.install.uv import find_uv
from tests.guard.world import command_env, recorded_documents, site_packages
from tests.pypiserver import PyPIServer

INSTALLERS = {"pip": ["pip"], "uv": ["uv", "pip"]}
BUG = (
    "import chaingate.engine as e\n"
    "def scan(self, *a, **k):\n"
    "    raise KeyError('planted bug')\n"
    "e.Engine.scan = scan\n"
)


def chaingate(
    installer: str, index: PyPIServer, env: dict[str, str], cwd: Path, *args: str, bug: bool
) -> subprocess.CompletedProcess[str]:
    argv = [*INSTALLERS[installer], "install", "--index-url", index.index_url, *args]
    prefix = [sys.executable, "-m", "chaingate"]
    if bug:
        code = f"{BUG}import sys\nsys.argv = ['chaingate', *sys.argv[1:]]\n"
        code += "from chaingate.cli.entry import main\nmain()"
        prefix = [sys.executable, "-c", code]
    return subprocess.run(
        [*prefix, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def env(
    index: PyPIServer, venv: Path, tmp_path: Path, dns_server: Any, rdap_server: Any
) -> dict[str, str]:
    """The environment of a person in the activated virtualenv (tests/guard/world.py)."""
    return command_env(index, venv, tmp_path, dns_server, rdap_server)


def _skip_without(installer: str) -> None:
    if installer == "uv":
        try:
            find_uv()
        except InstallError:
            pytest.skip("uv is not installed")


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_a_bug_during_the_guard_is_exit_70_and_installs_nothing(
    installer: str, index: PyPIServer, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    _skip_without(installer)
    before = site_packages(venv)
    proc = chaingate(installer, index, env, tmp_path, "six==1.17.0", bug=True)
    assert proc.returncode == EXIT_INTERNAL, proc.stderr
    assert "chaingate: internal error: KeyError: 'planted bug'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert site_packages(venv) == before


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_a_registry_document_with_a_huge_size_installs_nothing_and_is_not_exit_1(
    installer: str, index: PyPIServer, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Before: the facts cache's OverflowError, a traceback and exit 1 ("blocked")."""
    _skip_without(installer)
    doc = json.loads(recorded_documents()["six"])
    doc["urls"][0]["size"] = 10**40
    index.add_project("six", json.dumps(doc).encode())
    before = site_packages(venv)
    proc = chaingate(installer, index, env, tmp_path, "six==1.17.0", bug=False)
    assert proc.returncode == EXIT_INCOMPLETE, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "not analysed: six" in proc.stderr and "urls[0].size" in proc.stderr
    assert site_packages(venv) == before


def test_the_guards_explanation_shows_index_text_escaped(
    index: PyPIServer, venv: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Issue 12, item 15: the id of a vulnerability of six carries an escape sequence and a
    fake verdict; the guard's explanation (the known-vulnerability block naming it) shows
    it inert."""
    fake = "chaingate: checked: nothing blocks."
    doc = json.loads(recorded_documents()["six"])
    hostile = f"PYSEC-1\x1b[2K\x1b[1A\r\n{fake}"
    doc["vulnerabilities"] = [{"id": hostile, "summary": hostile, "fixed_in": ["9"]}]
    index.add_project("six", json.dumps(doc).encode())
    proc = chaingate("pip", index, env, tmp_path, "six==1.17.0", bug=False)
    assert proc.returncode == 1, proc.stderr
    assert "PYSEC-1\\x1b[2K\\x1b[1A\\r\\n" in proc.stderr
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr
    assert not [line for line in proc.stderr.splitlines() if line.lstrip().startswith(fake)]
