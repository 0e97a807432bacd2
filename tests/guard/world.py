"""The install guards' world, shared by the pip and uv guard tests (the fixtures that use
it are in conftest.py): what the local index serves, helpers that look into a
virtualenv, the scan options, one guard run, and the command line's environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chaingate.engine.scan import ScanOptions
from chaingate.guard.core import GuardOutcome
from chaingate.net.http import HttpSettings
from tests.pypiserver import PyPIServer, recorded_documents

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
REAL = {"six": "1.17.0", "idna": "3.20"}  # the latest versions in the recorded documents


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def recorded_file(name: str, filename: str) -> dict[str, Any]:
    doc = json.loads(recorded_documents()[name])
    for files in doc["releases"].values():
        for f in files:
            if f["filename"] == filename:
                return dict(f)
    raise AssertionError(f"{filename} is not in the recorded document of {name}")


def python_of(venv: Path) -> str:
    return str(venv / "bin" / "python")


def site_packages(venv: Path) -> set[str]:
    (lib,) = (venv / "lib").glob("python3*/site-packages")
    return {p.name for p in lib.iterdir()}


def pip_list(venv: Path) -> dict[str, str]:
    out = subprocess.run(
        [python_of(venv), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {d["name"].lower(): d["version"] for d in json.loads(out)}


def options(server: PyPIServer, tmp_path: Path) -> ScanOptions:
    return ScanOptions(
        index_url=server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01),
        db_url=None,
        now=NOW,
        domains=None,
    )


def run_guard(
    guard: Callable[..., GuardOutcome],
    server: PyPIServer,
    venv: Path,
    tmp_path: Path,
    *args: str,
    **kwargs: Any,
) -> tuple[GuardOutcome, list[str]]:
    """`guard` (the pip or the uv guard) on the local index for `venv`'s interpreter, and
    what it announced."""
    said: list[str] = []
    outcome = guard(
        ["--index-url", server.index_url, *args],
        python=python_of(venv),
        scan_options=options(server, tmp_path),
        announce=said.append,
        **kwargs,
    )
    return outcome, said


def command_env(
    index: PyPIServer, venv: Path, tmp_path: Path, dns_server: Any, rdap_server: Any
) -> dict[str, str]:
    """The environment of a person running chaingate in an activated virtualenv, with every
    source on loopback and every maintainer domain alive."""
    from tests.rdapserver import healthy_world

    healthy_world(dns_server, rdap_server)
    return {
        **os.environ,
        "VIRTUAL_ENV": str(venv),
        "CHAINGATE_INDEX_URL": index.url,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_DB": f"sqlite:///{tmp_path / 'store.db'}",
        "CHAINGATE_DNS_SERVERS": dns_server.spec,
        "CHAINGATE_RDAP_BOOTSTRAP_URL": rdap_server.bootstrap_url,
    }


def run_command(
    installer: Sequence[str], index: PyPIServer, env: dict[str, str], cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """`chaingate <installer> install --index-url INDEX ARGS...` as a person types it."""
    return subprocess.run(
        [sys.executable, "-m", "chaingate", *installer, "install", "--index-url",
         index.index_url, *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
