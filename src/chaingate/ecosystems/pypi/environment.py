"""`--env`: the packages installed in a Python environment, as a locked manifest.

The target is this interpreter or a virtual environment. We run the target's own
interpreter with a small inline script that lists its distributions through
`importlib.metadata` and prints them as JSON, together with that interpreter's marker
environment so requirement markers are judged for it and not for us. The script runs with
`-S -E`: no `site` processing, so no `.pth` file in the environment gets to run code (it
finds the site-packages directories and the plain path lines of `.pth` files itself), and
no PYTHON* variable of ours leaks into the target. Nothing from the target is imported.

The graph comes from each distribution's Requires-Dist. Which extras were asked for at
install time is not recorded, so an extra counts as installed when every requirement it
adds is installed. Direct packages are the ones nothing else depends on. Like pip-audit,
pip, setuptools and wheel are left out when nothing depends on them: they are the
environment's own tooling, not the project's dependencies.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin

ENVIRONMENT_KIND = "environment"
THIS_INTERPRETER = ""
"""The `read_environment` argument that means the interpreter chaingate runs on."""

EXCLUDED_TOOLS = frozenset({"pip", "setuptools", "wheel"})
"""Installer tooling left out of an environment's inventory unless something depends on it."""

_TIMEOUT = 120.0
_EXTRA = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")

# Runs inside the target interpreter (Python 3.8+), with -S -E, from an empty directory.
_SCRIPT = r"""
import json, os, platform, re, site, sys
from importlib import metadata

def marker_environment():
    def full(info):
        version = "%d.%d.%d" % (info.major, info.minor, info.micro)
        if info.releaselevel != "final":
            version += info.releaselevel[0] + str(info.serial)
        return version
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }

def site_dirs():
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    prefix = os.path.dirname(exe_dir)
    prefixes, user = [sys.prefix], True
    for cfg in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(prefix, "pyvenv.cfg")):
        if os.path.isfile(cfg):
            system = False
            with open(cfg, encoding="utf-8") as f:
                for line in f:
                    key, _, value = line.partition("=")
                    if key.strip().lower() == "include-system-site-packages":
                        system = value.strip().lower() == "true"
            prefixes = [prefix] + ([sys.base_prefix] if system else [])
            user = system
            break
    dirs = list(site.getsitepackages(prefixes))
    if user and not sys.flags.no_user_site:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if os.path.isdir(d)]

def search_path():
    here = os.getcwd()
    found = [p for p in sys.path if p and os.path.abspath(p) != here]
    for d in site_dirs():
        found.append(d)
        for pth in sorted(n for n in os.listdir(d) if n.endswith(".pth")):
            try:
                with open(os.path.join(d, pth), encoding="utf-8") as f:
                    lines = f.read().splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                line = line.rstrip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                entry = os.path.join(d, line)
                if os.path.isdir(entry):
                    found.append(entry)
    return list(dict.fromkeys(os.path.abspath(p) for p in found))

dists, seen = [], set()
for dist in metadata.distributions(path=search_path()):
    name = dist.metadata["Name"]
    if not name:
        continue
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        continue
    seen.add(key)
    dists.append({
        "name": name,
        "version": dist.version,
        "requires": dist.requires or [],
        "direct_url": dist.read_text("direct_url.json"),
    })
json.dump({"environment": marker_environment(), "distributions": dists}, sys.stdout)
"""


class _Installed(msgspec.Struct, frozen=True):
    """One installed distribution as the target interpreter reported it."""

    name: str
    version: str
    requires: tuple[Requirement, ...]
    origin: Origin
    url: str | None


def find_python(where: str) -> Path:
    """The interpreter of `where`: a virtual environment directory or a Python executable.

    `THIS_INTERPRETER` (the empty string) means `sys.executable`.
    """
    if where == THIS_INTERPRETER:
        return Path(sys.executable)
    path = Path(where).absolute()  # not resolve(): a venv's python is a symlink out of it
    if path.is_file():
        return path
    if not path.is_dir():
        raise InventoryError(where, None, "no such environment (expected a venv or a python)")
    for candidate in ("bin/python", "bin/python3", "Scripts/python.exe"):
        if (path / candidate).is_file():
            return path / candidate
    raise InventoryError(
        where, None, "not a Python environment: no bin/python or Scripts/python.exe in it"
    )


def read_environment(where: str) -> Manifest:
    """The packages installed in `where` (see `find_python`) as a locked manifest.

    The manifest's kind is `"environment"` and its path is `where` (or the interpreter
    path for `THIS_INTERPRETER`); every entry is located there, without a line.
    """
    python = find_python(where)
    display = where or str(python)
    report = _ask(python, display)
    environment = {str(k): str(v) for k, v in report.get("environment", {}).items()}
    installed = [_installed(d) for d in report.get("distributions", [])]
    return _manifest(display, installed, environment)


def _ask(python: Path, display: str) -> dict[str, Any]:
    """Run the listing script under `python` and return its JSON."""
    with tempfile.TemporaryDirectory(prefix="chaingate-env-") as tmp:
        try:
            done = subprocess.run(
                [str(python), "-S", "-E", "-c", _SCRIPT],
                cwd=tmp,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise InventoryError(display, None, f"{python} did not answer in time") from exc
        except OSError as exc:
            raise InventoryError(display, None, f"cannot run {python}: {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise InventoryError(display, None, f"cannot list installed packages: {last}")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise InventoryError(display, None, f"{python} printed no package list: {exc}") from exc
    if not isinstance(report, dict):
        raise InventoryError(display, None, f"{python} printed no package list")
    return report


def _installed(raw: Mapping[str, Any]) -> _Installed:
    requires = []
    for text in raw.get("requires") or []:
        try:
            requires.append(Requirement(str(text)))
        except InvalidRequirement:
            continue  # a broken Requires-Dist line cannot name an edge we could trust
    origin, url = _origin(raw.get("direct_url"))
    return _Installed(
        name=canonicalize_name(str(raw["name"])),
        version=str(raw["version"]),
        requires=tuple(requires),
        origin=origin,
        url=url,
    )


def _origin(direct_url: object) -> tuple[Origin, str | None]:
    """Origin and URL from a PEP 610 direct_url.json; no file means the index."""
    if not isinstance(direct_url, str):
        return Origin.REGISTRY, None
    try:
        info = json.loads(direct_url)
    except json.JSONDecodeError:
        return Origin.URL, None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        return Origin.URL, None
    url: str = info["url"]
    vcs_info = info.get("vcs_info")
    if isinstance(vcs_info, dict):
        vcs = vcs_info.get("vcs", "git")
        commit = vcs_info.get("commit_id")
        return Origin.VCS, f"{vcs}+{url}" + (f"@{commit}" if commit else "")
    if "dir_info" in info or url.startswith("file:"):
        return Origin.PATH, url
    return Origin.URL, url


def _holds(req: Requirement, extra: str, environment: Mapping[str, str]) -> bool:
    if req.marker is None:
        return True
    try:
        return req.marker.evaluate({**environment, "extra": extra})
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return False


def _edges(
    dist: _Installed, installed: Mapping[str, _Installed], environment: Mapping[str, str]
) -> set[str]:
    """The installed packages `dist` depends on here, counting its satisfied extras."""
    children = {canonicalize_name(r.name) for r in dist.requires if _holds(r, "", environment)}
    extras = {canonicalize_name(x) for r in dist.requires for x in _extra_names(r)}
    for extra in sorted(extras):
        added = {
            canonicalize_name(r.name)
            for r in dist.requires
            if _holds(r, extra, environment) and not _holds(r, "", environment)
        }
        if added and added <= installed.keys():
            children |= added
    return {c for c in children if c in installed and c != dist.name}


def _extra_names(req: Requirement) -> list[str]:
    """The extras a requirement's marker mentions (`extra == "socks"` -> `["socks"]`)."""
    return _EXTRA.findall(str(req.marker)) if req.marker is not None else []


def _manifest(
    display: str, installed_list: list[_Installed], environment: Mapping[str, str]
) -> Manifest:
    installed = {d.name: d for d in installed_list}
    graph = {name: _edges(dist, installed, environment) for name, dist in installed.items()}
    # Drop installer tooling nothing depends on; dropping wheel may orphan setuptools.
    while True:
        depended = {c for children in graph.values() for c in children}
        unused = [t for t in EXCLUDED_TOOLS if t in graph and t not in depended]
        if not unused:
            break
        for tool in unused:
            del graph[tool]
    roots = _roots(graph)
    entries = tuple(
        Declared(
            name=name,
            location=Location(display),
            specifier=f"=={installed[name].version}",
            version=installed[name].version,
            origin=installed[name].origin,
            url=installed[name].url,
            direct=name in roots,
        )
        for name in sorted(graph)
    )
    return Manifest(
        path=display,
        kind=ENVIRONMENT_KIND,
        entries=entries,
        locked=True,
        graph={name: tuple(sorted(children)) for name, children in sorted(graph.items())},
    )


def _roots(graph: Mapping[str, set[str]]) -> set[str]:
    """Packages nothing depends on, plus one member of each cycle that no root reaches."""
    depended = {c for children in graph.values() for c in children}
    roots = {name for name in graph if name not in depended}
    seen: set[str] = set()
    for start in [*sorted(roots), *sorted(graph)]:
        if start in seen:
            continue
        roots.add(start)
        seen.add(start)
        queue = deque([start])
        while queue:
            for child in graph[queue.popleft()]:
                if child not in seen:
                    seen.add(child)
                    queue.append(child)
    return roots
