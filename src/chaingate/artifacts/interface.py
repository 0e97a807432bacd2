"""What artifact analysis reports: findings located in a file of a package archive.

Nothing here executes package code: archives are read (or extracted into a temporary
directory under strict limits) and sources are parsed, never imported.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaingate.signals.interface import Severity


class HostileArchive(Exception):
    """An archive chaingate refuses to unpack; the message is the reason (reported as a
    `hostile-archive` finding, never a crash)."""


@dataclass(frozen=True)
class CodeFinding:
    """One thing found in a file: `path` relative to the archive root, 1-based `line`
    (None for whole-file findings), and a short `excerpt` of the offending source."""

    id: str
    severity: Severity
    path: str
    line: int | None
    message: str
    excerpt: str = ""


@dataclass(frozen=True)
class Limits:
    """Caps against decompression bombs and hostile archives."""

    max_total_bytes: int = 512 * 1024 * 1024
    max_files: int = 20_000
    max_file_bytes: int = 64 * 1024 * 1024
    max_ratio: float = 200.0  # uncompressed / compressed, for the whole archive
