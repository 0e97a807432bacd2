"""Find the manifests and lock files under a directory, and parse one by its kind.

In one directory a lock file is the truth about what gets installed, so a pyproject.toml
next to a lock (poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock*.toml) is not returned
on its own: the lock parsers read it to tell direct dependencies from transitive ones.
(A pyproject.toml further down that a lock locks, a workspace member or a path dependency,
is returned here and dropped by `build.build_inventory` once the lock has been read.)
Requirements files are always returned. Virtual environments, VCS metadata, caches and
build output are skipped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from chaingate.core.inventory import InventoryError, Manifest
from chaingate.ecosystems.pypi.manifests import (
    pdm_lock,
    pipfile_lock,
    poetry_lock,
    pylock,
    pyproject,
    requirements,
    uv_lock,
)

PARSERS: dict[str, Callable[[Path, str], Manifest]] = {
    requirements.KIND: requirements.parse,
    pyproject.KIND: pyproject.parse,
    poetry_lock.KIND: poetry_lock.parse,
    uv_lock.KIND: uv_lock.parse,
    pipfile_lock.KIND: pipfile_lock.parse,
    pdm_lock.KIND: pdm_lock.parse,
    pylock.KIND: pylock.parse,
}

LOCK_KINDS = frozenset(
    {poetry_lock.KIND, uv_lock.KIND, pipfile_lock.KIND, pdm_lock.KIND, pylock.KIND}
)
_EXACT_NAMES = {
    "pyproject.toml": pyproject.KIND,
    "poetry.lock": poetry_lock.KIND,
    "uv.lock": uv_lock.KIND,
    "Pipfile.lock": pipfile_lock.KIND,
    "pdm.lock": pdm_lock.KIND,
}
_PYLOCK = re.compile(r"^pylock\.([^.]+\.)?toml$")
_SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "venv",
        "__pycache__",
        ".tox",
        ".nox",
        "site-packages",
        "build",
        "dist",
    }
)
_UNDERSTOOD = (
    "requirements*.txt, *requirements.txt, requirements/*.txt, pyproject.toml, poetry.lock, "
    "uv.lock, Pipfile.lock, pdm.lock, pylock.toml, pylock.*.toml"
)


def discover(root: Path) -> list[tuple[Path, str]]:
    """Every manifest or lock file under `root` as (path, kind), sorted by path.

    Paths are `root` joined with the path found below it. An unreadable directory is an
    InventoryError: skipping it would silently leave its dependencies out.
    """

    def fail(error: OSError) -> None:
        where = error.filename if isinstance(error.filename, str) else str(root)
        raise InventoryError(where, None, f"cannot read directory: {error.strerror or error}")

    found: list[tuple[Path, str]] = []
    for current, dirs, files in os.walk(root, onerror=fail):
        directory = Path(current)
        dirs[:] = sorted(d for d in dirs if not _skipped(directory / d, d))
        kinds = {name: kind for name in files if (kind := _match(directory, name))}
        has_lock = any(kind in LOCK_KINDS for kind in kinds.values())
        for name, kind in sorted(kinds.items()):
            if kind == pyproject.KIND and has_lock:
                continue
            found.append((directory / name, kind))
    return sorted(found, key=lambda item: item[0].as_posix())


def kind_of(path: Path) -> str:
    """The kind of one file named on the command line.

    Besides the names `discover` looks for, any `.txt` or `.in` file given explicitly is
    read as a requirements file. Anything else is an InventoryError.
    """
    kind = _match(path.parent, path.name)
    if kind is None and path.suffix in (".txt", ".in"):
        kind = requirements.KIND
    if kind is None:
        raise InventoryError(
            str(path),
            None,
            f"not a manifest or lock file chaingate understands (expected {_UNDERSTOOD})",
        )
    return kind


def parse_file(path: Path, kind: str, display: str) -> Manifest:
    """Parse `path` with the parser for `kind` (one of the kinds `discover` returns)."""
    try:
        parser = PARSERS[kind]
    except KeyError:
        raise ValueError(f"unknown manifest kind {kind!r}") from None
    return parser(path, display)


def _match(directory: Path, name: str) -> str | None:
    if name in _EXACT_NAMES:
        return _EXACT_NAMES[name]
    if _PYLOCK.match(name):
        return pylock.KIND
    if name.endswith(".txt") and (
        name.startswith("requirements")
        or name.endswith("requirements.txt")
        or directory.name == "requirements"
    ):
        return requirements.KIND
    return None


def _skipped(path: Path, name: str) -> bool:
    if name in _SKIP_DIRS:
        return True
    try:
        return (path / "pyvenv.cfg").is_file()
    except OSError:
        return False  # os.walk then reports the unreadable directory
