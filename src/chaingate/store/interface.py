"""What the store hands to the signals; importable without the database machinery."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import msgspec

from chaingate.core.errors import ChaingateError
from chaingate.core.facts import Account, ProjectFacts

if TYPE_CHECKING:
    from chaingate.facts.intel.interface import DomainFacts


class TagSeen(msgspec.Struct, frozen=True):
    """What a git tag pointed at when last observed: `commit`, seen from `since` (ISO 8601),
    and `replaced`, the commit it pointed at before that, when it was seen to move."""

    commit: str
    since: str
    replaced: str | None = None
    replaced_since: str | None = None


class Observation(msgspec.Struct, frozen=True):
    """The most recent stored view of a project, as the signals need it."""

    name: str
    observed_at: datetime
    last_seen_at: datetime
    owners: tuple[Account, ...] | None  # None: the index published no ownership then
    organization: str | None
    emails: tuple[str, ...]
    latest_version: str | None
    # tag -> what it pointed at when last observed (GitHub Actions, pre-commit hooks)
    tags: dict[str, TagSeen] = msgspec.field(default_factory=dict)


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
    """What a scan reads from and writes to the store: `store.db.Store`, or `store.lazy.
    LazyStore`, which opens one only when asked something it cannot answer itself."""

    def latest(self, ecosystem: str, names: Iterable[str]) -> dict[str, Observation]: ...

    def observed(
        self, ecosystem: str, names: Iterable[str], until: datetime
    ) -> dict[str, tuple[Observation, Observation | None]]:
        """For `--as-of`: each name's last observation at or before `until`, and the one
        before it."""
        ...

    def email_first_seen(
        self, ecosystem: str, names: Iterable[str], until: datetime | None = None
    ) -> dict[str, datetime]: ...

    def domains(self, domains: Iterable[str], fresh_after: datetime) -> dict[str, DomainFacts]: ...

    def record_domains(self, facts: Iterable[DomainFacts]) -> None: ...

    def record(self, facts: Sequence[ProjectFacts], now: datetime) -> None: ...

    def record_scan(self, run: ScanRecord) -> None: ...

    def holds(self, hashes: Mapping[str, str]) -> bool:
        """Whether the store's latest observations are exactly these (project key ->
        `content_hash`): a scan that made no new observation then has nothing to compare
        and nothing to record."""
        ...

    def held(self, hashes: Mapping[str, str]) -> None:
        """Remember that the store now holds these (after a scan recorded them)."""
        ...

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
    if facts.refs:  # (only then: the hashes of ecosystems without refs stay as they were)
        doc["refs"] = sorted([r.ref, r.kind, r.commit] for r in facts.refs)
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
