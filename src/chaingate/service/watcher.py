"""The watcher: each watched package's registry document, revalidated every poll interval.

Each package is polled every interval: one conditional request (a 304 when nothing
changed), through the engine's one fetch path; where the index serves PyPI's XML-RPC
changelog, the packages it names are polled at once (feed.py). A change is a different
hash of the package's facts (`watch_hash`). It is committed -- one `SvcChange` per
project using the package -- before any project is re-evaluated. A package the registry
could not answer for is not a change: its watch records the error and is polled again."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec
from msgspec.structs import replace
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaingate.core.facts import ProjectFacts
from chaingate.core.refs import PackageRef
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import SvcChange, SvcProjectPackage, SvcWatch

ABSENT = "absent"  # the content "hash" of a package the index no longer has
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def watch_hash(facts: ProjectFacts) -> str:
    """Everything the registry said about a package but when we asked: owners, people,
    every release with its yank state, vulnerabilities, project status, provenance,
    serial. (The store's `content_hash` is coarser -- a count of yanked releases, no
    vulnerabilities -- and right for history rows, not for noticing a change.)"""
    return hashlib.sha256(msgspec.json.encode(replace(facts, fetched_at=_EPOCH))).hexdigest()


def poll(rt: Runtime, watch_ids: Sequence[int]) -> list[tuple[int, int]]:
    """Poll these watches now; (project id, change id) for each project to re-evaluate."""
    with Session(rt.db) as s:
        watches = [(w.id, w.ecosystem, w.name) for w in
                   s.scalars(select(SvcWatch).where(SvcWatch.id.in_(list(watch_ids))))]  # fmt: skip
    refs = [PackageRef(eco, name) for _, eco, name in watches]
    fetched = rt.engine.fetch(refs)
    now = datetime.now(UTC)
    out: list[tuple[int, int]] = []
    with Session(rt.db) as s, s.begin():
        for watch_id, eco, name in watches:
            w = s.get(SvcWatch, watch_id)
            if w is None:
                continue
            ref = PackageRef(eco, name)
            w.polled_at = now
            if ref in fetched.facts:
                h = watch_hash(fetched.facts[ref])
            elif ref in fetched.not_found:
                h = ABSENT
            else:
                w.last_error = (fetched.incomplete.get(ref) or "no answer")[:1000]
                continue
            w.last_error = None
            if h == w.content_hash:
                continue
            w.content_hash, w.changed_at = h, now
            projects = sorted(set(s.scalars(
                select(SvcProjectPackage.project_id).where(
                    SvcProjectPackage.ecosystem == eco, SvcProjectPackage.name == name)
            )))  # fmt: skip
            changes = [SvcChange(ecosystem=eco, name=name, project_id=pid, seen_at=now,
                                 content_hash=h) for pid in projects]  # fmt: skip
            s.add_all(changes)
            s.flush()
            out += [(c.project_id, c.id) for c in changes if c.project_id is not None]
    return out
