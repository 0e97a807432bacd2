"""What the store hands to the signals; importable without the database machinery."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import msgspec

from chaingate.core.errors import ChaingateError
from chaingate.core.facts import Account, ProjectFacts

if TYPE_CHECKING:
    from chaingate.facts.intel.interface import DomainFacts


class Observation(msgspec.Struct, frozen=True):
    """The most recent stored view of a project, as the signals need it."""

    name: str
    observed_at: datetime
    last_seen_at: datetime
    owners: tuple[Account, ...] | None  # None: the index published no ownership then
    organization: str | None
    emails: tuple[str, ...]
    latest_version: str | None


class ScanRecord(msgspec.Struct, frozen=True):
    """One scan, as the store's `scan_run` table keeps it."""

    started_at: datetime
    finished_at: datetime
    root: str
    index_url: str
    packages: int
    findings: int
    incomplete: int


class StoreError(ChaingateError):
    """The database could not be opened or written; the message says which and why."""


class ScanStore(Protocol):
    """What a scan reads from and writes to the store: `store.db.Store` in this process, or
    `store.worker.StoreProcess` in a child process."""

    def latest(self, ecosystem: str, names: Iterable[str]) -> dict[str, Observation]: ...

    def email_first_seen(self, ecosystem: str, names: Iterable[str]) -> dict[str, datetime]: ...

    def domains(self, domains: Iterable[str], fresh_after: datetime) -> dict[str, DomainFacts]: ...

    def record_domains(self, facts: Iterable[DomainFacts]) -> None: ...

    def record(self, facts: Sequence[ProjectFacts], now: datetime) -> None: ...

    def record_scan(self, run: ScanRecord) -> None: ...

    def close(self) -> None: ...


def default_url() -> str:
    from platformdirs import user_data_path

    path = user_data_path("chaingate", appauthor=False) / "chaingate.db"
    return f"sqlite:///{path}"


def content_hash(facts: ProjectFacts) -> str:
    """What counts as a change worth a new observation row."""
    doc = {
        "owners": sorted([a.user, a.role] for a in facts.owners) if facts.has_ownership else None,
        "organization": facts.organization,
        "emails": sorted(p.email for p in facts.people),
        "latest": facts.latest_version,
        "repository": facts.repository,
        "releases": len(facts.releases),
        "yanked": sum(r.yanked for r in facts.releases),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


class RecordedMarker:
    """Which content each project had when this database last recorded it, kept beside the
    HTTP cache (one small file per database URL).

    A scan whose documents all came fresh from the cache made no new observation of the
    registry. When the store already holds exactly that content, there is nothing to compare
    (the latest stored owners are these owners) and nothing to record, so the scan does not
    open the database at all. Any request to the registry, or any difference, opens it.
    """

    def __init__(self, cache_dir: Path | None, db_url: str) -> None:
        key = hashlib.sha256(db_url.encode()).hexdigest()[:32]
        self.path = cache_dir / "recorded" / f"{key}.json" if cache_dir else None

    def covers(self, hashes: dict[str, str]) -> bool:
        if self.path is None or not hashes:
            return False
        try:
            stored = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return False
        return isinstance(stored, dict) and all(stored.get(n) == h for n, h in hashes.items())

    def save(self, hashes: dict[str, str]) -> None:
        if self.path is None:
            return
        try:
            stored = json.loads(self.path.read_bytes())
            if not isinstance(stored, dict):
                stored = {}
        except (OSError, ValueError):
            stored = {}
        stored.update(hashes)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f"{self.path.name}.tmp")
            tmp.write_text(json.dumps(stored, sort_keys=True))
            tmp.replace(self.path)
        except OSError:
            pass  # without the marker the next scan simply opens the database
