"""The proxy as an ASGI application (Starlette, served by uvicorn): a PEP 503/691 simple
index in front of one upstream, offering only what the policy allows.

Routes:
  GET /simple/                      the upstream's project list
  GET /simple/<project>/            the project page, blocked versions left out (HTML or
                                    JSON by `Accept`, as PyPI does); 403 for a refused
                                    project, 503 when it cannot be judged (fail closed)
  GET /files/<project>/<filename>   a file (or its `.metadata`), verified against the digest
                                    the upstream announced; 403 for a blocked version
  GET /-/decisions?project=NAME     every version, offered or not, and why (JSON)
  GET /-/healthz, /-/metrics        liveness, Prometheus text
  GET /-/refused/<project>/<why>    where a refused page redirects: the URL an installer
                                    prints says why (pip and uv show the final URL)

Every refusal carries the reason in its body and in `X-Chaingate-Reason`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import re
import time
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from urllib.parse import quote

import msgspec
from packaging.utils import canonicalize_name
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from chaingate.net.http import FetchError
from chaingate.proxy.decisions import UNAVAILABLE, Decider, ProjectVerdict
from chaingate.proxy.files import FileCache, FileError
from chaingate.proxy.pages import (
    PEP691_JSON,
    PageError,
    ProjectPage,
    negotiate,
    render,
    render_index,
)

log = logging.getLogger("chaingate.proxy")

_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$")
MAX_TARGET = 2048  # bytes of path and query: more is refused (414)
Handler = Callable[[Request], Awaitable[Response]]


def header_safe(text: str, limit: int = 400) -> str:
    """`text` as one header value: printable ASCII only (no CR/LF can split the header)."""
    clean = "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in " ".join(text.split()))
    return clean[:limit]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120] or "refused"


class Metrics:
    """Counters for /-/metrics (Prometheus text format 0.0.4)."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()
        self.left_out = 0
        self.upstream_errors = 0
        self.page_seconds = 0.0

    def text(self, decider: Decider, files: FileCache) -> str:
        lines = [
            "# HELP chaingate_proxy_requests_total Requests answered, by route and status.",
            "# TYPE chaingate_proxy_requests_total counter",
        ]
        for (route, status), n in sorted(self.requests.items()):
            lines.append(f'chaingate_proxy_requests_total{{route="{route}",status="{status}"}} {n}')
        counters = (
            ("versions_left_out_total", self.left_out, "Versions left out of pages served."),
            ("upstream_errors_total", self.upstream_errors, "Upstream fetches that failed."),
            ("digest_mismatches_total", files.mismatches, "Files whose bytes differ from the "
             "announced sha256 (refused)."),
            ("file_downloads_total", files.downloads, "Files fetched from the upstream."),
            ("decision_hits_total", decider.hits, "Page verdicts answered from memory."),
            ("decision_misses_total", decider.misses, "Page verdicts computed."),
            ("page_seconds_total", round(self.page_seconds, 6), "Time answering pages."),
        )  # fmt: skip
        for name, value, what in counters:
            lines += [
                f"# HELP chaingate_proxy_{name} {what}",
                f"# TYPE chaingate_proxy_{name} counter",
                f"chaingate_proxy_{name} {value}",
            ]
        return "\n".join(lines) + "\n"


def _auth_ok(request: Request, secret: str) -> bool:
    """Basic auth `user:password` (the secret as given), or a bare token as the password of
    any user (pip's `https://__token__:TOKEN@host/simple/`) or as a bearer token."""
    header = request.headers.get("authorization", "")
    kind, _, value = header.partition(" ")
    if kind.lower() == "bearer":
        return hmac.compare_digest(value.strip().encode(), secret.encode())
    if kind.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    if ":" in secret:
        return hmac.compare_digest(given.encode(), secret.encode())
    return hmac.compare_digest(given.partition(":")[2].encode(), secret.encode())


class Proxy:
    """The application's state: the upstream, the files, the decider, the counters."""

    def __init__(self, decider: Decider, files: FileCache, auth: str | None = None) -> None:
        self.decider = decider
        self.files = files
        self.upstream = files.upstream
        self.auth = auth
        self.metrics = Metrics()
        self._deciding = asyncio.Lock()
        self._rendered: OrderedDict[tuple[str, str], tuple[ProjectVerdict, bytes]] = OrderedDict()
        self._refusals: OrderedDict[str, tuple[int, str]] = OrderedDict()

    # --- plumbing -----------------------------------------------------------------------------

    def route(self, name: str, handler: Handler) -> Handler:
        """`handler` behind the checks every request passes: size, method, authentication."""

        async def guarded(request: Request) -> Response:
            target = request.url.path + ("?" + request.url.query if request.url.query else "")
            if len(target.encode()) > MAX_TARGET:
                resp: Response = self.refusal(414, "request target too long")
            elif request.headers.get("content-length", "0") not in ("", "0") or (
                "transfer-encoding" in request.headers
            ):
                resp = self.refusal(413, "the proxy takes no request bodies")
            elif self.auth is not None and name != "healthz" and not _auth_ok(request, self.auth):
                resp = PlainTextResponse(
                    "authentication required\n",
                    401,
                    headers={"WWW-Authenticate": 'Basic realm="chaingate proxy"'},
                )
            else:
                resp = await handler(request)
            self.metrics.requests[(name, resp.status_code)] += 1
            return resp

        return guarded

    @staticmethod
    def refusal(status: int, reason: str) -> Response:
        return PlainTextResponse(
            f"chaingate: {reason}\n", status, headers={"X-Chaingate-Reason": header_safe(reason)}
        )

    def refuse_page(self, project: str, status: int, reason: str) -> Response:
        """A refused page: a redirect to /-/refused/<project>/<why> that answers `status`
        with the reason, so that the URL an installer prints says why."""
        self._refusals[project] = (status, reason)
        self._refusals.move_to_end(project)
        while len(self._refusals) > 4096:
            self._refusals.popitem(last=False)
        where = f"/-/refused/{quote(project)}/{_slug(reason)}"
        return RedirectResponse(
            where,
            303,
            headers={"X-Chaingate-Reason": header_safe(reason), "Cache-Control": "no-store"},
        )

    @staticmethod
    def _project(raw: str) -> str | None:
        return canonicalize_name(raw) if _NAME.match(raw) else None

    async def verdict(self, project: str) -> tuple[ProjectPage, ProjectVerdict] | Response:
        """The page and its verdict, or the response that refuses (503 fail closed, 404)."""
        try:
            got = await self.upstream.page(project)
        except FetchError as exc:
            self.metrics.upstream_errors += 1
            reason = (
                f"the upstream index {self.upstream.base} cannot be reached for {project} "
                f"({exc}); the proxy fails closed"
            )
            return self.refuse_page(project, 503, reason)
        except PageError as exc:
            self.metrics.upstream_errors += 1
            return self.refusal(502, f"the upstream's page for {project}: {exc}")
        if got is None:
            return self.refusal(
                404, f"no project {project!r} on the upstream index{self._hint(project)}"
            )
        page, serial = got
        verdict = self.decider.kept(project, serial)
        if verdict is None:
            async with self._deciding:
                verdict = self.decider.kept(project, serial)
                if verdict is None:
                    verdict = await run_in_threadpool(self.decider.decide, page, serial)
                    for v in verdict.versions.values():
                        if v.state == "warned":
                            log.warning(
                                "%s %s served with a warning: %s",
                                project,
                                v.version,
                                "; ".join(v.reasons),
                            )
        return page, verdict

    def _hint(self, project: str) -> str:
        """`; did you mean 'requests'?` for a name that looks like a popular package."""
        from chaingate.signals.typosquat import resembles

        popular = self.decider.engine.popular("pypi")
        match = resembles(project, popular) if popular is not None else None
        return f"; did you mean {match.target!r}?" if match is not None else ""

    # --- routes ---------------------------------------------------------------------------------

    async def index(self, request: Request) -> Response:
        kind = negotiate(request.headers.get("accept", ""), request.query_params.get("format"))
        if kind is None:
            return self.refusal(406, "ask for text/html or application/vnd.pypi.simple.v1+json")
        try:
            names = await self.upstream.index()
        except (FetchError, PageError) as exc:
            self.metrics.upstream_errors += 1
            return self.refusal(503, f"the upstream's project list is unavailable: {exc}")
        return Response(render_index(names, kind), media_type=kind, headers={"Vary": "Accept"})

    async def project(self, request: Request) -> Response:
        started = time.perf_counter()
        raw = request.path_params["project"]
        project = self._project(raw)
        if project is None:
            return self.refusal(404, "not a valid project name")
        if raw != project:
            return RedirectResponse(f"/simple/{project}/", 301)
        kind = negotiate(request.headers.get("accept", ""), request.query_params.get("format"))
        if kind is None:
            return self.refusal(406, "ask for text/html or application/vnd.pypi.simple.v1+json")
        got = await self.verdict(project)
        if isinstance(got, Response):
            return got
        page, verdict = got
        if verdict.refused is not None:
            return self.refuse_page(project, 403, verdict.refused)
        if verdict.unavailable is not None:
            return self.refuse_page(project, 503, verdict.unavailable)
        kept = self._rendered.get((project, kind))
        if kept is not None and kept[0] is verdict:
            body = kept[1]
        else:
            files = [f for f in page.files if verdict.offered(f.version)]
            self.metrics.left_out += len(page.files) - len(files)
            body = render(page, files, kind)
            self._rendered[(project, kind)] = (verdict, body)
            self._rendered.move_to_end((project, kind))
            while len(self._rendered) > 2048:
                self._rendered.popitem(last=False)
        self.metrics.page_seconds += time.perf_counter() - started
        return Response(
            body, media_type=kind, headers={"Vary": "Accept", "Cache-Control": "max-age=60"}
        )

    async def file(self, request: Request) -> Response:
        project = self._project(request.path_params["project"])
        filename = request.path_params["filename"]
        if project is None:
            return self.refusal(404, "not a valid project name")
        metadata = filename.endswith(".metadata")
        got = await self.verdict(project)
        if isinstance(got, Response):
            return got
        page, verdict = got
        link = page.file(filename.removesuffix(".metadata") if metadata else filename)
        if link is None:
            return self.refusal(404, f"{filename} is not a file of {project} on the upstream")
        if not verdict.offered(link.version):
            state = verdict.versions.get(link.version or "")
            unjudged = verdict.refused is None and state is not None and state.state == UNAVAILABLE
            return self.refusal(503 if unjudged else 403, verdict.why_not(link.version))
        try:
            path = await self.files.get(link, metadata=metadata)
        except FileError as exc:
            return self.refusal(exc.status, exc.reason)
        media = "text/plain" if metadata else "application/octet-stream"
        return FileResponse(
            path, media_type=media, headers={"Cache-Control": "max-age=31536000, immutable"}
        )

    async def decisions(self, request: Request) -> Response:
        raw = request.query_params.get("project", "")
        project = self._project(raw)
        if project is None:
            return self.refusal(400, "give ?project=NAME with a valid project name")
        got = await self.verdict(project)
        if isinstance(got, Response):
            verdict = self.decider.latest(project)
            if verdict is None:
                return got
        else:
            verdict = got[1]
        doc = {
            "project": verdict.project,
            "serial": verdict.serial,
            "decided_at": verdict.decided_at.isoformat(),
            "refused": verdict.refused,
            "unavailable": verdict.unavailable,
            "versions": [
                {**msgspec.to_builtins(v), "offered": verdict.offered(v.version)}
                for v in verdict.versions.values()
            ],
        }
        return JSONResponse(doc)

    async def refused(self, request: Request) -> Response:
        project = self._project(request.path_params["project"])
        kept = self._refusals.get(project or "")
        if project is None or kept is None:
            return RedirectResponse(f"/simple/{project or ''}/", 303)
        return self.refusal(*kept)

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def exposition(self, request: Request) -> Response:
        return PlainTextResponse(
            self.metrics.text(self.decider, self.files), media_type="text/plain; version=0.0.4"
        )


def create_app(proxy: Proxy, on_close: Callable[[], Awaitable[None]] | None = None) -> Starlette:
    """The ASGI application of `proxy`."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await proxy.upstream.close()
        if on_close is not None:
            await on_close()

    get = ["GET", "HEAD"]
    routes = [
        Route("/simple/", proxy.route("index", proxy.index), methods=get),
        Route("/simple/{project}/", proxy.route("page", proxy.project), methods=get),
        Route("/simple/{project}", proxy.route("page", _slash), methods=get),
        Route("/files/{project}/{filename}", proxy.route("file", proxy.file), methods=get),
        Route("/-/decisions", proxy.route("decisions", proxy.decisions), methods=get),
        Route("/-/refused/{project}/{why}", proxy.route("refused", proxy.refused), methods=get),
        Route("/-/healthz", proxy.route("healthz", proxy.healthz), methods=get),
        Route("/-/metrics", proxy.route("metrics", proxy.exposition), methods=get),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def _slash(request: Request) -> Response:
    return RedirectResponse(f"/simple/{quote(request.path_params['project'])}/", 301)


__all__ = ["PEP691_JSON", "Proxy", "create_app"]
