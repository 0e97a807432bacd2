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
        # Does its simple JSON page say anything a project document does not (PEP 740
        # provenance keys, PEP 792 status)? Asked once per project only when it does.
        self.pages: bool | None = None
        if self.path is None:
            return
        try:
            doc = json.loads(self.path.read_bytes())
            if time.time() - float(doc["checked_at"]) < ttl:
                found = doc.get("version_docs")
                self.version_docs = None if found is None else bool(found)
                pages = doc.get("pages")
                self.pages = None if pages is None else bool(pages)
        except (OSError, ValueError, KeyError, TypeError, RecursionError, AttributeError):
            pass

    def remember(self, *, version_docs: bool | None = None, pages: bool | None = None) -> None:
        if version_docs is not None:
            self.version_docs = version_docs
        if pages is not None:
            self.pages = pages
        if self.path is None:
            return
        doc = {"version_docs": self.version_docs, "pages": self.pages, "checked_at": time.time()}
        write_atomic(self.path, json.dumps(doc).encode())  # private; a failure costs a probe
