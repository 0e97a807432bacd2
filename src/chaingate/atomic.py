"""Replacing a cache file atomically: readers see the old bytes or the new, never half."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path | None, data: bytes) -> None:
    """Replace `path` with `data`; a cache that cannot be written only costs the next run,
    so an OSError is swallowed."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
