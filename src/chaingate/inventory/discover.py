"""Find the manifests and lock files under a directory, and parse one by its kind.

Each ecosystem adapter's `ManifestParser` claims the files it reads and says which of one
directory's files to keep (PyPI: a pyproject.toml beside a lock is the lock's business).
Virtual environments, VCS metadata, caches, `node_modules` and build output are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from chaingate.core.inventory import InventoryError, Manifest
from chaingate.ecosystems.interface import Ecosystem, ManifestParser

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


def _ecosystems(ecosystems: Sequence[Ecosystem] | None) -> Sequence[Ecosystem]:
    if ecosystems is None:
        from chaingate.ecosystems import default_ecosystems

        return default_ecosystems()
    return ecosystems


def owner(kind: str, ecosystems: Sequence[Ecosystem] | None = None) -> Ecosystem:
    """The ecosystem whose parser reads files of `kind`."""
    for eco in _ecosystems(ecosystems):
        if kind in eco.manifests.kinds:
            return eco
    raise ValueError(f"unknown manifest kind {kind!r}")


def discover(root: Path, ecosystems: Sequence[Ecosystem] | None = None) -> list[tuple[Path, str]]:
    """Every manifest or lock file under `root` as (path, kind), sorted by path.

    Paths are `root` joined with the path found below it. An unreadable directory is an
    InventoryError: skipping it would silently leave its dependencies out.
    """
    parsers = [e.manifests for e in _ecosystems(ecosystems)]

    def fail(error: OSError) -> None:
        where = error.filename if isinstance(error.filename, str) else str(root)
        raise InventoryError(where, None, f"cannot read directory: {error.strerror or error}")

    found: list[tuple[Path, str]] = []
    for current, dirs, files in os.walk(root, onerror=fail):
        directory = Path(current)
        dirs[:] = sorted(d for d in dirs if not _skipped(directory / d, d))
        for parser in parsers:
            kinds = {name: kind for name in files if (kind := parser.claim(directory, name))}
            if kinds:
                kept = parser.keep(kinds)
                found += [(directory / n, k) for n, k in sorted(kinds.items()) if n in kept]
    return sorted(found, key=lambda item: item[0].as_posix())


def kind_of(path: Path, ecosystems: Sequence[Ecosystem] | None = None) -> str:
    """The kind of one file named on the command line; an InventoryError when no
    ecosystem reads it."""
    parsers: list[ManifestParser] = [e.manifests for e in _ecosystems(ecosystems)]
    for parser in parsers:
        kind = parser.claim_named(path)
        if kind is not None:
            return kind
    understood = "; ".join(p.understood for p in parsers)
    raise InventoryError(
        str(path),
        None,
        f"not a manifest or lock file chaingate understands (expected {understood})",
    )


def parse_file(
    path: Path, kind: str, display: str, ecosystems: Sequence[Ecosystem] | None = None
) -> Manifest:
    """Parse `path` with the parser for `kind` (one of the kinds `discover` returns)."""
    return owner(kind, ecosystems).manifests.parse(path, kind, display)


def _skipped(path: Path, name: str) -> bool:
    if name in _SKIP_DIRS:
        return True
    try:
        return (path / "pyvenv.cfg").is_file()
    except OSError:
        return False  # os.walk then reports the unreadable directory
