"""The simple repository API (PEP 503 HTML, PEP 691 JSON, PEP 700 upload times).

Indexes without PyPI's JSON API (many private mirrors) still serve this. It says which files
exist, when they were uploaded (PEP 700, JSON form only) and whether they are yanked, but
nothing about owners or emails: facts built from it have `has_ownership=False`, so the owner
checks are reported unavailable rather than passed.

Links are resolved against the page's own URL, as pip does: indexes commonly serve relative
links such as `../../packages/ab/cd/pkg-1.0.tar.gz#sha256=...`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin

import msgspec
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from chaingate.core.facts import (
    ProjectFacts,
    RegistryError,
    Release,
    ReleaseFile,
    ReleaseProvenance,
)


class SimpleFile(msgspec.Struct, frozen=True):
    filename: str
    url: str  # absolute, without the hash fragment
    sha256: str | None
    upload_time: datetime | None
    yanked: bool
    yanked_reason: str | None
    provenance: str | None = None  # PEP 740: the URL of the file's provenance object


class SimplePage(msgspec.Struct, frozen=True):
    """A project page: its files, its PEP 792 status and whether the index serves PEP 740
    provenance at all (a `provenance` key on its files, even null)."""

    files: list[SimpleFile]
    status: str | None = None
    status_reason: str | None = None
    serves_provenance: bool = False


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._attrs: dict[str, str | None] | None = None
        self._text: list[str] = []
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            found = dict(attrs)
            name, content = found.get("name"), found.get("content")
            if name and content is not None:
                self.meta[name.lower()] = content
        elif tag == "a":
            self._attrs, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._attrs is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._attrs is not None:
            self.anchors.append((self._attrs, "".join(self._text).strip()))
            self._attrs = None


def parse_simple_page(body: bytes, page_url: str) -> list[SimpleFile]:
    """The files a project page lists, with absolute URLs. JSON (PEP 691) when the body is
    JSON, else HTML (PEP 503)."""
    return parse_project_page(body, page_url).files


def parse_project_page(body: bytes, page_url: str) -> SimplePage:
    """The whole project page: files, PEP 792 status, PEP 740 provenance URLs."""
    if body.lstrip().startswith(b"{"):
        return _from_json(body, page_url)
    return _from_html(body, page_url)


def _status(value: object, reason: object) -> tuple[str | None, str | None]:
    """A PEP 792 status, lower-cased; "active" (the default) is no status."""
    if not isinstance(value, str) or not value.strip() or value.strip().lower() == "active":
        return None, None
    return value.strip().lower(), reason.strip() if isinstance(reason, str) and reason else None


def _split_hash(url: str) -> tuple[str, str | None]:
    base, fragment = urldefrag(url)
    name, _, value = fragment.partition("=")
    return base, value if name == "sha256" and value else None


def _from_html(body: bytes, page_url: str) -> SimplePage:
    parser = _Links()
    try:
        parser.feed(body.decode("utf-8", errors="replace"))
    except Exception as exc:  # html.parser raises assorted errors on garbage
        raise RegistryError(f"unreadable simple page at {page_url}: {exc}") from None
    out = []
    for attrs, text in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url, sha256 = _split_hash(urljoin(page_url, href))
        filename = text or url.rsplit("/", 1)[-1]
        yanked = "data-yanked" in attrs
        prov = attrs.get("data-provenance")
        out.append(
            SimpleFile(
                filename,
                url,
                sha256,
                None,
                yanked,
                attrs.get("data-yanked") or None,
                urljoin(page_url, prov) if prov else None,
            )
        )
    status, reason = _status(
        parser.meta.get("pypi:project-status"), parser.meta.get("pypi:project-status-reason")
    )
    serves = any("data-provenance" in attrs for attrs, _ in parser.anchors)
    return SimplePage(out, status, reason, serves)


def _from_json(body: bytes, page_url: str) -> SimplePage:
    try:
        doc = json.loads(body)
        files = doc["files"]
        if not isinstance(files, list):
            raise TypeError("files is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise RegistryError(f"malformed simple JSON at {page_url}: {exc}") from None
    except RecursionError:
        raise RegistryError(f"malformed simple JSON at {page_url}: nested too deeply") from None
    out = []
    serves = False
    for f in files:
        if not isinstance(f, dict) or not f.get("filename") or not f.get("url"):
            continue
        serves = serves or "provenance" in f
        prov = f.get("provenance")
        url, frag_hash = _split_hash(urljoin(page_url, str(f["url"])))
        raw_hashes = f.get("hashes")
        hashes: dict[str, object] = raw_hashes if isinstance(raw_hashes, dict) else {}
        sha256 = hashes.get("sha256")
        uploaded = None
        if isinstance(f.get("upload-time"), str):
            try:
                uploaded = datetime.fromisoformat(f["upload-time"]).astimezone(UTC)
            except (ValueError, OverflowError):  # not a date; a year the zone shifts past
                uploaded = None
        yanked = f.get("yanked", False)
        out.append(
            SimpleFile(
                filename=str(f["filename"]),
                url=url,
                sha256=sha256 if isinstance(sha256, str) and sha256 else frag_hash,
                upload_time=uploaded,
                yanked=bool(yanked),
                yanked_reason=yanked if isinstance(yanked, str) and yanked else None,
                provenance=urljoin(page_url, prov) if isinstance(prov, str) and prov else None,
            )
        )
    # PEP 792 puts `project-status` at the project level; accept it inside `meta` too.
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    found = doc.get("project-status") or meta.get("project-status")
    if isinstance(found, dict):
        status, reason = _status(found.get("status"), found.get("reason"))
    else:
        status, reason = _status(found, None)
    return SimplePage(out, status, reason, serves)


def page_provenance(page: SimplePage) -> tuple[ReleaseProvenance, ...] | None:
    """Per release, whether any of its files is attested; None when the index serves no
    provenance at all (absence is then no evidence)."""
    if not page.serves_provenance:
        return None
    urls: dict[str, str] = {}
    for f in sorted(page.files, key=lambda f: f.filename):  # the same file every time
        version = version_of(f.filename)
        if version is not None and not urls.get(version):
            urls[version] = f.provenance or ""
    return tuple(ReleaseProvenance(v, bool(u), url=u) for v, u in urls.items())


def version_of(filename: str) -> str | None:
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def with_page(facts: ProjectFacts, page: SimplePage) -> ProjectFacts:
    """`facts` (from the project document) with what only the simple page says."""
    return msgspec.structs.replace(
        facts,
        status=page.status,
        status_reason=page.status_reason,
        provenance=page_provenance(page),
    )


def facts_from_simple(
    name: str, page: SimplePage | list[SimpleFile], *, source_url: str, fetched_at: datetime
) -> ProjectFacts:
    """What the simple API can say: releases (dated when the index gives PEP 700 upload
    times), yanked flags, the files of the latest release, the project's status and which
    releases are attested. No owners, no emails."""
    if isinstance(page, list):
        page = SimplePage(page)
    files = page.files
    by_version: dict[str, list[SimpleFile]] = defaultdict(list)
    for f in files:
        version = version_of(f.filename)
        if version is not None:
            by_version[version].append(f)
    releases = []
    for version, vfiles in by_version.items():
        times = [f.upload_time for f in vfiles if f.upload_time]
        yanked = all(f.yanked for f in vfiles)
        reason = next((f.yanked_reason for f in vfiles if f.yanked_reason), None)
        releases.append(
            Release(version, min(times) if times else None, yanked, reason if yanked else None)
        )
    versions = sorted(by_version, key=Version)
    stable = [v for v in versions if not Version(v).is_prerelease]
    latest = (stable or versions)[-1] if versions else None
    if latest is not None:
        latest_files = tuple(
            ReleaseFile(
                filename=f.filename,
                packagetype="bdist_wheel" if f.filename.endswith(".whl") else "sdist",
                upload_time=f.upload_time or fetched_at,
                sha256=f.sha256,
                size=0,
                yanked=f.yanked,
                url=f.url,
            )
            for f in by_version[latest]
        )
        releases = [
            Release(r.version, r.uploaded_at, r.yanked, r.yanked_reason, latest_files)
            if r.version == latest
            else r
            for r in releases
        ]
    far_future = datetime.max.replace(tzinfo=UTC)
    releases.sort(key=lambda r: (r.uploaded_at or far_future, Version(r.version)))
    return ProjectFacts(
        ecosystem="pypi",
        name=canonicalize_name(name),
        fetched_at=fetched_at,
        source_url=source_url,
        latest_version=latest,
        owners=(),
        organization=None,
        people=(),
        releases=tuple(releases),
        has_ownership=False,
        status=page.status,
        status_reason=page.status_reason,
        provenance=page_provenance(page),
    )
