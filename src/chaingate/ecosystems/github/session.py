"""A `RegistrySession` over the GitHub REST API (`repository.py` says what it asks).

The base URL is `--github-api-url` / `CHAINGATE_GITHUB_API_URL` (the ecosystem's index URL;
default https://api.github.com); the token, when `GITHUB_TOKEN` is set, goes in the
`Authorization` header and never into the cache key. The same coroutine answers from the
cache (driven without an event loop: it never suspends when every document is fresh) and
from the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Coroutine
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from chaingate.ecosystems.github.repository import (
    Get,
    Miss,
    Unavailable,
    decode,
    repository_answer,
)
from chaingate.ecosystems.interface import Answer
from chaingate.net.http import FetchError, HttpClient, HttpSettings

DEFAULT_API = "https://api.github.com"
ENV_URL = "CHAINGATE_GITHUB_API_URL"
ACCEPT = "application/vnd.github+json"


def api_url(index_url: str | None = None) -> str:
    url = (index_url or os.environ.get(ENV_URL) or DEFAULT_API).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL for the GitHub API: {url!r}")
    return url


class GithubSession:
    """Facts of GitHub repositories as packages of `ecosystem`; `slug(name)` is the
    repository (`owner/repo`) a package name stands for, or None when it is not on GitHub
    (its answer is then unavailable, with `elsewhere(name)` saying why)."""

    def __init__(
        self,
        base: str,
        client: HttpClient,
        ecosystem: str,
        slug: Callable[[str], str | None],
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.base, self.client, self.ecosystem, self.slug = base, client, ecosystem, slug
        token = os.environ.get("GITHUB_TOKEN", "").strip()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._now = now or (lambda: datetime.now(UTC))

    def _answer(
        self, name: str, versions: Collection[str], get: Get
    ) -> Coroutine[Any, Any, Answer]:
        slug = self.slug(name)
        assert slug is not None
        return repository_answer(get, self.base, self.ecosystem, name, slug, versions, self._now())

    def fresh(self, name: str) -> bool:
        slug = self.slug(name)
        return slug is not None and self.client.answers_from_cache(
            f"{self.base}/repos/{slug}", accept=ACCEPT
        )

    def cached(self, name: str, versions: Collection[str]) -> Answer | None:
        if self.slug(name) is None:
            return self._elsewhere(name)

        async def get(url: str) -> tuple[int, Any]:
            resp = self.client.cached(url, accept=ACCEPT)
            if resp is None:
                raise Miss(url)
            return resp.status, decode(resp.body, url) if resp.status == 200 else None

        coro = self._answer(name, versions, get)
        try:
            coro.send(None)
        except StopIteration as done:
            answer: Answer = done.value
            return answer
        except (Miss, Unavailable, FetchError):
            return None
        coro.close()  # it suspended: something is not in the cache
        return None

    async def fetch(self, name: str, versions: Collection[str]) -> Answer:
        if self.slug(name) is None:
            return self._elsewhere(name)

        async def get(url: str) -> tuple[int, Any]:
            resp = await self.client.fetch(url, accept=ACCEPT, headers=self.headers)
            if resp.status != 200:
                return resp.status, None
            try:
                return resp.status, decode(resp.body, url)
            except Unavailable:
                self.client.forget(url, accept=ACCEPT)
                raise

        try:
            return await self._answer(name, versions, get)
        except FetchError as exc:
            return Answer(unavailable=f"GitHub API: {exc}", network=True)
        except Unavailable as exc:
            return Answer(unavailable=f"GitHub API: {exc}", network=True)

    def _elsewhere(self, name: str) -> Answer:
        return Answer(unavailable=f"{name} is not hosted on GitHub: no source of facts for it")


class GithubRegistry:
    """The `Registry` of an ecosystem whose packages are GitHub repositories."""

    default_index = DEFAULT_API

    def __init__(self, ecosystem: str, slug: Callable[[str], str | None]) -> None:
        self.ecosystem, self.slug = ecosystem, slug

    def session(self, index_url: str, client: HttpClient, http: HttpSettings) -> GithubSession:
        return GithubSession(self._url(index_url), client, self.ecosystem, self.slug)

    def display_index(self, index_url: str) -> str:
        return self._url(index_url)

    @staticmethod
    def _url(index_url: str) -> str:
        """`index_url`, or where it is the default, `CHAINGATE_GITHUB_API_URL` if set."""
        return api_url(None if index_url.rstrip("/") == DEFAULT_API else index_url)
