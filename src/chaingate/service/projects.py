"""Projects in the database: create, replace files, list, read, delete. Each write also
commits a change for the project, so its (re-)evaluation survives a crash."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from chaingate.service.evaluate import drop_unused_watches
from chaingate.service.files import inventory_of
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import (
    SvcAlert,
    SvcChange,
    SvcDelivery,
    SvcEvaluation,
    SvcFinding,
    SvcProject,
    SvcProjectFile,
    SvcProjectPackage,
)


def _queue(rt: Runtime, project_id: int, change_id: int) -> None:
    if rt.actors is not None:
        rt.actors.evaluate.send(project_id, change_id)


def create(rt: Runtime, name: str, files: Mapping[str, str]) -> int:
    """A new project (files parsed first: ProjectFilesError for bad input)."""
    inventory_of(name, files, rt.settings.index_url)
    now = datetime.now(UTC)
    with Session(rt.db) as s, s.begin():
        p = SvcProject(name=name, created_at=now, updated_at=now)
        s.add(p)
        s.flush()
        s.add_all(SvcProjectFile(project_id=p.id, path=k, text=v) for k, v in files.items())
        c = SvcChange(project_id=p.id, seen_at=now)
        s.add(c)
        s.flush()
        pid, cid = p.id, c.id
    _queue(rt, pid, cid)
    return pid


def replace_files(rt: Runtime, project_id: int, files: Mapping[str, str]) -> bool:
    with Session(rt.db) as s:
        p = s.get(SvcProject, project_id)
        if p is None:
            return False
        name = p.name
    inventory_of(name, files, rt.settings.index_url)
    now = datetime.now(UTC)
    with Session(rt.db) as s, s.begin():
        p = s.get(SvcProject, project_id)
        if p is None:
            return False
        p.updated_at = now
        s.execute(delete(SvcProjectFile).where(SvcProjectFile.project_id == project_id))
        s.add_all(SvcProjectFile(project_id=project_id, path=k, text=v) for k, v in files.items())
        c = SvcChange(project_id=project_id, seen_at=now)
        s.add(c)
        s.flush()
        cid = c.id
    _queue(rt, project_id, cid)
    return True


def remove(rt: Runtime, project_id: int) -> bool:
    with Session(rt.db) as s, s.begin():
        p = s.get(SvcProject, project_id)
        if p is None:
            return False
        alerts = select(SvcAlert.id).where(SvcAlert.project_id == project_id)
        s.execute(delete(SvcDelivery).where(SvcDelivery.alert_id.in_(alerts)))
        tables = (SvcProjectFile, SvcProjectPackage, SvcEvaluation, SvcFinding, SvcAlert,
                  SvcChange)  # fmt: skip
        for table in tables:
            s.execute(delete(table).where(table.project_id == project_id))
        s.delete(p)
        drop_unused_watches(s)
    return True


def listing(rt: Runtime) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with Session(rt.db) as s:
        latest = (
            select(SvcEvaluation.project_id, func.max(SvcEvaluation.evaluated_at).label("at"))
            .group_by(SvcEvaluation.project_id)
            .subquery()
        )
        rows = s.execute(
            select(SvcProject, latest.c.at)
            .outerjoin(latest, latest.c.project_id == SvcProject.id)
            .order_by(SvcProject.id)
        ).all()
        open_counts: dict[int, dict[str, int]] = {}
        for pid, sev, n in s.execute(
            select(SvcFinding.project_id, SvcFinding.severity, func.count(SvcFinding.id))
            .where(SvcFinding.is_open)
            .group_by(SvcFinding.project_id, SvcFinding.severity)
        ):
            open_counts.setdefault(pid, {})[sev] = n
        for p, at in rows:
            out.append(
                {
                    "id": p.id,
                    "name": p.name,
                    "evaluated_at": _iso(at),
                    "open_findings": open_counts.get(p.id, {}),
                }
            )
    return out


def latest(rt: Runtime, project_id: int) -> dict[str, Any] | None:
    """The latest evaluation in the scan JSON schema plus `evaluated_at` (null, with
    `status: pending`, before the first one)."""
    with Session(rt.db) as s:
        p = s.get(SvcProject, project_id)
        if p is None:
            return None
        e = s.scalars(
            select(SvcEvaluation)
            .where(SvcEvaluation.project_id == project_id)
            .order_by(SvcEvaluation.evaluated_at.desc(), SvcEvaluation.id.desc())
            .limit(1)
        ).first()
        files = sorted(
            s.scalars(select(SvcProjectFile.path).where(SvcProjectFile.project_id == project_id))
        )
        meta = {"id": p.id, "name": p.name, "files": files}
        if e is None:
            return {**meta, "evaluated_at": None, "status": "pending"}
        return {**e.document, **meta, "evaluated_at": _iso(e.evaluated_at), "status": "evaluated"}


def _iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).isoformat()
