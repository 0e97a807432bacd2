"""Domain answers kept for a TTL, beside the HTTP cache, so a warm re-scan sends no DNS or
RDAP query at all.

Only answers from runs where both DNS and RDAP passed their canaries are kept: an answer
made while a source could not be believed is not an answer, and the next run asks again
(an unreachable source fails in milliseconds here, a dead server costs its timeout). The
store keeps every lookup as history; this file is only the fast path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from chaingate.intel.interface import DomainFacts

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(dict[str, DomainFacts])


class DomainCache:
    def __init__(self, cache_dir: Path | None, ttl: timedelta) -> None:
        self.path = cache_dir / "domains.msgpack" if cache_dir else None
        self.ttl = ttl

    def _load(self) -> dict[str, DomainFacts]:
        if self.path is None:
            return {}
        try:
            return _decoder.decode(self.path.read_bytes())
        except (OSError, msgspec.DecodeError):
            return {}

    def fresh(self, domains: Iterable[str], now: datetime) -> dict[str, DomainFacts]:
        """The cached answers for `domains` checked less than the TTL before `now`."""
        stored = self._load()
        return {
            d: stored[d]
            for d in domains
            if d in stored and now - self.ttl < stored[d].checked_at <= now
        }

    def put(self, facts: Iterable[DomainFacts]) -> None:
        if self.path is None:
            return
        stored = self._load()
        stored.update({f.domain: f for f in facts})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(_encoder.encode(stored))
            os.replace(tmp, self.path)
        except OSError:
            pass  # without the cache the next run asks again
