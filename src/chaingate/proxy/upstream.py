"""The one upstream index the proxy stands in front of: its project pages (through the
project's `HttpClient`, cached and revalidated) and the hosts its files may come from.

Not an open proxy: a URL is fetched only when its scheme is http(s) and its host is the
upstream's own or one of its file hosts (pypi.org's files live on files.pythonhosted.org);
a redirect to any other host is refused.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

from msgspec.structs import replace

from chaingate.net.http import FetchError, HttpClient, HttpSettings
from chaingate.proxy.pages import ACCEPT_UPSTREAM, PageError, ProjectPage, parse_index, parse_page

PYPI_FILE_HOSTS = ("files.pythonhosted.org",)


def base_url(upstream: str) -> str:
    """The upstream's base URL (`https://pypi.org`), given with or without `/simple/`.
    ValueError for anything but an http(s) URL with a host."""
    parts = urlsplit(upstream.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{upstream!r} is not an http(s) URL of an index")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{upstream!r}: give the index URL without credentials or query")
    path = parts.path.rstrip("/").removesuffix("/simple")
    return f"{parts.scheme}://{parts.netloc}{path}"


class Upstream:
    """Pages and files of one index. Use inside the event loop that serves requests."""

    def __init__(
        self, upstream: str, settings: HttpSettings, file_hosts: tuple[str, ...] | None = None
    ) -> None:
        self.base = base_url(upstream)
        self.simple = f"{self.base}/simple/"
        host = urlsplit(self.base).netloc.lower()
        if file_hosts is None:
            file_hosts = PYPI_FILE_HOSTS if host in ("pypi.org", "test.pypi.org") else ()
        self.hosts = frozenset({host, *(h.lower() for h in file_hosts)})
        # Half the page TTL in the HTTP cache and half in memory: a page is at most `ttl` old.
        self.ttl = settings.ttl / 2
        self.client = HttpClient(replace(settings, ttl=self.ttl))
        self._parsed: dict[str, tuple[str, ProjectPage]] = {}
        # project -> (monotonic time fetched, page, serial): while fresh, a page is answered
        # from memory, without reading (and re-hashing) the HTTP cache's copy
        self._hot: dict[str, tuple[float, ProjectPage, str]] = {}

    async def close(self) -> None:
        await self.client.__aexit__(None, None, None)

    def may_fetch(self, url: str) -> bool:
        """Whether `url` is on the upstream or its file hosts (over http or https)."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and parts.netloc.lower() in self.hosts

    def _same_index(self, current: str, target: str) -> bool:
        return self.may_fetch(target)

    async def page(self, project: str) -> tuple[ProjectPage, str] | None:
        """The project's page and its serial key (the page's `_last-serial`, else the
        identity of the body), or None when the upstream has no such project. Raises
        `FetchError` when the upstream cannot be reached, `PageError` when it answers
        something that is not a project page."""
        hot = self._hot.get(project)
        if hot is not None and time.monotonic() - hot[0] < self.ttl:
            return hot[1], hot[2]
        url = f"{self.simple}{project}/"
        resp = await self.client.fetch(url, accept=ACCEPT_UPSTREAM, redirect_ok=self._same_index)
        if resp.status == 404:
            return None
        kept = self._parsed.get(project)
        if kept is not None and kept[0] == resp.body_id:
            page = kept[1]
        else:
            try:
                page = parse_page(resp.body, url, project)
            except PageError:
                self.client.forget(url, accept=ACCEPT_UPSTREAM)
                raise
            if len(self._parsed) > 4096:
                self._parsed.clear()
            self._parsed[project] = (resp.body_id, page)
        serial = f"{page.serial}/{resp.body_id}" if page.serial else resp.body_id
        if len(self._hot) > 4096:
            self._hot.clear()
        self._hot[project] = (time.monotonic(), page, serial)
        return page, serial

    async def index(self) -> list[str]:
        """Every project name the upstream lists (/simple/)."""
        resp = await self.client.fetch(
            self.simple, accept=ACCEPT_UPSTREAM, redirect_ok=self._same_index
        )
        if resp.status == 404:
            raise FetchError(f"{self.simple} answered 404")
        return parse_index(resp.body)

    async def download(self, url: str, dest: Path, sha256: str, max_bytes: int) -> None:
        """The file at `url` into `dest`, verified against `sha256` (FetchError otherwise,
        and nothing at `dest`)."""
        if not self.may_fetch(url):
            raise FetchError(f"{url} is not on the upstream or its file hosts: refused")
        await self.client.download(url, dest, sha256=sha256, max_bytes=max_bytes)
