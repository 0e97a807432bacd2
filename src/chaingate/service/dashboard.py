"""The dashboard: server-rendered pages (Jinja2, inline SVG from charts.py, no JavaScript).

Login takes an API token at a form (or the `Authorization` header on any page); the
session cookie (signed, HttpOnly, SameSite=Strict) keeps the token's hash, checked again
on every request, never the token. Every form carries the session's CSRF token."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.middleware.sessions import SessionMiddleware

from chaingate.service import projects
from chaingate.service.auth import Principal, authenticate, token_hash
from chaingate.service.files import ProjectFilesError
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import (
    SvcEvaluation,
    SvcFinding,
    SvcProjectPackage,
    SvcToken,
)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
SEVERITIES = ("critical", "high", "medium", "low", "info")


class _LoginNeeded(Exception):
    pass


def _who(rt: Runtime, request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        who = authenticate(rt.db, header[7:].strip(), rt.settings.admin_token)
        if who is not None:
            return who
    kept = request.session.get("who")
    if isinstance(kept, dict):
        h = str(kept.get("hash", ""))
        admin = rt.settings.admin_token
        if admin and hmac.compare_digest(h, token_hash(admin)):
            return Principal("admin", False)
        with Session(rt.db) as s:
            row = s.scalars(select(SvcToken).where(SvcToken.token_hash == h)).first()
        if row is not None:
            return Principal(row.name, row.read_only)
    raise _LoginNeeded


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def _check_csrf(request: Request, sent: str) -> None:
    kept = request.session.get("csrf")
    if not isinstance(kept, str) or not hmac.compare_digest(kept, sent):
        raise HTTPException(403, "CSRF token missing or wrong: reload the page")


def mount(app: FastAPI, rt: Runtime) -> None:
    assert rt.settings.session_secret
    app.add_middleware(
        SessionMiddleware, secret_key=rt.settings.session_secret,
        session_cookie="chaingate_session", max_age=8 * 3600, same_site="strict",
    )  # fmt: skip

    @app.exception_handler(_LoginNeeded)
    async def login_needed(request: Request, _: _LoginNeeded) -> Response:
        return RedirectResponse("/login", status_code=303)

    def page(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request, name, {"csrf": _csrf(request), "severities": SEVERITIES, **ctx},
            status_code=status,
        )  # fmt: skip

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(request, "login.html")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, token: str = Form(...), csrf: str = Form(...)) -> Response:
        _check_csrf(request, csrf)
        who = authenticate(rt.db, token.strip(), rt.settings.admin_token)
        if who is None:
            return page(request, "login.html", 401, error="That token is not valid.")
        request.session.clear()
        request.session["who"] = {"name": who.name, "hash": token_hash(token.strip())}
        return RedirectResponse("/", status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form(...)) -> Response:
        _check_csrf(request, csrf)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        who = _who(rt, request)
        return page(request, "projects.html", who=who, projects=projects.listing(rt))

    @app.get("/projects/new", include_in_schema=False, response_class=HTMLResponse)
    def new_form(request: Request) -> HTMLResponse:
        who = _who(rt, request)
        return page(request, "new.html", who=who, form={"file": "requirements.txt"})

    @app.post("/projects/new", include_in_schema=False)
    def new(
        request: Request, name: str = Form(...), file: str = Form(...),
        content: str = Form(...), csrf: str = Form(...),
    ) -> Response:  # fmt: skip
        who = _who(rt, request)
        _check_csrf(request, csrf)
        if who.read_only:
            raise HTTPException(403, f"token {who.name!r} is read-only")
        form = {"name": name, "file": file, "content": content}
        try:
            pid = projects.create(rt, name.strip()[:256] or "project", {file.strip(): content})
        except ProjectFilesError as exc:
            return page(request, "new.html", 422, who=who, form=form, error=f"chaingate: {exc}")
        return RedirectResponse(f"/projects/{pid}", status_code=303)

    @app.get("/projects/{project_id}", include_in_schema=False, response_class=HTMLResponse)
    def project(request: Request, project_id: int) -> HTMLResponse:
        from chaingate.service.charts import exposure

        who = _who(rt, request)
        doc = projects.latest(rt, project_id)
        if doc is None:
            raise HTTPException(404, "no such project")
        with Session(rt.db) as s:
            findings = list(s.scalars(
                select(SvcFinding).where(SvcFinding.project_id == project_id)
                .order_by(SvcFinding.is_open.desc(), SvcFinding.opened_at.desc())
            ))  # fmt: skip
            points = [
                (e.evaluated_at, e.principals, sum(e.counts.values()))
                for e in s.scalars(
                    select(SvcEvaluation).where(SvcEvaluation.project_id == project_id)
                )
            ]
        return page(request, "project.html", who=who, doc=doc, findings=findings,
                    picture=_picture(doc), chart=exposure(points))  # fmt: skip

    @app.get("/projects/{project_id}/timeline/{ecosystem}/{name}", include_in_schema=False,
             response_class=HTMLResponse)  # fmt: skip
    def timeline(request: Request, project_id: int, ecosystem: str, name: str) -> HTMLResponse:
        from chaingate.core.refs import PackageRef
        from chaingate.service.charts import release_timeline

        who = _who(rt, request)
        with Session(rt.db) as s:
            in_use = {
                v for v in s.scalars(select(SvcProjectPackage.version).where(
                    SvcProjectPackage.project_id == project_id,
                    SvcProjectPackage.ecosystem == ecosystem, SvcProjectPackage.name == name))
                if v is not None
            }  # fmt: skip
        if not in_use:
            raise HTTPException(404, "the project does not use that package")
        ref = PackageRef(ecosystem, name)
        fetched = rt.engine.fetch([ref])
        facts = fetched.facts.get(ref)
        chart = release_timeline(facts.releases if facts else (), in_use)
        return page(request, "timeline.html", who=who, project_id=project_id, ref=ref,
                    facts=facts, chart=chart, in_use=sorted(in_use),
                    unavailable=fetched.incomplete.get(ref))  # fmt: skip

    @app.get("/alerts", include_in_schema=False, response_class=HTMLResponse)
    def alerts_page(request: Request) -> HTMLResponse:
        from chaingate.service.api import alerts

        who = _who(rt, request)
        return page(request, "alerts.html", who=who, alerts=alerts(rt, None, None, 200))


def _picture(doc: dict[str, Any]) -> dict[str, Any]:
    """Whom the project trusts, from its scan document: accounts, organisations, email
    domains, and how concentrated the trust is (the top account's share of packages)."""
    maintainers = doc.get("maintainers") or []
    packages = len(doc.get("packages") or []) or 1
    top = maintainers[0] if maintainers else None
    share = round(100 * len(top["packages"]) / packages) if top else 0
    return {
        "maintainers": maintainers,
        "organizations": doc.get("organizations") or [],
        "domains": doc.get("email_domains") or [],
        "concentration": {"account": top["account"] if top else None, "share": share},
    }
