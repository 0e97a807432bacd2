"""PyPI (and PyPI-compatible indexes): where documents live and what they say.

The JSON API (`/pypi/<name>/json`) is decoded with typed msgspec structs that name only the
fields we use, so the long `description` and per-file noise are skipped while decoding
instead of being built into Python objects and thrown away; a 40 MB document costs a
fraction of what `json.loads` would.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import msgspec
from packaging.utils import canonicalize_name

from chaingate.core.facts import (
    Account,
    Person,
    ProjectFacts,
    RegistryError,
    Release,
    ReleaseFile,
    Vulnerability,
)

DEFAULT_INDEX = "https://pypi.org"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# The hosts an index keeps its files on, where its documents may redirect too.
FILE_HOSTS = {
    "pypi.org": ("files.pythonhosted.org",),
    "test.pypi.org": ("test-files.pythonhosted.org",),
}


class IndexUrls(msgspec.Struct, frozen=True):
    """An index given as its base (`https://pypi.org`) or its simple URL, the pip way
    (`https://pypi.org/simple`). `base` never ends with a slash."""

    base: str

    @classmethod
    def parse(cls, url: str) -> IndexUrls:
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "file") or not (parts.netloc or parts.path):
            raise ValueError(f"not an index URL: {url!r} (expected e.g. https://pypi.org)")
        path = parts.path.rstrip("/")
        for suffix in ("/simple", "/+simple"):
            if path.endswith(suffix):
                path = path[: -len(suffix)]
                break
        return cls(urlunsplit((parts.scheme, parts.netloc, path, "", "")))

    @property
    def simple(self) -> str:
        return f"{self.base}/simple/"

    def project_json(self, name: str) -> str:
        return f"{self.base}/pypi/{canonicalize_name(name)}/json"

    def version_json(self, name: str, version: str) -> str:
        return f"{self.base}/pypi/{canonicalize_name(name)}/{version}/json"

    def project_simple(self, name: str) -> str:
        return f"{self.base}/simple/{canonicalize_name(name)}/"

    def allows_redirect(self, source: str, target: str) -> bool:
        """Whether a document asked for at `source` may be read from `target`: the same
        host and port (http may become https, never the reverse), or the index's file
        host over https. Anything else is another server answering for the index."""
        src, dst = urlsplit(source), urlsplit(target)
        if dst.scheme not in ("http", "https") or (src.scheme == "https" != dst.scheme):
            return False
        host = (dst.hostname or "").lower()
        index_host = (urlsplit(self.base).hostname or "").lower()
        if dst.scheme == "https" and host in FILE_HOSTS.get(index_host, ()):
            return True
        if host != (src.hostname or "").lower():
            return False
        upgrade = src.scheme == "http" and dst.scheme == "https" and dst.port in (None, 443)
        return dst.port == src.port or upgrade


# --- the document, as far as we read it -------------------------------------------------

# A size or a serial past 64 bits is not a real one, and could not be cached or stored.
Count = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class _File(msgspec.Struct):
    """A file of the latest release (`urls`): everything we keep about it."""

    filename: str = ""
    packagetype: str = ""
    upload_time_iso_8601: datetime | None = None
    digests: dict[str, str] = {}
    size: Count = 0
    yanked: bool = False
    yanked_reason: str | None = None
    url: str = ""


class _HistoryFile(msgspec.Struct):
    """A file anywhere in the history: only what the release signals read."""

    upload_time_iso_8601: datetime | None = None
    yanked: bool = False
    yanked_reason: str | None = None


class _Info(msgspec.Struct):
    name: str = ""
    version: str | None = None
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    home_page: str | None = None
    project_urls: dict[str, str] | None = None


class _Vuln(msgspec.Struct):
    id: str = ""
    aliases: list[str] | None = None
    summary: str | None = None
    details: str | None = None
    fixed_in: list[str] | None = None
    link: str | None = None
    withdrawn: str | None = None


class _Role(msgspec.Struct):
    role: str = ""
    user: str = ""


class _Ownership(msgspec.Struct):
    organization: str | None = None
    roles: list[_Role] = []


class _Doc(msgspec.Struct):
    info: _Info
    releases: dict[str, list[_HistoryFile]] = {}
    urls: list[_File] = []
    vulnerabilities: list[_Vuln] = []
    last_serial: Count | None = None
    ownership: _Ownership | None = None


_decoder = msgspec.json.Decoder(_Doc)
_REPO_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sr.ht", "gitee.com")
_REPO_KEYS = re.compile(r"source|repo|code|github|gitlab", re.I)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def parse_people(info: _Info) -> tuple[Person, ...]:
    """Every address in author_email / maintainer_email (RFC 5322 lists), de-duplicated."""
    import email.utils  # (only a document being parsed needs it, never a warm scan)

    seen: set[str] = set()
    out: list[Person] = []
    for field, value, default_name in (
        ("author_email", info.author_email, info.author),
        ("maintainer_email", info.maintainer_email, info.maintainer),
    ):
        if not value:
            continue
        for name, addr in email.utils.getaddresses([value]):
            addr = addr.strip().strip("<>").lower()
            if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
                continue
            if addr in seen:
                continue
            seen.add(addr)
            out.append(Person(email=addr, name=name or default_name or None, field=field))
    return tuple(out)


def find_repository(urls: dict[str, str], home_page: str | None) -> str | None:
    """The source repository: a project URL labelled like one, else one on a forge host."""
    candidates = [u for k, u in urls.items() if _REPO_KEYS.search(k)]
    candidates += [*urls.values(), *([home_page] if home_page else [])]
    for url in candidates:
        host = urlsplit(url).netloc.lower()
        if any(host == h or host.endswith("." + h) for h in _REPO_HOSTS):
            return url.rstrip("/")
    return None


def parse_project(body: bytes, *, source_url: str, fetched_at: datetime) -> ProjectFacts:
    """Turn a `/pypi/<name>/json` document into `ProjectFacts`."""
    doc = _decode(body, source_url)
    info = doc.info
    if not info.name:
        raise RegistryError(f"document from {source_url} has no info.name")

    latest_files = tuple(
        sorted(
            (
                ReleaseFile(
                    filename=f.filename,
                    packagetype=f.packagetype,
                    upload_time=_utc(f.upload_time_iso_8601),
                    sha256=f.digests.get("sha256"),
                    size=f.size,
                    yanked=f.yanked,
                    url=f.url,
                )
                for f in doc.urls
                if f.upload_time_iso_8601 is not None
            ),
            key=lambda rf: rf.upload_time,
        )
    )
    releases: list[Release] = []
    for version, files in doc.releases.items():
        times = [_utc(f.upload_time_iso_8601) for f in files if f.upload_time_iso_8601]
        yanked = bool(files) and all(f.yanked for f in files)
        reason = None
        if yanked:
            reason = next((f.yanked_reason for f in files if f.yanked_reason), None)
        releases.append(
            Release(
                version=version,
                uploaded_at=min(times) if times else None,
                yanked=yanked,
                yanked_reason=reason,
                files=latest_files if version == info.version else (),
            )
        )
    far_future = datetime.max.replace(tzinfo=UTC)
    releases.sort(key=lambda r: (r.uploaded_at or far_future, r.version))

    own = doc.ownership
    owners = tuple(Account(user=r.user, role=r.role) for r in (own.roles if own else []) if r.user)
    urls = dict(info.project_urls or {})
    return ProjectFacts(
        ecosystem="pypi",
        name=canonicalize_name(info.name),
        fetched_at=fetched_at,
        source_url=source_url,
        latest_version=info.version,
        owners=owners,
        organization=own.organization if own else None,
        people=parse_people(info),
        releases=tuple(releases),
        project_urls=urls,
        repository=find_repository(urls, info.home_page),
        vulnerabilities=tuple(_vulns(doc.vulnerabilities)),
        last_serial=doc.last_serial,
        has_ownership=own is not None,
    )


def parse_vulnerabilities(
    body: bytes, *, source_url: str, name: str, version: str
) -> tuple[Vulnerability, ...]:
    """The `vulnerabilities` of a per-version document (`/pypi/<name>/<version>/json`), which
    must be the document of `name` `version` (its `info`): another release's are not these."""
    doc = _decode(body, source_url)
    said_name, said_version = doc.info.name, doc.info.version or ""
    if canonicalize_name(said_name) != canonicalize_name(name) or not _same_version(
        said_version, version
    ):
        raise RegistryError(
            f"{source_url} answered the document of {said_name} {said_version}, not of "
            f"{name} {version}"
        )
    return tuple(_vulns(doc.vulnerabilities))


def _decode(body: bytes, source_url: str) -> _Doc:
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise RegistryError(f"malformed JSON from {source_url}: {exc}") from None
    except RecursionError:
        raise RegistryError(f"malformed JSON from {source_url}: nested too deeply") from None


def _same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _vulns(items: list[_Vuln]) -> list[Vulnerability]:
    return [
        Vulnerability(
            id=v.id,
            aliases=tuple(v.aliases or ()),
            summary=(v.summary or v.details or "").strip(),
            fixed_in=tuple(v.fixed_in or ()),
            link=v.link,
            withdrawn=bool(v.withdrawn),
        )
        for v in items
        if v.id
    ]
