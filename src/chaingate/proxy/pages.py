"""Simple-index project pages: read from the upstream (PEP 691 JSON or PEP 503 HTML) into
frozen values, and written for the proxy's clients in the form they asked for, with every
link pointing at the proxy.

Parsing is bounded and total: a page that is not a simple page raises `PageError` (the
proxy answers 502), a file entry it cannot read is left out (it cannot be verified, so it
is never served), and nothing on the page can name a URL the proxy will fetch from a host
other than the upstream's (`files.py` checks every file URL before fetching it).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urldefrag, urljoin

import msgspec
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

PEP691_JSON = "application/vnd.pypi.simple.v1+json"
PEP691_HTML = "application/vnd.pypi.simple.v1+html"
ACCEPT_UPSTREAM = f"{PEP691_JSON}, {PEP691_HTML};q=0.2, text/html;q=0.1"
MAX_FILES = 100_000  # more entries than any project on pypi.org has
_HASH_NAME = re.compile(r"^[a-z0-9_-]{1,20}$")
_HEX = re.compile(r"^[0-9a-fA-F]{1,128}$")
_SERIAL = re.compile(r"<!--\s*SERIAL\s+(\d{1,20})\s*-->")


class PageError(Exception):
    """The upstream's answer is not a simple-index project page."""


class FileLink(msgspec.Struct, frozen=True):
    """One file of a project page, as the upstream announced it (`url` absolute)."""

    filename: str
    url: str
    hashes: dict[str, str]
    version: str | None  # from the filename; None when it cannot be told
    requires_python: str | None = None
    yanked: bool | str = False
    core_metadata: bool | dict[str, str] = False  # PEP 658/714
    size: int | None = None
    upload_time: str | None = None  # ISO 8601, from PEP 700

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")


class ProjectPage(msgspec.Struct, frozen=True):
    """A project page: its files, its serial (`_last-serial`, or "" when not given), and its
    PEP 792 status."""

    name: str
    files: tuple[FileLink, ...]
    serial: str = ""
    status: str | None = None
    status_reason: str | None = None

    def file(self, filename: str) -> FileLink | None:
        return next((f for f in self.files if f.filename == filename), None)

    @property
    def versions(self) -> list[str]:
        return sorted({f.version for f in self.files if f.version is not None})


def version_of(filename: str) -> str | None:
    """The version a distribution's filename carries (wheel, sdist, egg), None if unknown."""
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    if filename.endswith(".egg"):
        parts = filename.removesuffix(".egg").split("-")
        return parts[1] if len(parts) >= 2 and parts[1] else None
    if filename.endswith((".tar.bz2", ".tgz")):  # old sdists: name-version.tar.bz2
        stem = filename.removesuffix(".tar.bz2").removesuffix(".tgz")
        name, _, version = stem.rpartition("-")
        return version if name and version else None
    return None


def _safe_filename(name: object) -> str | None:
    if not isinstance(name, str) or not 0 < len(name) <= 255:
        return None
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        return None
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        return None
    return name


def _hashes(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(k).lower(): str(v).lower()
        for k, v in value.items()
        if isinstance(k, str) and isinstance(v, str) and _HASH_NAME.match(k) and _HEX.match(v)
    }


def parse_page(body: bytes, url: str, name: str) -> ProjectPage:
    """The project page `body` fetched from `url` (JSON when it is a JSON object, else
    HTML); `name` is the canonical project name asked for."""
    start = body.lstrip()[:1]
    if start == b"{":
        return _parse_json(body, url, name)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PageError("the project page is neither JSON nor UTF-8 HTML") from None
    return _parse_html(text, url, name)


def _parse_json(body: bytes, url: str, name: str) -> ProjectPage:
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise PageError("the project page is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), list):
        raise PageError("the project page has no 'files' list (not PEP 691)")
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    assert isinstance(meta, dict)
    status = doc.get("project-status") if isinstance(doc.get("project-status"), dict) else {}
    assert isinstance(status, dict)
    files = []
    for entry in doc["files"][:MAX_FILES]:
        if not isinstance(entry, dict):
            continue
        filename = _safe_filename(entry.get("filename"))
        link = entry.get("url")
        if filename is None or not isinstance(link, str) or len(link) > 4096:
            continue
        metadata: bool | dict[str, str] = False
        raw = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        if raw is True or (isinstance(raw, dict) and not _hashes(raw) and not raw):
            metadata = True
        elif isinstance(raw, dict) and _hashes(raw):
            metadata = _hashes(raw)
        yanked = entry.get("yanked", False)
        size = entry.get("size")
        upload = entry.get("upload-time")
        requires = entry.get("requires-python")
        files.append(
            FileLink(
                filename=filename,
                url=urljoin(url, link),
                hashes=_hashes(entry.get("hashes")),
                version=version_of(filename),
                requires_python=requires if isinstance(requires, str) else None,
                yanked=(yanked or True) if isinstance(yanked, str) else yanked is True,
                core_metadata=metadata,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
                upload_time=upload if isinstance(upload, str) else None,
            )
        )
    serial = meta.get("_last-serial")
    reason = status.get("reason")
    return ProjectPage(
        name=name,
        files=tuple(files),
        serial=str(serial) if isinstance(serial, str | int) else "",
        status=status.get("status") if isinstance(status.get("status"), str) else None,
        status_reason=reason if isinstance(reason, str) else None,
    )


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.meta: dict[str, str] = {}
        self.serial = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and len(self.anchors) < MAX_FILES:
            self.anchors.append(dict(attrs))
        elif tag == "meta":
            got = dict(attrs)
            if got.get("name") and got.get("content") is not None:
                self.meta[str(got["name"])] = str(got["content"])

    def handle_comment(self, data: str) -> None:
        m = _SERIAL.match(f"<!--{data}-->")
        if m:
            self.serial = m.group(1)


def _metadata_attr(value: str | None) -> bool | dict[str, str]:
    if value is None:
        return False
    if value.strip().lower() == "true":
        return True
    algo, _, digest = value.partition("=")
    got = _hashes({algo.strip(): digest.strip()})
    return got or False


def _parse_html(text: str, url: str, name: str) -> ProjectPage:
    parser = _Links()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError, RecursionError):
        raise PageError("the project page is not readable HTML") from None
    files = []
    for a in parser.anchors:
        href = a.get("href")
        if not href or len(href) > 4096:
            continue
        absolute, fragment = urldefrag(urljoin(url, href))
        filename = _safe_filename(absolute.rsplit("/", 1)[-1].split("?", 1)[0])
        if filename is None:
            continue
        from urllib.parse import unquote

        filename = _safe_filename(unquote(filename))
        if filename is None:
            continue
        algo, _, digest = fragment.partition("=")
        yanked_attr = a.get("data-yanked") if "data-yanked" in a else None
        metadata = _metadata_attr(a.get("data-core-metadata", a.get("data-dist-info-metadata")))
        files.append(
            FileLink(
                filename=filename,
                url=absolute,
                hashes=_hashes({algo: digest}) if digest else {},
                version=version_of(filename),
                requires_python=a.get("data-requires-python"),
                yanked=False if "data-yanked" not in a else (yanked_attr or True),
                core_metadata=metadata,
            )
        )
    return ProjectPage(
        name=name,
        files=tuple(files),
        serial=parser.serial,
        status=parser.meta.get("pypi:project-status"),
        status_reason=parser.meta.get("pypi:project-status-reason"),
    )


# --- writing ---------------------------------------------------------------------------------


def negotiate(accept: str, query_format: str | None = None) -> str | None:
    """The page type a client prefers (PEP 691, as PyPI chooses): JSON or HTML; None when
    it accepts neither (406)."""
    if query_format in (PEP691_JSON, PEP691_HTML, "text/html"):
        return query_format
    if not accept.strip():
        return "text/html"
    best, best_q = None, 0.0
    for item in accept.split(",")[:64]:
        media, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        media = {
            "application/vnd.pypi.simple.latest+json": PEP691_JSON,
            "application/vnd.pypi.simple.latest+html": PEP691_HTML,
        }.get(media, media)
        if media in ("*/*", "text/*", "application/*"):
            media = "text/html" if media != "application/*" else PEP691_JSON
        if media in (PEP691_JSON, PEP691_HTML, "text/html") and q > best_q:
            best, best_q = media, q
    return best


def file_path(project: str, filename: str) -> str:
    """Where the proxy serves a file, relative to a project page (/simple/<project>/)."""
    return f"../../files/{quote(project)}/{quote(filename)}"


def render(page: ProjectPage, files: list[FileLink], content_type: str) -> bytes:
    """The page with only `files`, links rewritten to the proxy, in `content_type`."""
    if content_type == PEP691_JSON:
        return _render_json(page, files)
    return _render_html(page, files)


def _render_json(page: ProjectPage, files: list[FileLink]) -> bytes:
    out: list[dict[str, Any]] = []
    for f in files:
        entry: dict[str, Any] = {
            "filename": f.filename,
            "url": file_path(page.name, f.filename),
            "hashes": f.hashes,
            "requires-python": f.requires_python,
            "yanked": f.yanked,
        }
        if f.core_metadata is not False:
            entry["core-metadata"] = f.core_metadata
            entry["data-dist-info-metadata"] = f.core_metadata
        if f.size is not None:
            entry["size"] = f.size
        if f.upload_time is not None:
            entry["upload-time"] = f.upload_time
        out.append(entry)
    doc: dict[str, Any] = {
        "meta": {"api-version": "1.1", "_last-serial": page.serial},
        "name": page.name,
        "files": out,
        "versions": sorted({f.version for f in files if f.version is not None}),
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _render_html(page: ProjectPage, files: list[FileLink]) -> bytes:
    esc = html.escape
    lines = []
    for f in files:
        href = file_path(page.name, f.filename)
        if f.sha256:
            href += f"#sha256={f.sha256}"
        attrs = f'href="{esc(href)}"'
        if f.requires_python:
            attrs += f' data-requires-python="{esc(f.requires_python)}"'
        if f.yanked is not False:
            attrs += f' data-yanked="{esc("" if f.yanked is True else str(f.yanked))}"'
        if f.core_metadata is not False:
            value = (
                "true"
                if f.core_metadata is True
                else "=".join(next(iter(sorted(f.core_metadata.items()))))
            )
            attrs += f' data-core-metadata="{esc(value)}" data-dist-info-metadata="{esc(value)}"'
        lines.append(f"    <a {attrs}>{esc(f.filename)}</a><br />\n")
    title = esc(f"Links for {page.name}")
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.1">\n'
        f"    <title>{title}</title>\n  </head>\n  <body>\n    <h1>{title}</h1>\n"
        f"{''.join(lines)}  </body>\n</html>\n<!--SERIAL {esc(page.serial)}-->\n"
    ).encode()


def render_index(names: list[str], content_type: str) -> bytes:
    """The root page (/simple/): every project name, linking to the proxy's pages."""
    if content_type == PEP691_JSON:
        doc = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
        return json.dumps(doc, separators=(",", ":")).encode()
    links = "".join(
        f'    <a href="{quote(canonicalize_name(n))}/">{html.escape(n)}</a>\n' for n in names
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.1">\n'
        "    <title>Simple index</title>\n  </head>\n  <body>\n"
        f"{links}  </body>\n</html>\n"
    ).encode()


def parse_index(body: bytes) -> list[str]:
    """The project names of a root page (/simple/), JSON or HTML."""
    if body.lstrip()[:1] == b"{":
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            raise PageError("the index page is not valid JSON") from None
        projects = doc.get("projects") if isinstance(doc, dict) else None
        if not isinstance(projects, list):
            raise PageError("the index page has no 'projects' list")
        return [
            p["name"] for p in projects if isinstance(p, dict) and isinstance(p.get("name"), str)
        ]
    parser = _Links()
    try:
        parser.feed(body.decode("utf-8", "replace"))
    except (AssertionError, ValueError, RecursionError):
        raise PageError("the index page is not readable HTML") from None
    return [
        str(a.get("href") or "").strip("/").rsplit("/", 1)[-1]
        for a in parser.anchors
        if a.get("href")
    ]
