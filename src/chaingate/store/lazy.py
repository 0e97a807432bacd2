"""A store opened only when it is needed, for a caller that may not need it at all.

Opening the database costs a command ~0.2 s (SQLAlchemy, the connection, the migration
check). A warm re-scan whose registry answers all came from the cache made no new
observation: when the database already holds exactly those facts (the marker file beside
the HTTP cache says so), there is nothing to compare and nothing to record, and the database
is never opened. Anything else opens it on first use.

The marker vouches only for the database file it was written against: it keeps that file's
identity (device, inode, size, modification time) as it was when this store closed it. A
database deleted, replaced, restored from a backup or written by anyone else no longer
matches, and the next scan opens it and records again; a database that is not a local
SQLite file (PostgreSQL, an in-memory one) is never vouched for. A long-lived engine (the service)
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
from chaingate.net.atomic import write_atomic
from chaingate.store.interface import Observation, ScanRecord

if TYPE_CHECKING:
    from chaingate.facts.intel.interface import DomainFacts
    from chaingate.store.db import Store


_FILE = "\0file"  # the marker's key for the database file's identity (no project key has a NUL)


class LazyStore:
    def __init__(self, url: str, cache_dir: Path | None) -> None:
        self.url = url
        key = hashlib.sha256(url.encode()).hexdigest()[:32]
        self._marker = cache_dir / "recorded" / f"{key}.json" if cache_dir else None
        self._store: Store | None = None
        self._held: dict[str, str] = {}  # written to the marker once the database is closed
        self._marker_valid = False  # whether the marker spoke of this file when it was opened

    @property
    def opened(self) -> bool:
        return self._store is not None

    def _db(self) -> Store:
        if self._store is None:
            from chaingate.store.db import Store

            identity = self._file()
            self._marker_valid = identity is not None and (
                self._read_marker().get(_FILE) == identity
            )
            self._store = Store(self.url)
        return self._store

    def latest(self, ecosystem: str, names: Iterable[str]) -> dict[str, Observation]:
        return self._db().latest(ecosystem, names)

    def observed(
        self, ecosystem: str, names: Iterable[str], until: datetime
    ) -> dict[str, tuple[Observation, Observation | None]]:
        return self._db().observed(ecosystem, names, until)

    def email_first_seen(
        self, ecosystem: str, names: Iterable[str], until: datetime | None = None
    ) -> dict[str, datetime]:
        return self._db().email_first_seen(ecosystem, names, until)

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
            store.close()  # SQLite's log is checkpointed into the file here
        if self._held:
            held, self._held = self._held, {}
            self._save(held)

    def _file(self) -> str | None:
        """The database file's identity, or None when there is no local file to vouch for."""
        prefix = "sqlite:///"
        if not self.url.startswith(prefix):
            return None
        path = self.url[len(prefix) :].split("?", 1)[0]
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        try:
            st = Path(path).expanduser().stat()
        except OSError:
            return None
        return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"

    def _read_marker(self) -> dict[str, str]:
        if self._marker is None:
            return {}
        try:
            stored = json.loads(self._marker.read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        return stored if isinstance(stored, dict) else {}

    def holds(self, hashes: Mapping[str, str]) -> bool:
        if self._marker is None or not hashes:
            return False
        identity = self._file()
        stored = self._read_marker()
        if identity is None or stored.get(_FILE) != identity:
            return False  # another database than the one the marker was written against
        return all(stored.get(k) == h for k, h in hashes.items())

    def held(self, hashes: Mapping[str, str]) -> None:
        self._held.update(hashes)

    def _save(self, hashes: Mapping[str, str]) -> None:
        identity = self._file()
        if self._marker is None or identity is None:
            return
        # What the marker said stands only if it spoke of the file this store opened (the
        # file's identity changed since with this store's own writes).
        stored = self._read_marker() if self._marker_valid else {}
        stored.update(hashes)
        stored[_FILE] = identity
        # Private, and atomic; without the marker the next scan simply opens the database.
        write_atomic(self._marker, json.dumps(stored, sort_keys=True).encode())
