"""The files of a package: an archive read under limits, or a directory, as (path, bytes)
pairs in a stable order; and what marks a native executable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from chaingate.artifacts.interface import Limits

# Magic numbers of native executables and libraries: ELF, PE (MZ), Mach-O (both byte orders,
# 32/64-bit, fat binaries).
NATIVE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
SKIP_DIRS = frozenset({".git", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".nox"})


def is_native(data: bytes) -> bool:
    return data[:4].startswith(NATIVE_MAGIC)


def files_of_directory(root: Path) -> Iterator[tuple[str, bytes]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path.read_bytes()


def files_of_archive(path: Path, limits: Limits) -> Iterator[tuple[str, bytes]]:
    """Raises HostileArchive (from open_archive or while reading) for a refused archive."""
    from chaingate.artifacts.extract import open_archive

    with open_archive(path, limits) as archive:
        for member in archive.members():
            if member.is_file:
                yield member.name, archive.read(member)


def files_of(target: Path, limits: Limits) -> Iterator[tuple[str, bytes]]:
    if target.is_dir():
        return files_of_directory(target)
    return files_of_archive(target, limits)
