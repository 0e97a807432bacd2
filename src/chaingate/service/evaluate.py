"""A project's evaluation: the engine's scan of its files, findings kept over time, and an
alert (with a pending delivery per matching webhook) for each finding that opens.

Everything one evaluation changes -- the evaluation row, the findings' states, the alerts,
the deliveries and the change marked done -- is one transaction: a crash before the commit
re-evaluates (the change is still pending), a crash after it delivers (the deliveries are
pending). A finding is keyed by its signal and package version; one that goes away and
comes back opens a new generation, which is a new alert. A finding about a package the
scan could not judge (registry unreachable) is not closed: an unavailable source is not
a clean bill."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from chaingate.core.findings import Severity
from chaingate.engine.result import ScanResult
from chaingate.service.files import inventory_of
from chaingate.service.runtime import Runtime
from chaingate.service.watcher import compose, intel_half, watch_hash
from chaingate.store.service_tables import (
    SvcAlert,
    SvcChange,
    SvcDelivery,
    SvcEvaluation,
    SvcFinding,
    SvcProject,
    SvcProjectFile,
    SvcProjectPackage,
    SvcWatch,
    SvcWebhook,
)

SCHEMA = "chaingate/alert/v1"


def finding_key(f: dict[str, Any]) -> str:
    """What makes two findings (as the scan JSON shows them) of two evaluations the same
    finding: the signal and the package version, never the message (which may carry
    relative times)."""
    raw = json.dumps(
        [f["id"], f.get("ecosystem"), f.get("package"), f.get("version")], separators=(",", ":")
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def severity_rank(name: str) -> int:
    return int(Severity[name.upper()])


def evaluate(rt: Runtime, project_id: int, change_id: int | None = None) -> list[int]:
    """Evaluate one project now; the ids of the deliveries this made (pending)."""
    with Session(rt.db) as s:
        project = s.get(SvcProject, project_id)
        if project is None:  # deleted meanwhile
            _done(rt, change_id)
            return []
        files = {
            f.path: f.text
            for f in s.scalars(
                select(SvcProjectFile).where(SvcProjectFile.project_id == project_id)
            )
        }
        name = project.name
    inventory = inventory_of(name, files, rt.settings.index_url)
    with rt.scan_lock:
        result = rt.engine.scan(inventory)
    return record(rt, project_id, result, change_id)


def record(rt: Runtime, project_id: int, result: ScanResult, change_id: int | None) -> list[int]:
    from chaingate.report import ScanDocument, render

    document: dict[str, Any] = json.loads(render(ScanDocument(result), "json"))
    now = datetime.now(UTC)
    by_key = {finding_key(doc): doc for doc in document["findings"]}
    # the projects (ecosystem:name) the scan could not judge: their findings stay open
    unjudged = {f"{i.ecosystem}:{i.package}" for i in result.incomplete if i.ecosystem}
    whole_tree_unjudged = any(i.ecosystem is None for i in result.incomplete)
    counts: dict[str, int] = {}
    for doc in document["findings"]:
        counts[doc["severity"]] = counts.get(doc["severity"], 0) + 1
    with Session(rt.db) as s, s.begin():
        # one evaluation of a project at a time across workers (PostgreSQL row lock)
        project = s.scalars(
            select(SvcProject).where(SvcProject.id == project_id).with_for_update()
        ).first()
        if project is None:
            return []
        seen_at = _seen_at(s, change_id, now)
        first = (
            s.scalars(
                select(SvcEvaluation.id).where(SvcEvaluation.project_id == project_id).limit(1)
            ).first()
            is None
        )
        s.add(
            SvcEvaluation(
                project_id=project_id,
                evaluated_at=now,
                document=document,
                counts=counts,
                principals=len(result.maintainers()),
            )
        )
        existing = {
            f.key: f
            for f in s.scalars(select(SvcFinding).where(SvcFinding.project_id == project_id))
        }
        opened: list[SvcFinding] = []
        for key, doc in by_key.items():
            row = existing.get(key)
            if row is None:
                row = SvcFinding(
                    project_id=project_id, key=key, signal=doc["id"],
                    severity=doc["severity"], ref=doc.get("ref") or "(project)", data=doc,
                    generation=1,
                    is_open=True, opened_at=now, closed_at=None,
                    history=[{"at": now.isoformat(), "event": "opened"}],
                )  # fmt: skip
                s.add(row)
                opened.append(row)
            elif not row.is_open:
                row.generation += 1
                row.is_open, row.opened_at, row.closed_at = True, now, None
                row.history = [*row.history, {"at": now.isoformat(), "event": "reopened"}]
                opened.append(row)
            row.data, row.severity = doc, doc["severity"]
        for key, row in existing.items():
            if (
                row.is_open
                and key not in by_key
                and not whole_tree_unjudged
                and _project_of(row.ref) not in unjudged
                and not _source_down(row.signal, result)
            ):
                row.is_open, row.closed_at = False, now
                row.history = [*row.history, {"at": now.isoformat(), "event": "closed"}]
        deliveries: list[SvcDelivery] = []
        if not first:  # the first evaluation is the baseline, shown but not alerted
            hooks = list(s.scalars(select(SvcWebhook)))
            for row in opened:
                alert = SvcAlert(
                    project_id=project_id, finding_key=row.key, generation=row.generation,
                    signal=row.signal, severity=row.severity, created_at=now, seen_at=seen_at,
                    body={
                        "schema": SCHEMA,
                        "project": {"id": project_id, "name": project.name},
                        "finding": row.data,
                        "generation": row.generation,
                        "seen_at": seen_at.isoformat(),
                        "alerted_at": now.isoformat(),
                    },
                )  # fmt: skip
                s.add(alert)
                s.flush()
                for hook in hooks:
                    if severity_rank(row.severity) < severity_rank(hook.min_severity):
                        continue
                    d = SvcDelivery(
                        alert_id=alert.id, webhook_id=hook.id,
                        idempotency_key=hashlib.sha256(f"{alert.id}:{hook.id}:{row.key}:{row.generation}".encode()).hexdigest()[:40],
                        status="pending", attempts=0, created_at=now, next_attempt_at=now,
                        give_up_at=now + timedelta(seconds=rt.settings.give_up_after),
                    )  # fmt: skip
                    s.add(d)
                    deliveries.append(d)
        _sync_packages(s, rt, project_id, result, now)
        if change_id is not None:
            change = s.get(SvcChange, change_id)
            if change is not None and change.done_at is None:
                change.done_at = now
        s.flush()
        return [d.id for d in deliveries]


def _source_down(signal: str, result: ScanResult) -> bool:
    """Whether the source a finding of `signal` is drawn from could not answer in this
    scan (DNS or RDAP for the email-domain signals, the advisory source for the known-
    ones): its absence then says nothing, so the finding is not closed."""
    keys = ("dns", "rdap") if signal.startswith("email-domain-") else (signal,)
    return any((c := result.checks.get(k)) is not None and c.status != "ok" for k in keys)


def _seen_at(s: Session, change_id: int | None, now: datetime) -> datetime:
    if change_id is None:
        return now
    change = s.get(SvcChange, change_id)
    return now if change is None else _aware(change.seen_at)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def _project_of(ref: str) -> str:
    """`pypi:six==1.16.0` -> `pypi:six`."""
    return ref.split("==", 1)[0]


def _sync_packages(
    s: Session, rt: Runtime, project_id: int, result: ScanResult, now: datetime
) -> None:
    """The project's packages, and a watch for each with the facts just seen (so the next
    poll compares against them, not against nothing)."""
    s.execute(delete(SvcProjectPackage).where(SvcProjectPackage.project_id == project_id))
    seen: set[tuple[str, str]] = set()
    for p in result.packages:
        s.add(SvcProjectPackage(project_id=project_id, ecosystem=p.ecosystem, name=p.name,
                                version=p.version))  # fmt: skip
        seen.add((p.ecosystem, p.name))
    # due at once: the scheduler (whose --poll-interval rules, not a worker's) spaces polls
    due = now
    for eco, name in sorted(seen):
        from chaingate.core.refs import PackageRef

        facts = result.facts.get(PackageRef(eco, name))
        h = watch_hash(facts) if facts is not None else None
        watch = s.scalars(
            select(SvcWatch).where(SvcWatch.ecosystem == eco, SvcWatch.name == name)
        ).first()
        if h is not None and (rt.engine.advisories or rt.engine.domains) is not None:
            # the registry's half as just seen; the advisories' and domains' half is the
            # poll's to know (a new watch: UNKNOWN, so its first poll re-evaluates once)
            h = compose(h, intel_half(watch.content_hash if watch else None))
        if watch is None:
            s.add(SvcWatch(ecosystem=eco, name=name, content_hash=h, due_at=due))
        elif h is not None:
            watch.content_hash = h
    s.flush()
    drop_unused_watches(s)


def drop_unused_watches(s: Session) -> None:
    """Packages no project uses any more are no longer watched."""
    used = select(SvcProjectPackage.id).where(
        SvcProjectPackage.ecosystem == SvcWatch.ecosystem,
        SvcProjectPackage.name == SvcWatch.name,
    )
    s.execute(delete(SvcWatch).where(~used.exists()))


def pending_changes(rt: Runtime, older_than: float) -> Sequence[tuple[int, int]]:
    """(project id, change id) of changes seen but not yet evaluated for `older_than`
    seconds: what a crashed process left (re-evaluated at-least-once). A change is one
    project's: a package used by two projects makes two changes."""
    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    with Session(rt.db) as s:
        return [
            (c.project_id, c.id)
            for c in s.scalars(
                select(SvcChange).where(SvcChange.done_at.is_(None), SvcChange.seen_at <= cutoff)
            )
            if c.project_id is not None
        ]


def _done(rt: Runtime, change_id: int | None) -> None:
    if change_id is None:
        return
    with Session(rt.db) as s, s.begin():
        change = s.get(SvcChange, change_id)
        if change is not None and change.done_at is None:
            change.done_at = datetime.now(UTC)
