"""What artifact analysis reports: findings located in a file of a package archive.

Nothing here executes package code: archives are read (or extracted into a temporary
directory under strict limits) and sources are parsed, never imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import msgspec

from chaingate.core.findings import Severity


class HostileArchive(Exception):
    """An archive chaingate refuses to unpack; the message is the reason (reported as a
    `hostile-archive` finding, never a crash)."""


class CodeFinding(msgspec.Struct, frozen=True):
    """One thing found in a file: `path` relative to the archive root, 1-based `line`
    (None for whole-file findings), and a short `excerpt` of the offending source."""

    id: str
    severity: Severity
    path: str
    line: int | None
    message: str
    excerpt: str = ""


class CodeReport(msgspec.Struct, frozen=True):
    """What the code of one package's artifact says (`scan --deep`)."""

    filename: str
    sha256: str
    verdict: Severity | None
    findings: tuple[CodeFinding, ...]


class Limits(msgspec.Struct, frozen=True):
    """Caps against decompression bombs and hostile archives.

    Only source files (`.py`, `.pth`, `.pyc`) up to `max_source_bytes` are held in memory
    whole; of every other member only the first bytes are read, so a wheel carrying a
    2 GB CUDA library costs its header, not its size. The per-file and total caps are
    therefore sized for real machine-learning wheels; the ratio check still stops bombs.
    """

    max_total_bytes: int = 8 * 1024 * 1024 * 1024
    max_files: int = 50_000
    max_file_bytes: int = 4 * 1024 * 1024 * 1024
    max_ratio: float = 200.0  # uncompressed / compressed, for the whole archive
    max_source_bytes: int = 16 * 1024 * 1024
    # Seconds one archive's files may take; past it the rest is not analysed and the
    # inspection is incomplete (checked between files: each file's own cost is bounded by
    # its analyser).
    max_seconds: float = 120.0


class FindingKind(msgspec.Struct, frozen=True):
    """A finding id and its docs entry: the default severity (the usual worst), a one-line
    summary (SARIF rules, the signal catalog under `scan --deep`), and where docs/artifacts.md
    explains it."""

    id: str
    severity: Severity
    summary: str

    @property
    def doc(self) -> str:
        return f"docs/artifacts.md#{self.id}"


class Capability(msgspec.Struct, frozen=True):
    """The first place a file uses network or process code: its line and what it names (a
    module such as `requests`, a call such as `os.system`)."""

    line: int
    name: str


class Analyser(Protocol):
    """The code analysis of one language, as the language-neutral archive layer sees it
    (`analysis.analysers` lists them; `analysis.python` is one, a JavaScript one would sit
    beside it). Nothing here runs package code."""

    name: str

    def reads_whole(self, path: str) -> bool:
        """Files to hold in memory whole (within `Limits.max_source_bytes`): sources and the
        metadata the analyser reads (a wheel's 2 GB library costs its header only)."""
        ...

    def claims(self, path: str) -> bool:
        """Source files of this language: analysed, and reported when too large to be."""
        ...

    def analyse(self, path: str, data: bytes, *, install_time: bool = False) -> list[CodeFinding]:
        """The findings of one file (empty for a file it does not analyse); `install_time`
        marks code the installer runs (see `install_time_files`)."""
        ...

    def analyse_bounded(self, path: str, data: bytes) -> tuple[list[CodeFinding], str | None]:
        """`analyse`'s findings, and why the file was not analysed whole when it is beyond
        the analyser's memory and time bounds (the inspection is then incomplete); None when
        it was."""
        ...

    def too_large(self, path: str, size: int, limit: int) -> CodeFinding | None:
        """The finding for a source file over the size analysed per file (None: none)."""
        ...

    def install_time_files(self, path: str, data: bytes) -> set[str]:
        """Paths (relative to the archive root) of modules a build runs, named by this file
        (an in-tree build backend in pyproject.toml); empty for most files."""
        ...

    def quoted_names(self, path: str, data: bytes) -> set[str]:
        """File names the source quotes: how code that runs a bundled binary names it."""
        ...

    def imported_names(self, path: str, data: bytes) -> set[str]:
        """The modules the source imports (last component, prefixed `import:`): how code
        loads a bundled extension module."""
        ...

    def capabilities(self, path: str, data: bytes) -> tuple[Capability | None, Capability | None]:
        """Where a source file first uses network code and process execution (for the
        release comparison: the first release to do either)."""
        ...

    def kinds(self) -> tuple[FindingKind, ...]:
        """Every finding id the analyser reports, with its docs entry."""
        ...


# The ids the archive layer reports itself, whatever the language.
ARCHIVE_KINDS = (
    FindingKind(
        "hostile-archive",
        Severity.CRITICAL,
        "The archive was refused: traversal, links leaving the root, a bomb",
    ),
    FindingKind(
        "bundled-binary",
        Severity.HIGH,
        "A native executable inside a package that declares no native code",
    ),
    FindingKind("analysis-failed", Severity.HIGH, "The analysis of an archive did not complete"),
)
# The ids of a comparison with the previous release (`inspect --against`).
RELEASE_KINDS = (
    FindingKind(
        "new-install-hook",
        Severity.MEDIUM,
        "This release adds an install hook its previous release did not have",
    ),
    FindingKind("new-pth", Severity.MEDIUM, "This release adds an executable .pth line"),
    FindingKind(
        "new-binary",
        Severity.MEDIUM,
        "This release adds native binaries to a package that had none",
    ),
    FindingKind(
        "new-network-code", Severity.MEDIUM, "This release is the first to use network code"
    ),
    FindingKind("new-process-code", Severity.MEDIUM, "This release is the first to run processes"),
)


def finding_kinds() -> tuple[FindingKind, ...]:
    """Every id artifact analysis reports: the archive layer's, each analyser's (declared by
    its detectors), and the release comparison's."""
    from chaingate.analysis.analysers import analysers

    ids = [ARCHIVE_KINDS[0], *(k for a in analysers() for k in a.kinds()), *ARCHIVE_KINDS[1:]]
    return (*ids, *RELEASE_KINDS)


if TYPE_CHECKING:
    FINDING_IDS: dict[str, str]


def __getattr__(name: str) -> object:
    # FINDING_IDS: {id: summary} of `finding_kinds()`, worked out on first use (it loads the
    # analysers' detectors).
    if name == "FINDING_IDS":
        ids = {k.id: k.summary for k in finding_kinds()}
        globals()["FINDING_IDS"] = ids
        return ids
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
