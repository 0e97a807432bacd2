"""The files of a package: an archive read under limits, or a directory, as `PackageFile`s in
a stable order; and what marks a native executable.

The files some analyser wants whole (sources, and metadata such as `pyproject.toml`; see
`analysis.analysers`) come whole up to `Limits.max_source_bytes`; of every other file only its
first bytes (`HEAD`), enough to recognise native code, so memory stays bounded whatever the
archive carries.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import msgspec

from chaingate.analysis.analysers import reads_whole
from chaingate.analysis.interface import Limits

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
HEAD = 64


class PackageFile(msgspec.Struct, frozen=True):
    path: str  # posix, relative to the archive root
    data: bytes  # whole for source files within the limit, else the first HEAD bytes
    size: int  # the real size

    @property
    def whole(self) -> bool:
        return len(self.data) == self.size


def is_native(data: bytes) -> bool:
    return data[:4].startswith(NATIVE_MAGIC)


def is_source(path: str) -> bool:
    """Files read whole: those an analyser wants (its sources, and metadata it reads)."""
    return reads_whole(path)


def files_of_directory(root: Path, limits: Limits) -> Iterator[PackageFile]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            size = path.stat().st_size
            whole = is_source(rel) and size <= limits.max_source_bytes
            with path.open("rb") as f:
                data = f.read() if whole else f.read(HEAD)
            yield PackageFile(rel, data, size)


def files_of_archive(path: Path, limits: Limits) -> Iterator[PackageFile]:
    """Raises HostileArchive (from open_archive or while reading) for a refused archive."""
    from chaingate.analysis.archive.extract import open_archive

    with open_archive(path, limits) as archive:
        for member in archive.members():
            if not member.is_file:
                continue
            if is_source(member.name) and member.size <= limits.max_source_bytes:
                yield PackageFile(member.name, archive.read(member), member.size)
            else:
                yield PackageFile(member.name, archive.read_head(member, HEAD), member.size)


def files_of(target: Path, limits: Limits) -> Iterator[PackageFile]:
    if target.is_dir():
        return files_of_directory(target, limits)
    return files_of_archive(target, limits)
