"""The watcher: each watched package's registry document, revalidated every poll interval.

Each package is polled every interval: one conditional request (a 304 when nothing
changed), through the engine's one fetch path; where the index serves PyPI's XML-RPC
changelog, the packages it names are polled at once (feed.py). A change is a different
hash of the package's facts (`watch_hash`). It is committed -- one `SvcChange` per
project using the package -- before any project is re-evaluated. A package the registry
could not answer for is not a change: its watch records the error and is polled again.

With an advisory source (OSV, `ServiceSettings.advisories`) or the email-domain checks
(`ServiceSettings.domains`), each poll also asks the advisory source about every version
the projects pin of the polled packages (one querybatch per poll job, through the
engine's `advise`) and checks their maintainers' email domains (DNS, RDAP; an answer is
reused until its TTL expires, then asked again). The watch's hash is then two halves, the
registry's and theirs (`compose`), so a report published for a pin or a domain lapsing is
a change though the registry said nothing new. A source that could not answer is a value
of its own: the projects are re-evaluated once and show the check unavailable (their
findings kept open, no alert), the watch's `last_error` says so (`UNJUDGED`), and when the
source answers again they are re-evaluated once more."""

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
HALF = 32  # hex digits of each half of a watch's hash when advisories/domains are watched
UNKNOWN = "?" * HALF  # not asked yet (a new watch): the first poll re-evaluates
UNJUDGED = "unjudged: "  # a watch's `last_error` when its registry answered, a source not
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def watch_hash(facts: ProjectFacts) -> str:
    """Everything the registry said about a package but when we asked: owners, people,
    every release with its yank state, vulnerabilities, project status, provenance,
    serial. (The store's `content_hash` is coarser -- a count of yanked releases, no
    vulnerabilities -- and right for history rows, not for noticing a change.)"""
    return hashlib.sha256(msgspec.json.encode(replace(facts, fetched_at=_EPOCH))).hexdigest()


def compose(registry: str, intel: str) -> str:
    """A watch's hash with advisories or domains watched: the registry's half and theirs."""
    return registry[:HALF].ljust(HALF, "-") + intel


def intel_half(stored: str | None) -> str:
    """The advisories' and domains' half of a stored hash (UNKNOWN when it has none)."""
    return stored[HALF:] if stored is not None and len(stored) == 2 * HALF else UNKNOWN


class _Intel:
    """What the advisory source and the domain checks said about the polled packages: per
    (ecosystem, name) a JSON-able digest input, and the sources that could not answer."""

    def __init__(self) -> None:
        self.parts: dict[tuple[str, str], list[object]] = {}
        self.down: list[str] = []

    def half(self, key: tuple[str, str]) -> str:
        parts = self.parts.get(key, [])
        return hashlib.sha256(msgspec.json.encode(parts)).hexdigest()[:HALF]


def _intel(rt: Runtime, s: Session, watches: Sequence[tuple[int, str, str]],
           fetched: Fetched) -> _Intel:  # fmt: skip
    """Ask the advisory source about every version the projects pin of these packages (one
    querybatch, through the engine's `advise`), and the domain checks about their
    maintainers' email domains (answers younger than their TTL come from the cache: a
    domain is re-asked when its TTL expires). A source that could not answer is its own
    value, not a clean one, so it is a change once -- and once more when it is back."""
    names = {(eco, name) for _, eco, name in watches}
    out = _Intel()
    out.parts = {n: [] for n in names}
    if rt.engine.advisories is not None:
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
            out.down.append(f"known advisories unavailable: {status.reason if status else ''}")
            for n in names:
                out.parts[n].append("advisories unavailable")
        else:
            for ref in pins:
                found = sorted(v.id for v in fetched.vulns.get(ref, ()))
                out.parts[(ref.ecosystem, ref.name)].append([ref.version or "", found])
    if rt.engine.domains is not None:
        _domains(rt, fetched, out)
    return out


def _domains(rt: Runtime, fetched: Fetched, out: _Intel) -> None:
    from chaingate.facts.intel import psl
    from chaingate.facts.intel.run import check_domains

    assert rt.engine.domains is not None
    # the clock, not a pinned `now`: a TTL expires in the time the service runs
    now = datetime.now(UTC)
    report = check_domains(fetched.facts, rt.engine.http, rt.engine.domains, now, now,
                           rt.store)  # fmt: skip
    for source, check in (("dns", report.dns), ("rdap", report.rdap)):
        if check.status != "ok":
            out.down.append(f"email domains unavailable: {source}: {check.reason}")
    for ref, facts in fetched.facts.items():
        key = (ref.ecosystem, ref.name)
        if key not in out.parts:
            continue
        seen = sorted({d for p in facts.people if (d := psl.registrable_domain(p.domain))})
        out.parts[key].append([report.dns.status, report.rdap.status])
        for d in seen:
            got = report.domains.get(d)
            out.parts[key].append([d, None if got is None else replace(got, checked_at=_EPOCH)])


def poll(rt: Runtime, watch_ids: Sequence[int]) -> list[tuple[int, int]]:
    """Poll these watches now; (project id, change id) for each project to re-evaluate."""
    with Session(rt.db) as s:
        watches = [(w.id, w.ecosystem, w.name) for w in
                   s.scalars(select(SvcWatch).where(SvcWatch.id.in_(list(watch_ids))))]  # fmt: skip
    refs = [PackageRef(eco, name) for _, eco, name in watches]
    fetched = rt.engine.fetch(refs)
    watched = rt.engine.advisories is not None or rt.engine.domains is not None
    now = datetime.now(UTC)
    out: list[tuple[int, int]] = []
    with Session(rt.db) as s, s.begin():
        intel = _intel(rt, s, watches, fetched) if watched else None
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
            if intel is not None:
                h = compose(h, intel.half((eco, name)))
                w.last_error = (UNJUDGED + "; ".join(intel.down))[:1000] if intel.down else None
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
