"""What a scan learnt about the index itself, kept beside the HTTP cache."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from chaingate.net.atomic import write_atomic


class IndexMemo:
    """What a scan learnt about the index itself (does it serve per-version documents?),
    kept beside the HTTP cache for the cache's TTL, so the next scan neither repeats the
    probe nor probes a different URL depending on which document happened to arrive first."""

    def __init__(self, cache_dir: Path | None, index: str, ttl: float) -> None:
        key = hashlib.sha256(index.encode()).hexdigest()[:32]
        self.path = cache_dir / "index" / f"{key}.json" if cache_dir else None
        self.version_docs: bool | None = None
        if self.path is None:
            return
        try:
            doc = json.loads(self.path.read_bytes())
            if time.time() - float(doc["checked_at"]) < ttl:
                self.version_docs = bool(doc["version_docs"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass

    def remember(self, *, version_docs: bool) -> None:
        if self.path is None:
            return
        doc = {"version_docs": version_docs, "checked_at": time.time()}
        write_atomic(self.path, json.dumps(doc).encode())  # private; a failure costs a probe
