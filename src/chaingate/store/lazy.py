"""A store opened only when it is needed, for a caller that may not need it at all.

Opening the database costs a command ~0.2 s (SQLAlchemy, the connection, the migration
check). A warm re-scan whose registry answers all came from the cache made no new
observation: when the database already holds exactly those facts (the marker file beside
the HTTP cache says so), there is nothing to compare and nothing to record, and the database
is never opened. Anything else opens it on first use. A long-lived engine (the service)
holds a `db.Store` instead, which remembers the same thing in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from chaingate.core.facts import ProjectFacts
from chaingate.store.interface import Observation, ScanRecord

if TYPE_CHECKING:
    from chaingate.facts.intel.interface import DomainFacts
    from chaingate.store.db import Store


class LazyStore:
    def __init__(self, url: str, cache_dir: Path | None) -> None:
        self.url = url
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        self._marker = cache_dir / "recorded" / f"{key}.json" if cache_dir else None
        self._store: Store | None = None

    @property
    def opened(self) -> bool:
        return self._store is not None

    def _db(self) -> Store:
        if self._store is None:
            from chaingate.store.db import Store

            self._store = Store(self.url)
        return self._store

    def latest(self, ecosystem: str, names: Iterable[str]) -> dict[str, Observation]:
        return self._db().latest(ecosystem, names)

    def email_first_seen(self, ecosystem: str, names: Iterable[str]) -> dict[str, datetime]:
        return self._db().email_first_seen(ecosystem, names)

    def domains(self, domains: Iterable[str], fresh_after: datetime) -> dict[str, DomainFacts]:
        return self._db().domains(domains, fresh_after)

    def record_domains(self, facts: Iterable[DomainFacts]) -> None:
        self._db().record_domains(facts)

    def record(self, facts: Sequence[ProjectFacts], now: datetime) -> None:
        self._db().record(facts, now)

    def record_scan(self, run: ScanRecord) -> None:
        self._db().record_scan(run)

    def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            store.close()

    def _read_marker(self) -> dict[str, str]:
        if self._marker is None:
            return {}
        try:
            stored = json.loads(self._marker.read_bytes())
        except (OSError, ValueError):
            return {}
        return stored if isinstance(stored, dict) else {}

    def holds(self, hashes: Mapping[str, str]) -> bool:
        if self._marker is None or not hashes:
            return False
        stored = self._read_marker()
        return all(stored.get(k) == h for k, h in hashes.items())

    def held(self, hashes: Mapping[str, str]) -> None:
        if self._marker is None:
            return
        stored = self._read_marker()
        stored.update(hashes)
        try:
            self._marker.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._marker.with_name(f"{self._marker.name}.tmp")
            tmp.write_text(json.dumps(stored, sort_keys=True))
            tmp.replace(self._marker)
        except OSError:
            pass  # without the marker the next scan simply opens the database
