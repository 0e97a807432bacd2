"""Facts derived from a cached document, kept beside the HTTP cache.

A warm scan would otherwise re-read and re-decode every registry document (130 MB for a
150-package tree) to rebuild the same `ProjectFacts`. Facts are stored as msgpack under the
`body_id` of the document they came from, so they are reused exactly as long as the body
is: a changed document gets a new `body_id` and is parsed afresh. Each entry is sealed with
its SHA-256 (`atomic.seal`): one that changed on disk is ignored, and the caller downloads
and parses the document again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from chaingate import __version__
from chaingate.core.facts import ProjectFacts
from chaingate.net.atomic import seal, unseal, write_atomic

# Bump when ProjectFacts or the way it is derived from a document changes.
FORMAT = f"{__version__}/3"

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ProjectFacts)


class FactsCache:
    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, body_id: str, url: str) -> Path | None:
        if self.root is None:
            return None
        h = hashlib.sha256(f"{FORMAT}\0{url}\0{body_id}".encode()).hexdigest()
        return self.root / h[:2] / f"{h}.facts"

    def get(self, body_id: str, url: str) -> ProjectFacts | None:
        path = self._path(body_id, url)
        if path is None:
            return None
        try:
            data = unseal(path.read_bytes())
            return None if data is None else _decoder.decode(data)
        except (OSError, msgspec.DecodeError, RecursionError):
            return None  # missing, unreadable or changed: parse the document again

    def put(self, body_id: str, url: str, facts: ProjectFacts) -> None:
        # A cache that cannot be written only costs time.
        write_atomic(self._path(body_id, url), seal(_encoder.encode(facts)))
