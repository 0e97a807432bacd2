"""The watcher: each watched package's registry document, revalidated every poll interval.

Each package is polled every interval: one conditional request (a 304 when nothing
changed), through the engine's one fetch path; where the index serves PyPI's XML-RPC
changelog, the packages it names are polled at once (feed.py). A change is a different
hash of the package's facts (`watch_hash`). It is committed -- one `SvcChange` per
project using the package -- before any project is re-evaluated. A package the registry
could not answer for is not a change: its watch records the error and is polled again.

With an advisory source (OSV, `ServiceSettings.advisories`), each poll also asks it about
every version the projects pin of the polled packages (one querybatch per poll job,
through the engine's `advise`): the watch's hash is then two halves, the registry's and the
advisories' (`compose`), so a report published for a pin is a change though the registry
said nothing new. OSV unreachable is its own state (`UNAVAILABLE`): the projects are
re-evaluated once and show the check unavailable (their findings kept open, no alert);
when OSV answers again they are re-evaluated once more."""

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
from chaingate.facts.collect import Fetched
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import SvcChange, SvcProjectPackage, SvcWatch

ABSENT = "absent"  # the content "hash" of a package the index no longer has
HALF = 32  # hex digits of each half of a watch's hash when advisories are watched too
UNKNOWN = "?" * HALF  # advisories not asked yet (a new watch): the first poll re-evaluates
UNAVAILABLE = "!" * HALF  # the advisory source did not answer at the last poll
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def watch_hash(facts: ProjectFacts) -> str:
    """Everything the registry said about a package but when we asked: owners, people,
    every release with its yank state, vulnerabilities, project status, provenance,
    serial. (The store's `content_hash` is coarser -- a count of yanked releases, no
    vulnerabilities -- and right for history rows, not for noticing a change.)"""
    return hashlib.sha256(msgspec.json.encode(replace(facts, fetched_at=_EPOCH))).hexdigest()


def compose(registry: str, advisories: str) -> str:
    """A watch's hash with advisories watched: the registry's half and the advisories'."""
    return registry[:HALF].ljust(HALF, "-") + advisories


def advisory_half(stored: str | None) -> str:
    """The advisories' half of a stored hash (UNKNOWN when it has none)."""
    return stored[HALF:] if stored is not None and len(stored) == 2 * HALF else UNKNOWN


def _advisory_halves(rt: Runtime, s: Session, watches: Sequence[tuple[int, str, str]],
                     fetched: Fetched) -> dict[tuple[str, str], str]:  # fmt: skip
    """(ecosystem, name) -> the advisories' half for each watched package: a digest of the
    record ids the source gave for each pinned version, or UNAVAILABLE."""
    names = {(eco, name) for _, eco, name in watches}
    pins = sorted({
        PackageRef(eco, name, version) for eco, name, version in s.execute(
            select(SvcProjectPackage.ecosystem, SvcProjectPackage.name,
                   SvcProjectPackage.version)
            .where(SvcProjectPackage.name.in_(sorted(n for _, n in names))))
        if (eco, name) in names and version
    })  # fmt: skip
    rt.engine.advise(pins, fetched, rt.engine.now or datetime.now(UTC))
    status = fetched.advisory_status
    if status is None or status.status != "ok":
        return dict.fromkeys(names, UNAVAILABLE)
    ids: dict[tuple[str, str], list[tuple[str, list[str]]]] = {n: [] for n in names}
    for ref in pins:
        found = sorted(v.id for v in fetched.vulns.get(ref, ()))
        ids[(ref.ecosystem, ref.name)].append((ref.version or "", found))
    return {n: hashlib.sha256(msgspec.json.encode(v)).hexdigest()[:HALF] for n, v in ids.items()}


def poll(rt: Runtime, watch_ids: Sequence[int]) -> list[tuple[int, int]]:
    """Poll these watches now; (project id, change id) for each project to re-evaluate."""
    with Session(rt.db) as s:
        watches = [(w.id, w.ecosystem, w.name) for w in
                   s.scalars(select(SvcWatch).where(SvcWatch.id.in_(list(watch_ids))))]  # fmt: skip
    refs = [PackageRef(eco, name) for _, eco, name in watches]
    fetched = rt.engine.fetch(refs)
    watched = rt.engine.advisories is not None
    now = datetime.now(UTC)
    out: list[tuple[int, int]] = []
    with Session(rt.db) as s, s.begin():
        halves = _advisory_halves(rt, s, watches, fetched) if watched else {}
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
            if watched:
                h = compose(h, halves.get((eco, name), UNAVAILABLE))
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
