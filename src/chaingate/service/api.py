"""The JSON API under /api/v1 (FastAPI), /healthz and /metrics; the dashboard's pages are
mounted beside it (dashboard.py). Every /api/v1 call needs `Authorization: Bearer <token>`;
a read-only token is refused (403) on anything that changes state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from chaingate.service import projects
from chaingate.service.auth import Principal, authenticate
from chaingate.service.files import ProjectFilesError
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import SvcAlert, SvcDelivery, SvcProject, SvcWebhook

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
SEVERITIES = ("info", "low", "medium", "high", "critical")


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413 before any handler reads it
    (by its Content-Length, or while it streams in)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body, done = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal done
            if done:
                return await receive()
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        reply = JSONResponse(
            {"detail": f"request body over the limit of {self.limit} bytes"}, status_code=413
        )
        await reply(scope, receive, send)


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=256)
    files: dict[str, str]


class FilesIn(BaseModel):
    files: dict[str, str]


class ProjectOut(BaseModel):
    id: int
    name: str


class WebhookIn(BaseModel):
    url: str = Field(min_length=1, max_length=2048, pattern=r"^https?://")
    secret: str = Field(min_length=16, max_length=512)
    min_severity: Literal["info", "low", "medium", "high", "critical"] = "medium"
    format: Literal["json", "slack"] = "json"


class WebhookOut(BaseModel):
    id: int
    url: str
    min_severity: str
    format: str


def principal(request: Request) -> Principal:
    """Who the `Authorization: Bearer` token is (401 when none or unknown)."""
    rt: Runtime = request.app.state.rt
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    who = None
    if scheme.lower() == "bearer":
        who = authenticate(rt.db, token.strip(), rt.settings.admin_token)
    if who is None:
        raise HTTPException(
            401, "a valid `Authorization: Bearer <token>` is required",
            headers={"WWW-Authenticate": "Bearer"},
        )  # fmt: skip
    return who


def writer(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if who.read_only:
        raise HTTPException(403, f"token {who.name!r} is read-only")
    return who


Reader = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(writer)]


def create_app(rt: Runtime, background: bool = True) -> FastAPI:
    """The whole HTTP service of one process; with `background`, its lifespan runs the
    scheduler (and the in-process workers, when `rt.settings.workers`)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop: list[Callable[[], None]] = []
        if background and rt.actors is not None:
            from chaingate.service.jobs import Scheduler, start_workers

            if rt.settings.workers > 0:
                worker = start_workers(rt.actors, rt.settings.workers)
                stop.append(worker.stop)
            scheduler = Scheduler(rt)
            scheduler.start()
            stop.insert(0, scheduler.stop)
        yield
        for fn in stop:
            fn()

    app = FastAPI(
        title="chaingate",
        version="1",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )

    app.state.rt = rt

    @app.exception_handler(ProjectFilesError)
    async def bad_files(_: Request, exc: ProjectFilesError) -> JSONResponse:
        return JSONResponse({"detail": f"chaingate: {exc}"}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        try:
            with rt.db.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "error", "database": str(exc)[:200]}, 503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> PlainTextResponse:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        from chaingate.service.metrics import registry

        return PlainTextResponse(generate_latest(registry(rt)), media_type=CONTENT_TYPE_LATEST)

    @app.post("/api/v1/projects", status_code=201, response_model=ProjectOut)
    def create_project(body: ProjectIn, _: Writer) -> ProjectOut:
        return ProjectOut(id=projects.create(rt, body.name, body.files), name=body.name)

    @app.put("/api/v1/projects/{project_id}/files", status_code=204)
    def put_files(project_id: int, body: FilesIn, _: Writer) -> Response:
        if not projects.replace_files(rt, project_id, body.files):
            raise HTTPException(404, "no such project")
        return Response(status_code=204)

    @app.get("/api/v1/projects")
    def list_projects(_: Reader) -> list[dict[str, Any]]:
        return projects.listing(rt)

    @app.get("/api/v1/projects/{project_id}")
    def get_project(project_id: int, _: Reader) -> dict[str, Any]:
        found = projects.latest(rt, project_id)
        if found is None:
            raise HTTPException(404, "no such project")
        return found

    @app.delete("/api/v1/projects/{project_id}", status_code=204)
    def delete_project(project_id: int, _: Writer) -> Response:
        if not projects.remove(rt, project_id):
            raise HTTPException(404, "no such project")
        return Response(status_code=204)

    @app.post("/api/v1/webhooks", status_code=201, response_model=WebhookOut)
    def create_webhook(body: WebhookIn, _: Writer) -> WebhookOut:
        with Session(rt.db) as s, s.begin():
            hook = SvcWebhook(url=body.url, secret=body.secret, min_severity=body.min_severity,
                              format=body.format, created_at=datetime.now(UTC))  # fmt: skip
            s.add(hook)
            s.flush()
            return WebhookOut(id=hook.id, url=hook.url, min_severity=hook.min_severity,
                              format=hook.format)  # fmt: skip

    @app.get("/api/v1/webhooks", response_model=list[WebhookOut])
    def list_webhooks(_: Reader) -> list[WebhookOut]:
        with Session(rt.db) as s:
            return [
                WebhookOut(id=h.id, url=h.url, min_severity=h.min_severity, format=h.format)
                for h in s.scalars(select(SvcWebhook).order_by(SvcWebhook.id))
            ]

    @app.delete("/api/v1/webhooks/{hook_id}", status_code=204)
    def delete_webhook(hook_id: int, _: Writer) -> Response:
        with Session(rt.db) as s, s.begin():
            hook = s.get(SvcWebhook, hook_id)
            if hook is None:
                raise HTTPException(404, "no such webhook")
            s.query(SvcDelivery).filter(SvcDelivery.webhook_id == hook_id).delete()
            s.delete(hook)
        return Response(status_code=204)

    @app.get("/api/v1/alerts")
    def list_alerts(
        _: Reader,
        project: Annotated[int | None, Query()] = None,
        severity: Annotated[str | None, Query(pattern="^(info|low|medium|high|critical)$")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        return alerts(rt, project, severity, limit)

    return app


def alerts(
    rt: Runtime, project: int | None, severity: str | None, limit: int
) -> list[dict[str, Any]]:
    """Alert history, newest first, each with its deliveries' status; `severity` keeps
    that severity and above."""
    with Session(rt.db) as s:
        q = select(SvcAlert, SvcProject.name).join(SvcProject, SvcProject.id == SvcAlert.project_id)
        if project is not None:
            q = q.where(SvcAlert.project_id == project)
        if severity is not None:
            q = q.where(SvcAlert.severity.in_(SEVERITIES[SEVERITIES.index(severity) :]))
        rows = s.execute(q.order_by(SvcAlert.created_at.desc(), SvcAlert.id.desc()).limit(limit))
        out: list[dict[str, Any]] = []
        for a, name in rows.all():
            ds = s.scalars(select(SvcDelivery).where(SvcDelivery.alert_id == a.id))
            out.append(
                {
                    "id": a.id, "project": {"id": a.project_id, "name": name},
                    "signal": a.signal, "severity": a.severity,
                    "created_at": projects._iso(a.created_at), "seen_at": projects._iso(a.seen_at),
                    "finding": a.body.get("finding"),
                    "deliveries": [
                        {"webhook": d.webhook_id, "status": d.status, "attempts": d.attempts,
                         "last_error": d.last_error, "idempotency_key": d.idempotency_key,
                         "delivered_at": projects._iso(d.delivered_at)}
                        for d in ds
                    ],
                }
            )  # fmt: skip
        return out


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)
