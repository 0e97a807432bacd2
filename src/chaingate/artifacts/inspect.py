"""`chaingate inspect`: read a package archive (or a directory) without executing anything,
run the detectors on every file, and combine the findings into one verdict."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from chaingate.artifacts.interface import CodeFinding, HostileArchive, Limits
from chaingate.signals.interface import Severity

# Magic numbers of native executables and libraries: ELF, PE (MZ), Mach-O (both byte orders,
# 32/64-bit, fat binaries).
_NATIVE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
_LESS_WEIGHT = ("tests/", "test/", "testing/", "docs/", "doc/", "examples/", "example/")
_SKIP_DIRS = {".git", "__pycache__", "node_modules", ".venv", "venv", ".tox", ".nox"}


@dataclass(frozen=True)
class Inspection:
    target: str
    verdict: Severity | None  # None: nothing found
    findings: tuple[CodeFinding, ...]
    files: int
    bytes_read: int


def _files_of_directory(root: Path) -> Iterator[tuple[str, bytes]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path.read_bytes()


def _files_of_archive(path: Path, limits: Limits) -> Iterator[tuple[str, bytes]]:
    from chaingate.artifacts.extract import open_archive

    with open_archive(path, limits) as archive:
        for member in archive.members():
            if member.is_file:
                yield member.name, archive.read(member)


def _library_name(name: str) -> bool:
    """Extension modules and the shared libraries wheels bundle next to them."""
    base = name.rsplit("/", 1)[-1]
    return base.endswith((".so", ".pyd", ".dll", ".dylib")) or ".so." in base


def _pure_python(target: Path) -> bool:
    """A wheel tagged py2/py3-none-any promises no native code."""
    name = target.name
    return name.endswith(".whl") and name[:-4].split("-")[-1] == "any"


def _weigh(f: CodeFinding) -> CodeFinding:
    """tests/, docs/ and examples/ weigh less: one severity level down."""
    parts = f.path.split("/", 1)
    inner = parts[1] if len(parts) > 1 and "-" in parts[0] else f.path  # sdist root dir
    if inner.startswith(_LESS_WEIGHT) or f.path.startswith(_LESS_WEIGHT):
        return replace(f, severity=f.severity.bump(-1))
    return f


def verdict(findings: tuple[CodeFinding, ...]) -> Severity | None:
    """The package-level severity. High and critical findings speak for themselves; a single
    medium finding with nothing else at medium or above stays low."""
    if not findings:
        return None
    worst = max(f.severity for f in findings)
    if worst == Severity.MEDIUM and sum(f.severity >= Severity.MEDIUM for f in findings) == 1:
        return Severity.LOW
    return worst


def inspect_path(target: Path, limits: Limits | None = None) -> Inspection:
    """Inspect an archive (.tar.gz, .zip, .whl, ...) or a directory."""
    from chaingate.artifacts.python import analyse_file

    findings: list[CodeFinding] = []
    files = total = 0
    pure = _pure_python(target)
    try:
        source = (
            _files_of_directory(target)
            if target.is_dir()
            else _files_of_archive(target, limits or Limits())
        )
        for name, data in source:
            files += 1
            total += len(data)
            findings.extend(analyse_file(name, data))
            if data[:4].startswith(_NATIVE_MAGIC) and (pure or not _library_name(name)):
                findings.append(
                    CodeFinding(
                        "bundled-binary",
                        Severity.HIGH if pure else Severity.MEDIUM,
                        name,
                        None,
                        f"{name} is a native executable"
                        + (" inside a wheel that declares no native code (py3-none-any)"
                           if pure else " that is not an extension module")
                        + ": it can run anything and cannot be reviewed as source.",
                    )
                )  # fmt: skip
    except HostileArchive as exc:
        findings.append(
            CodeFinding(
                "hostile-archive",
                Severity.CRITICAL,
                target.name,
                None,
                f"refused to unpack {target.name}: {exc}",
            )
        )
    weighed = tuple(
        sorted((_weigh(f) for f in findings), key=lambda f: (-f.severity, f.path, f.line or 0))
    )
    return Inspection(str(target), verdict(weighed), weighed, files, total)
