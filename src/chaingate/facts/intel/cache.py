"""Domain answers kept for a TTL, beside the HTTP cache, so a warm re-scan sends no DNS or
RDAP query at all.

Only answers from runs where both DNS and RDAP passed their canaries are kept: an answer
made while a source could not be believed is not an answer, and the next run asks again
(an unreachable source fails in milliseconds here, a dead server costs its timeout). The
store keeps the same answers with their time (history, and the TTL source when this file
lacks them); this file is the fast path that spares a warm scan the database. It is sealed
with its SHA-256: a file changed on disk since is not believed, and the domains are asked
again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import msgspec

from chaingate.facts.intel.interface import DomainFacts
from chaingate.net.atomic import seal, unseal, write_atomic

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
            data = unseal(self.path.read_bytes())  # None: changed on disk since written
            return {} if data is None else _decoder.decode(data)
        except (OSError, msgspec.DecodeError, RecursionError):
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
        write_atomic(self.path, seal(_encoder.encode(stored)))


class SourceMemo:
    """A source (DNS resolver, RDAP bootstrap) found unavailable is not asked again for a
    few minutes: it is reported unavailable with the reason and the time it was checked.
    Without this, every warm scan on a machine whose resolver denies gmail.com would repeat
    the canaries and the bootstrap's retries."""

    RECHECK = timedelta(minutes=10)

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / "domain-sources.json" if cache_dir else None

    def _load(self) -> dict[str, dict[str, str]]:
        if self.path is None:
            return {}
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def unavailable(self, source: str, key: str, now: datetime) -> str | None:
        """The remembered reason `source` (configured as `key`) is unavailable, if recent."""
        entry = self._load().get(source)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        try:
            checked = datetime.fromisoformat(entry["checked_at"])
            if not checked <= now < checked + self.RECHECK:  # (naive: TypeError)
                return None
        except (KeyError, ValueError, TypeError, OverflowError):
            return None
        return f"{entry.get('reason', '')} (checked {checked:%H:%M} UTC; asked again after 10 min)"

    def remember(self, source: str, key: str, reason: str | None, now: datetime) -> None:
        """Record `reason` for an unavailable source, or forget it when `reason` is None."""
        if self.path is None:
            return
        doc = self._load()
        if reason is None:
            if doc.pop(source, None) is None:
                return
        else:
            doc[source] = {"key": key, "reason": reason, "checked_at": now.isoformat()}
        write_atomic(self.path, json.dumps(doc).encode())


class HostMemo:
    """Host -> registrable domain answers from earlier runs (the suffix list costs 0.1 s to
    load; the answers for a tree's few dozen hosts cost nothing to keep)."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / "domain-hosts.json" if cache_dir else None

    def load(self) -> dict[str, str | None]:
        if self.path is None:
            return {}
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(doc, dict):
            return {}
        return {k: v for k, v in doc.items() if v is None or isinstance(v, str)}

    def save(self, mapping: dict[str, str | None]) -> None:
        write_atomic(self.path, json.dumps(mapping, sort_keys=True).encode())
