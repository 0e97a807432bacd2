"""The install guards' world, shared by the pip and uv guard tests (the fixtures that use
it are in conftest.py): what the local index serves, helpers that look into a
virtualenv, the scan options, one guard run, and the command line's environment.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chaingate.engine.scan import ScanOptions
from chaingate.guard.core import GuardOutcome
from chaingate.net.http import HttpSettings
from tests.inventory.wheels import write_wheel
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


# --- releases with several files, source distributions, build backends ---------------------


def document(
    name: str,
    version: str,
    files: dict[str, bytes],
    uploaded: datetime,
    owner: str,
    requires: Sequence[str] = (),
) -> bytes:
    """A JSON API document for a one-release project with these files (filename -> bytes)."""
    stamp = uploaded.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    entries = [
        {
            "filename": filename,
            "packagetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
            "python_version": "py3" if filename.endswith(".whl") else "source",
            "requires_python": None,
            "size": len(data),
            "upload_time": stamp[:19],
            "upload_time_iso_8601": stamp,
            "url": f"https://files.example/{filename}",
            "digests": {
                "sha256": hashlib.sha256(data).hexdigest(),
                "md5": hashlib.md5(data).hexdigest(),
            },
            "yanked": False,
            "yanked_reason": None,
        }
        for filename, data in files.items()
    ]
    doc = {
        "info": {
            "name": name,
            "version": version,
            "author": owner,
            "author_email": None,
            "home_page": None,
            "project_urls": None,
            "requires_dist": list(requires) or None,
            "summary": "",
        },
        "last_serial": 1,
        "releases": {version: entries},
        "urls": entries,
        "vulnerabilities": [],
        "ownership": {"organization": None, "roles": [{"role": "Owner", "user": owner}]},
    }
    return json.dumps(doc).encode()


def publish(
    server: PyPIServer,
    name: str,
    version: str,
    files: dict[str, bytes],
    *,
    uploaded: datetime = NOW - timedelta(days=400),
    owner: str = "alice",
) -> None:
    """Serve a one-release project with these files (its document, simple page and files)."""
    for filename, data in files.items():
        server.add_file(filename, data)
    server.add_project(name, document(name, version, files, uploaded, owner))


_WHEELS_PY = Path(__file__).resolve().parent.parent / "inventory" / "wheels.py"

# An in-tree PEP 517 backend: it imports its build requirements (so a build requirement's
# import-time code runs), appends each hook it runs to $CG_BUILD_MARK, and builds a wheel
# whose module says it came from the sdist.
_BACKEND = """import importlib.util, os, pathlib
for _required in {imports!r}:
    __import__(_required)
_spec = importlib.util.spec_from_file_location("wheels", {wheels!r})
_wheels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_wheels)


def _mark(hook):
    with open(os.environ["CG_BUILD_MARK"], "a", encoding="utf-8") as out:
        out.write("{name}: " + hook + "\\n")


def get_requires_for_build_wheel(config_settings=None):
    _mark("get_requires_for_build_wheel")
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _mark("build_wheel")
    extra = {{{module!r} + "/built_from_sdist.py": ""}}
    directory = pathlib.Path(wheel_directory)
    return _wheels.write_wheel(directory, {name!r}, {version!r}, [], extra).name
"""


def sdist(name: str, version: str, build_requires: Sequence[str] = ()) -> tuple[str, bytes]:
    """A source distribution (filename, bytes) with no static metadata, so an installer must
    run its in-tree build backend, which needs (and imports) `build_requires`."""
    module = name.replace("-", "_")
    top = f"{module}-{version}"
    requires = ", ".join(f'"{r}"' for r in build_requires)
    members = {
        f"{top}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{top}/pyproject.toml": f"[build-system]\nrequires = [{requires}]\n"
        'build-backend = "backend"\nbackend-path = ["."]\n',
        f"{top}/backend.py": _BACKEND.format(
            imports=[r.replace("-", "_") for r in build_requires],
            wheels=str(_WHEELS_PY),
            name=name,
            version=version,
            module=module,
        ),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return f"{top}.tar.gz", buffer.getvalue()


def marking_wheel(directory: Path, name: str, version: str) -> Path:
    """An inert wheel whose import appends `<name> imported` to $CG_BUILD_MARK: proof that
    an installer ran it (as a build requirement)."""
    module = name.replace("-", "_")
    code = (
        "import os\n"
        "with open(os.environ['CG_BUILD_MARK'], 'a', encoding='utf-8') as out:\n"
        f"    out.write('{name} imported\\n')\n"
    )
    return write_wheel(directory, name, version, [], modules={f"{module}/__init__.py": code})


def publish_build_typosquat(server: PyPIServer, directory: Path) -> None:
    """`cg-built` 1.0, published only as an sdist whose build-system.requires names
    `setuptoolz` (a typosquat of setuptools), and `setuptoolz` 80.0, an inert wheel whose
    import appends `setuptoolz imported` to $CG_BUILD_MARK."""
    wheel = marking_wheel(directory, "setuptoolz", "80.0")
    publish(server, "setuptoolz", "80.0", {wheel.name: wheel.read_bytes()})
    filename, data = sdist("cg-built", "1.0", ["setuptoolz"])
    publish(server, "cg-built", "1.0", {filename: data})
