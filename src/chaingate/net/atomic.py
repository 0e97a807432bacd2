"""Replacing a cache file atomically: readers see the old bytes or the new, never half."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path | None, data: bytes) -> None:
    """Replace `path` with `data`; a cache that cannot be written only costs the next run,
    so an OSError is swallowed."""
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        try:
            tmp.write_bytes(data)
        except FileNotFoundError:
            # Directories are made only when missing: a cold scan writes ~300 cache files
            # into a few existing directories, and a mkdir per file cost it 0.05 s.
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
