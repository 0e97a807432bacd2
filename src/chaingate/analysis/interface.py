"""What artifact analysis reports: findings located in a file of a package archive.

Nothing here executes package code: archives are read (or extracted into a temporary
directory under strict limits) and sources are parsed, never imported.
"""

from __future__ import annotations

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


# Every finding id artifact analysis reports, with a one-line summary (SARIF rules, the
# signal registry under `scan --deep`, docs/artifacts.md).
FINDING_IDS: dict[str, str] = {
    "hostile-archive": "The archive was refused: traversal, links leaving the root, a bomb",
    "install-hook": "Code that runs when the package is installed does network or process work",
    "import-time-exec": "Network or process execution when a module is imported",
    "obfuscated-exec": "Decoded or hidden code is executed",
    "exfiltration": "Environment or credential files are sent out",
    "shady-url": "A webhook, paste site, tunnel or raw IP address in the code",
    "download-exec": "Downloaded content is executed",
    "pth-exec": "A .pth file line that runs at every interpreter start",
    "hidden-unicode": "Bidi control or zero-width characters in source",
    "bundled-binary": "A native executable inside a package that declares no native code",
    "unparsable-source": "A Python file that does not parse",
    "compiled-bytecode": "Compiled bytecode shipped outside __pycache__, or loaded from a file",
    "analysis-failed": "The analysis of an archive did not complete",
    "new-install-hook": "This release adds an install hook its previous release did not have",
    "new-pth": "This release adds an executable .pth line",
    "new-binary": "This release adds native binaries to a package that had none",
    "new-network-code": "This release is the first to use network code",
    "new-process-code": "This release is the first to run processes",
}
