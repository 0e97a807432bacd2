"""A local PyPI for tests: real HTTP on 127.0.0.1 serving recorded documents.

Tests talk to it over sockets exactly as chaingate talks to pypi.org -- no monkeypatching:

    with PyPIServer({"six": six_json_bytes}) as pypi:
        httpx.get(f"{pypi.url}/pypi/six/json")          # the recorded bytes
        httpx.get(f"{pypi.url}/simple/six/")            # PEP 503 HTML, relative links
        pypi.script("/pypi/six/json", [Status(503), Delay(5)])  # then normal again
        assert pypi.hits["/pypi/six/json"] == 1

Routes: `GET|HEAD /pypi/<name>/json`, `/simple/`, `/simple/<name>/` (HTML, or PEP 691 JSON when
`Accept` prefers `application/vnd.pypi.simple.v1+json`), `/files/<filename>`. Names are
normalised per PEP 503; unknown names and files answer 404 with an empty body.

HTTP caching is real: every 200 carries an `ETag` (hash of the body) and `Last-Modified`, and
`If-None-Match` / `If-Modified-Since` are answered with 304. Set `.validators = False` to
behave like the pypi.org mirror this project can reach (no validators, conditionals ignored);
set `.max_age = N` to send `Cache-Control: max-age=N`. JSON and HTML bodies are gzip-encoded
when the client accepts it, as pypi.org does; `/files/` bodies never are.

Faults are scripted per exact request path (query string excluded): `.script(path, [...])`
queues one item per request, after which the path is served normally; `.always(path, item)`
applies to every request once the script is used up. The fault classes, their scripting and the
server's lifecycle live in tests/serverkit.py, shared with tests/rdapserver.py.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import gzip
import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from packaging.utils import canonicalize_name

from tests.serverkit import (
    BackgroundHTTPServer,
    BadJSON,
    Delay,
    Disconnect,
    Fault,
    NotFound,
    Redirect,
    ScriptedFaults,
    ScriptedHandler,
    Status,
    Truncated,
)

__all__ = [
    "PEP691_HTML",
    "PEP691_JSON",
    "BadJSON",
    "Delay",
    "Disconnect",
    "Fault",
    "NotFound",
    "PageExtras",
    "PyPIServer",
    "Redirect",
    "Status",
    "Truncated",
    "recorded_documents",
    "replay_documents",
]

PEP691_JSON = "application/vnd.pypi.simple.v1+json"
PEP691_HTML = "application/vnd.pypi.simple.v1+html"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def recorded_documents() -> dict[str, bytes]:
    """The documents recorded from pypi.org (fixtures/pypi/<name>.json.gz), by name."""
    return dict(_recorded())


def replay_documents() -> dict[str, bytes]:
    """The reconstructed incident documents (fixtures/pypi/replay/<name>.json), by name.

    Earlier states of a project live under fixtures/pypi/replay/timeline/<name>/.
    """
    return dict(_replays())


@functools.cache
def _recorded() -> dict[str, bytes]:
    return {
        path.name.removesuffix(".json.gz"): gzip.decompress(path.read_bytes())
        for path in sorted((FIXTURES / "pypi").glob("*.json.gz"))
    }


@functools.cache
def _replays() -> dict[str, bytes]:
    return {
        path.stem: path.read_bytes()
        for path in sorted((FIXTURES / "pypi" / "replay").glob("*.json"))
    }


# --- the server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    body: bytes
    content_type: str
    last_modified: datetime
    compressible: bool
    serial: int | None = None


class PyPIServer(ScriptedFaults, BackgroundHTTPServer):
    """A PyPI-compatible HTTP server on 127.0.0.1 (random port) in a background thread."""

    def __init__(self, documents: Mapping[str, bytes] | None = None) -> None:
        super().__init__()
        self.validators = True
        self.simple_json = True  # False: simple pages in HTML whatever the client prefers
        self.max_age: int | None = None
        self._projects: dict[str, tuple[bytes, datetime]] = {}
        self._versions: dict[tuple[str, str], tuple[bytes, datetime]] = {}
        self._files: dict[str, tuple[bytes, datetime]] = {}
        self._page_extras: dict[str, PageExtras] = {}
        self._documents: dict[str, bytes] = {}
        # PyPI's XML-RPC changelog at POST /pypi, when a test sets it to a list of
        # (name, version, timestamp, action, serial); None: no XML-RPC (404), as on the
        # pypi.org mirror these machines reach.
        self.changelog: list[tuple[str, str | None, int, str, int]] | None = None
        for name, body in (documents or {}).items():
            self.add_project(name, body)

    # -- lifecycle (start, close, url: BackgroundHTTPServer)

    def _handler(self) -> type[_Handler]:
        return _Handler

    @property
    def index_url(self) -> str:
        """The simple index, as pip's --index-url wants it."""
        return f"{self.url}/simple/"

    # -- content

    def add_project(
        self, name: str, json_bytes: bytes, last_modified: datetime | None = None
    ) -> None:
        """Serve `json_bytes` verbatim at /pypi/<name>/json and derive /simple/<name>/ from it.

        `Last-Modified` defaults to the newest upload time in the document; replacing a
        document with different bytes moves it forward (to now, and at least one second), so
        `If-Modified-Since` never hides a change such as a new owner.
        """
        key = canonicalize_name(name)
        with self._lock:
            previous = self._projects.get(key)
            if last_modified is None:
                last_modified = _next_modified(previous, json_bytes)
            self._projects[key] = (json_bytes, last_modified)

    def add_version(self, name: str, version: str, json_bytes: bytes) -> None:
        """Serve `json_bytes` at /pypi/<name>/<version>/json (PyPI's per-version document,
        which the pypi.org mirror on these machines does not serve)."""
        with self._lock:
            self._versions[(canonicalize_name(name), version)] = (json_bytes, datetime.now(UTC))

    def set_page(self, name: str, extras: PageExtras) -> None:
        """Serve `name`'s simple pages with a PEP 792 status and PEP 740 provenance URLs,
        as PyPI does (api-version 1.4: `project-status`, each file's `provenance`; HTML:
        `pypi:project-status` meta tags and `data-provenance`)."""
        with self._lock:
            self._page_extras[canonicalize_name(name)] = extras

    def add_document(self, path: str, body: bytes) -> None:
        """Serve `body` as JSON at exactly `path` (e.g. the Integrity API's
        /integrity/<project>/<version>/<filename>/provenance)."""
        with self._lock:
            self._documents[path] = body

    def remove_project(self, name: str) -> None:
        with self._lock:
            self._projects.pop(canonicalize_name(name), None)

    def add_file(self, filename: str, data: bytes, last_modified: datetime | None = None) -> None:
        """Serve `data` at /files/<filename> (the target of the simple pages' links)."""
        with self._lock:
            previous = self._files.get(filename)
            if last_modified is None:
                last_modified = _next_modified(previous, data, first=datetime.now(UTC))
            self._files[filename] = (data, last_modified)

    def _resolve(self, path: str, query: str, accept: str) -> _Resource | str | None:
        """The resource at `path`, a redirect target (str), or None for 404."""
        parts = path.split("/")
        with self._lock:
            projects = dict(self._projects)
            files = dict(self._files)
            extras = dict(self._page_extras)
            document = self._documents.get(path)
        if document is not None:
            return _Resource(document, "application/json", datetime.now(UTC), compressible=True)
        # /pypi/<name>/<version>/json
        if len(parts) == 5 and parts[1] == "pypi" and parts[4] == "json":
            with self._lock:
                found = self._versions.get((canonicalize_name(parts[2]), parts[3]))
            if found is None:
                return None
            return _Resource(found[0], "application/json", found[1], compressible=True, serial=0)
        # /pypi/<name>/json
        if len(parts) == 4 and parts[1] == "pypi" and parts[3] == "json":
            entry = projects.get(canonicalize_name(parts[2]))
            if entry is None:
                return None
            body, modified = entry
            return _Resource(
                body, "application/json", modified, compressible=True, serial=_serial(_parse(body))
            )
        if path == "/simple":
            return "/simple/"
        if path == "/simple/":
            return self._root_index(projects, _negotiate(accept, query))
        # /simple/<name>/
        if len(parts) in (3, 4) and parts[1] == "simple" and parts[2]:
            if len(parts) == 3:
                return path + "/"
            if parts[3]:
                return None
            entry = projects.get(canonicalize_name(parts[2]))
            if entry is None:
                return None
            body, modified = entry
            doc = _parse(body)
            if doc is None:
                return None
            content_type = _negotiate(accept, query) if self.simple_json else "text/html"
            key = canonicalize_name(parts[2])
            page = _project_page(key, doc, content_type, extras.get(key))
            return _Resource(page, content_type, modified, compressible=True, serial=_serial(doc))
        if path.startswith("/files/"):
            found = files.get(path.removeprefix("/files/"))
            if found is None:
                return None
            data, modified = found
            return _Resource(data, "application/octet-stream", modified, compressible=False)
        return None

    @staticmethod
    def _root_index(projects: Mapping[str, Any], content_type: str) -> _Resource:
        names = sorted(projects)
        if content_type == PEP691_JSON:
            doc = {
                "meta": {"api-version": "1.1"},
                "projects": [{"name": n} for n in names],
            }
            body = json.dumps(doc).encode()
        else:
            links = "".join(f'    <a href="{n}/">{n}</a>\n' for n in names)
            body = _html_page("Simple index", links).encode()
        return _Resource(body, content_type, datetime.now(UTC), compressible=True)


# --- simple pages --------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _parse(body: bytes) -> dict[str, Any] | None:
    """The document as JSON (cached: every request needs its serial and upload times)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):  # served as it is: chaingate must cope
        return None
    return doc if isinstance(doc, dict) else None


def _serial(doc: dict[str, Any] | None) -> int | None:
    serial = (doc or {}).get("last_serial")
    return serial if isinstance(serial, int) else None


def _files(doc: dict[str, Any]) -> list[dict[str, Any]]:
    releases = doc.get("releases") or {}
    files = [f for version_files in releases.values() for f in version_files]
    return sorted(files, key=lambda f: str(f.get("filename")))


def _next_modified(
    previous: tuple[bytes, datetime] | None, body: bytes, first: datetime | None = None
) -> datetime:
    """Last-Modified for `body`: unchanged if the bytes are, else strictly later than before."""
    if previous is None:
        return first or _newest_upload(_parse(body))
    old_body, old_modified = previous
    if old_body == body:
        return old_modified
    now = datetime.now(UTC).replace(microsecond=0)
    return max(now, old_modified.replace(microsecond=0) + timedelta(seconds=1))


def _newest_upload(doc: dict[str, Any] | None) -> datetime:
    times = [
        datetime.fromisoformat(f["upload_time_iso_8601"].replace("Z", "+00:00"))
        for f in _files(doc or {})
        if f.get("upload_time_iso_8601")
    ]
    return max(times, default=datetime(2000, 1, 1, tzinfo=UTC))


def _yanked(file: dict[str, Any]) -> bool | str:
    if not file.get("yanked"):
        return False
    return file.get("yanked_reason") or True


@dataclass(frozen=True)
class PageExtras:
    """What PyPI's simple pages say beyond the files: a PEP 792 status (and reason), and
    PEP 740 provenance URLs by filename (`provenance` given: every file carries the key,
    null where the file has none, as on pypi.org)."""

    status: str | None = None
    reason: str | None = None
    provenance: Mapping[str, str] | None = None
    # PEP 658/714: filename -> sha256 of its metadata file (served with add_file(f + ".metadata"))
    core_metadata: Mapping[str, str] | None = None


def _project_page(
    name: str, doc: dict[str, Any], content_type: str, extras: PageExtras | None = None
) -> bytes:
    """PEP 503 HTML or PEP 691 JSON for one project; links are relative: ../../files/<f>."""
    files = [f for f in _files(doc) if isinstance(f.get("filename"), str)]
    extras = extras or PageExtras()
    prov = extras.provenance
    if content_type == PEP691_JSON:
        page: dict[str, Any] = {
            "meta": {"api-version": "1.1", "_last-serial": str(doc.get("last_serial", ""))},
            "name": name,
            "files": [
                {
                    "filename": f["filename"],
                    "url": f"../../files/{quote(f['filename'])}",
                    "hashes": {"sha256": f["digests"]["sha256"]},
                    "requires-python": f.get("requires_python"),
                    "size": f.get("size"),
                    "upload-time": f.get("upload_time_iso_8601"),
                    "yanked": _yanked(f),
                }
                for f in files
            ],
            "versions": sorted(doc.get("releases") or {}),
        }
        if prov is not None:
            page["meta"]["api-version"] = "1.4"
            for entry in page["files"]:
                entry["provenance"] = prov.get(entry["filename"])
        for entry in page["files"]:
            if extras.core_metadata and entry["filename"] in extras.core_metadata:
                entry["core-metadata"] = {"sha256": extras.core_metadata[entry["filename"]]}
        if extras.status is not None:
            page["meta"]["api-version"] = "1.4"
            page["project-status"] = {"status": extras.status}
            if extras.reason is not None:
                page["project-status"]["reason"] = extras.reason
        return json.dumps(page).encode()
    links = []
    for f in files:
        attrs = f'href="../../files/{quote(f["filename"])}#sha256={f["digests"]["sha256"]}"'
        if f.get("requires_python"):
            attrs += f' data-requires-python="{html.escape(f["requires_python"])}"'
        yanked = _yanked(f)
        if yanked is not False:
            reason = "" if yanked is True else html.escape(str(yanked))
            attrs += f' data-yanked="{reason}"'
        if prov is not None and prov.get(f["filename"]):
            attrs += f' data-provenance="{html.escape(prov[f["filename"]])}"'
        if extras.core_metadata and f["filename"] in extras.core_metadata:
            attrs += f' data-core-metadata="sha256={extras.core_metadata[f["filename"]]}"'
        links.append(f"    <a {attrs}>{html.escape(f['filename'])}</a><br />\n")
    meta = ""
    if extras.status is not None:
        meta += f'    <meta name="pypi:project-status" content="{html.escape(extras.status)}">\n'
    if extras.reason is not None:
        meta += (
            f'    <meta name="pypi:project-status-reason" content="{html.escape(extras.reason)}">\n'
        )
    return _html_page(f"Links for {name}", "".join(links), meta).encode()


def _html_page(title: str, links: str, meta: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.1">\n'
        f"{meta}"
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{links}  </body>\n</html>\n"
    )


def _negotiate(accept: str, query: str) -> str:
    """Pick the simple-page content type the client prefers (PEP 691), HTML by default."""
    forced = parse_qs(query).get("format")
    if forced and forced[0] in (PEP691_JSON, PEP691_HTML, "text/html"):
        return forced[0]
    best, best_q = "text/html", 0.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                with contextlib.suppress(ValueError):
                    q = float(value)
        media = media.strip().lower()
        if media in (PEP691_JSON, PEP691_HTML, "text/html") and q > best_q:
            best, best_q = media, q
        elif media in ("*/*", "application/*") and q > best_q:
            best, best_q = "text/html", q
    return best


# --- HTTP ----------------------------------------------------------------------------------


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 8.8.3.2), treating the gzip variant as the same entity."""
    if header.strip() == "*":
        return True
    base = etag.removesuffix('-gz"').strip('"')
    tags = {t.strip().removeprefix("W/").strip('"').removesuffix("-gz") for t in header.split(",")}
    return base in tags


class _Handler(ScriptedHandler):
    owner: PyPIServer
    server_version = "chaingate-test-pypi/1.0"

    def _answer(self, head: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = self.owner._record(self.command, path, headers)
        if self._play(fault, head):
            return

        resource = self.owner._resolve(path, split.query, headers.get("accept", ""))
        if resource is None:
            self._send_error(404, {}, head)
            return
        if isinstance(resource, str):
            self._send(301, b"", "text/plain", {"Location": resource}, head)
            return

        body = resource.body
        if isinstance(fault, BadJSON):
            body = body[: len(body) // 2]
        gzipped = resource.compressible and _accepts_gzip(headers.get("accept-encoding", ""))
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + ('-gz"' if gzipped else '"')
        extra: dict[str, str] = {}
        if resource.compressible:
            extra["Vary"] = "Accept-Encoding, Accept"
        if resource.serial is not None:
            extra["X-PyPI-Last-Serial"] = str(resource.serial)
        if self.owner.max_age is not None:
            extra["Cache-Control"] = f"max-age={self.owner.max_age}"
        if self.owner.validators:
            extra["ETag"] = etag
            extra["Last-Modified"] = email.utils.format_datetime(
                resource.last_modified.astimezone(UTC), usegmt=True
            )
            if self._not_modified(headers, etag, resource.last_modified):
                self._send(304, None, None, extra, head=True)
                return
        if gzipped:
            body = gzip.compress(body, mtime=0)
            extra["Content-Encoding"] = "gzip"
        if isinstance(fault, Truncated):
            self._send(200, body, resource.content_type, extra, head, truncate=True)
            return
        self._send(200, body, resource.content_type, extra, head)

    def _send_error(self, code: int, extra: Mapping[str, str], head: bool) -> None:
        self._send(code, b"", "text/plain", extra, head)

    def do_POST(self) -> None:
        """XML-RPC `changelog_last_serial()` and `changelog_since_serial(n)` at /pypi."""
        import xmlrpc.client

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        log = self.owner.changelog
        self.owner._record("POST", urlsplit(self.path).path, {})
        if log is None or urlsplit(self.path).path != "/pypi":
            self._send_error(404, {}, head=False)
            return
        params, method = xmlrpc.client.loads(body)
        with self.owner._lock:
            entries = list(log)
        if method == "changelog_last_serial":
            result: Any = max((e[4] for e in entries), default=0)
        elif method == "changelog_since_serial":
            result = [list(e) for e in entries if e[4] > int(params[0])]
        else:
            self._send_error(400, {}, head=False)
            return
        answer = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=True)
        self._send(200, answer.encode(), "text/xml", {}, head=False)

    @staticmethod
    def _not_modified(headers: dict[str, str], etag: str, modified: datetime) -> bool:
        if "if-none-match" in headers:  # RFC 9110 13.2.2: it wins over If-Modified-Since
            return _etag_matches(headers["if-none-match"], etag)
        since = headers.get("if-modified-since")
        if since:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return modified.replace(microsecond=0) <= when
        return False

    def _send(
        self,
        code: int,
        body: bytes | None,
        content_type: str | None,
        extra: Mapping[str, str],
        head: bool,
        truncate: bool = False,
    ) -> None:
        self.send_response(code)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for key, value in extra.items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head or body is None:
            return
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        self.wfile.flush()


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return float(q) > 0 if q else True
            except ValueError:
                return True
    return False
