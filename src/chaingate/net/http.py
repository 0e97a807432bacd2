"""HTTP for registries: one request per document, cached on disk, revalidated, retried.

Why not a generic caching library: registries differ in what they send. pypi.org sends
`Cache-Control: max-age` and an `ETag`; mirrors and private indexes often send neither. We
need (1) a freshness window even without validators so a warm re-scan makes no request at
all, (2) conditional requests (`If-None-Match` / `If-Modified-Since`) when validators exist,
(3) negative caching of 404s, and (4) bodies kept as plain files so a large document is read
with one `read()`. That is ~150 lines here, against a dependency whose storage format and API
we would have to bend to all four.

Failures are values: `fetch` returns a `Response` or raises `FetchError` with a reason a
person can read ("HTTP 500 after 4 attempts", "timed out after 10 s"). Callers turn a
`FetchError` into an *incomplete* entry, never into a clean result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from chaingate import __version__
from chaingate.net.atomic import open_private, private_dirs, seal, unseal, write_atomic
from chaingate.net.limits import (
    MAX_DOCUMENT_BYTES,
    MIN_DOWNLOAD_RATE,
    BodyError,
    decoded,
    read_capped,
)

if TYPE_CHECKING:
    import asyncio

    import httpx

    from chaingate.net.curl import CurlDriver

USER_AGENT = f"chaingate/{__version__} (+https://github.com/chaingate/chaingate)"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: `httpx` makes `fetch` use httpx, as `post_json` and `download` do, instead of libcurl.
TRANSPORT_VARIABLE = "CHAINGATE_HTTP_TRANSPORT"

# Whether a document at the first URL may be taken from the second, where it redirects.
RedirectPolicy = Callable[[str, str], bool]


def uses_libcurl() -> bool:
    """Whether `HttpClient.fetch` goes through libcurl (net/curl.py): pycurl is installed
    and CHAINGATE_HTTP_TRANSPORT does not ask for httpx."""
    import importlib.util

    return os.environ.get(TRANSPORT_VARIABLE) != "httpx" and bool(
        importlib.util.find_spec("pycurl")
    )


class FetchError(Exception):
    """A document could not be fetched; the message is the reason shown to the user."""


class BodyNotKept(FetchError):
    """A cached response fetched with keep_body=False has no body; fetch with reload=True."""


class Response:
    """A 200 or 404 answer (other statuses raise FetchError).

    `body_id` names this exact body: it is minted when the body is downloaded and kept
    across 304 revalidations, so callers can cache what they derive from a body under it.
    A cached body has been read and checked against its SHA-256 (`_intact_body`).
    """

    def __init__(
        self,
        url: str,
        status: int,
        *,
        body: bytes | None = None,
        from_cache: bool,
        fetched_at: float,
        body_id: str,
    ) -> None:
        self.url = url
        self.status = status
        self.from_cache = from_cache
        self.fetched_at = fetched_at  # epoch seconds when the body was downloaded
        self.body_id = body_id
        self._body = body

    @property
    def body(self) -> bytes:
        if self._body is None:
            raise BodyNotKept(f"the cache keeps no body for {self.url}")
        return self._body


class HttpSettings(msgspec.Struct, frozen=True):
    cache_dir: Path | None
    ttl: float = 900.0  # freshness when the server gives no max-age
    timeout: float = 20.0
    retries: int = 3  # attempts after the first
    backoff: float = 0.5  # seconds, doubled per attempt, with jitter
    max_retry_after: float = 30.0
    concurrency: int = 16
    refresh: bool = False  # revalidate / refetch everything, ignoring freshness
    offline: bool = False  # never touch the network; a cache miss is an error
    # Seconds one document (or file) may take in all, retries and waits between them
    # included; None: timeout x (retries + 1). The read timeout alone restarts with every
    # byte, so a server dripping one byte at a time would never meet it.
    document_deadline: float | None = None
    # Epoch seconds after which nothing more is fetched ("scan deadline reached").
    deadline_at: float | None = None
    max_document_bytes: int = MAX_DOCUMENT_BYTES  # decompressed


class _Reply(NamedTuple):
    """A response read in full (its body decoded): what the retry loop and the cache need.
    Header names are looked up in lower case (httpx's headers, or the libcurl transport's
    lower-cased dict)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


class _Cache:
    """Bodies and metadata under `<dir>/<sha256(key)>.{body,meta}`; writes are atomic and
    private (net/atomic.py). Each meta is sealed with its SHA-256 and keeps its body's, so
    an entry changed on disk since it was written is not believed (it is fetched anew)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        with contextlib.suppress(OSError):  # an unwritable cache only costs time
            private_dirs(root)

    def _paths(self, key: str) -> tuple[Path, Path]:
        h = hashlib.sha256(key.encode()).hexdigest()
        sub = self.root / h[:2]
        return sub / f"{h}.meta", sub / f"{h}.body"

    def load(self, key: str) -> tuple[dict[str, object], Path] | None:
        meta_path, body_path = self._paths(key)
        try:
            sealed = unseal(meta_path.read_bytes())  # None: changed on disk since written
            meta = json.loads(sealed) if sealed is not None else None
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(meta, dict) or meta.get("key") != key or not _meta_sound(meta):
            return None  # asked again, and replaced by the answer
        return meta, body_path

    def delete(self, key: str) -> None:
        for path in self._paths(key):
            path.unlink(missing_ok=True)

    def store(self, key: str, meta: dict[str, object], body: bytes | None) -> None:
        """Keep `meta` (and `body`) for `key`. A write that fails costs only a refetch: a
        body without its meta is never read, and a meta whose body is missing, torn or
        changed fails the check in `_intact_body`."""
        meta_path, body_path = self._paths(key)
        meta = {**meta, "key": key}
        if body is not None:
            write_atomic(body_path, body)
        write_atomic(meta_path, seal(json.dumps(meta).encode()))


def _meta_sound(meta: dict[str, object]) -> bool:
    """Whether every field of a cache entry's metadata has the type `HttpClient` reads it
    as: a damaged or hand-edited entry (`"fetched_at": "x"`) is a miss, not a crash."""

    def number(value: object) -> bool:  # finite (not nan, not Infinity), seconds
        real = isinstance(value, int | float) and not isinstance(value, bool)
        return real and -1e12 < value < 1e12  # type: ignore[operator]

    def optional(name: str, kind: type | tuple[type, ...]) -> bool:
        value = meta.get(name)
        return value is None or (isinstance(value, kind) and not isinstance(value, bool))

    return (
        meta.get("status") in (200, 404)
        and not isinstance(meta.get("status"), bool)
        and number(meta.get("fetched_at"))
        and ("downloaded_at" not in meta or number(meta["downloaded_at"]))
        and (meta.get("max_age") is None or number(meta["max_age"]))
        and optional("length", int)
        and all(optional(k, str) for k in ("body_id", "etag", "last_modified"))
        and isinstance(meta.get("body_kept", True), bool)
    )


def _max_age(headers: Mapping[str, str]) -> float | None:
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() in ("no-store", "no-cache"):
            return 0.0
        if name.lower() == "max-age":
            with contextlib.suppress(ValueError):
                return max(0.0, float(value))
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # only for a Retry-After given as a date

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """An async client for registry documents. Use as `async with HttpClient(settings)`."""

    def __init__(
        self, settings: HttpSettings, *, on_network: Callable[[], None] | None = None
    ) -> None:
        """`on_network` is called once, just before the first request that goes to the
        network (never when every answer comes from the cache)."""
        self.settings = settings
        self._cache = _Cache(settings.cache_dir) if settings.cache_dir else None
        self._client: httpx.AsyncClient | None = None
        self._sem: asyncio.Semaphore | None = None  # made with the first request
        self._on_network = on_network
        self._curl: CurlDriver | None = None  # made with the first fetch, on its loop
        self.network_requests = 0

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
        if self._curl is not None:
            self._curl.close()
            self._curl = None

    def _network(self) -> None:
        """Say once that requests go to the network (`on_network`)."""
        if self._on_network is not None:
            self._on_network()
            self._on_network = None

    def _http(self) -> httpx.AsyncClient:
        # Created on first use: a fully warm scan never builds a client (or its TLS context).
        if self._client is None:
            self._network()
            from chaingate.net.httpx_import import httpx

            limits = httpx.Limits(
                max_connections=self.settings.concurrency,
                max_keepalive_connections=self.settings.concurrency,
            )
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.timeout),
                limits=limits,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
                follow_redirects=True,
            )
        return self._client

    def forget(self, url: str, *, accept: str = "application/json") -> None:
        """Drop a cached document the caller could not use (e.g. malformed JSON), so the next
        run asks the server again instead of repeating the failure from the cache."""
        if self._cache:
            self._cache.delete(f"{accept} {url}")

    async def fetch(
        self,
        url: str,
        *,
        accept: str = "application/json",
        keep_body: bool = True,
        reload: bool = False,
        redirect_ok: RedirectPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """The document at `url`, from the cache while fresh, else from the server
        (conditionally when validators are known).

        `headers` go with the request and are no part of the cache key (an API token:
        `Authorization`); the answer must not depend on them beyond access.

        `redirect_ok(from_url, to_url)` judges each redirect before it is followed: one it
        refuses raises `FetchError` (a registry document from a host the index does not own
        is not the index's answer). None follows every redirect.

        `keep_body=False` caches only the validators and `body_id`, for callers that keep what
        they derive from a body under its `body_id` (the registry facts): a cached response
        then has no body, and a caller that needs it asks again with `reload=True`.
        """
        key = f"{accept} {url}"
        cached = self._cache.load(key) if self._cache and not reload else None
        now = time.time()
        if cached is not None and self._usable(cached[0], now):
            body = _intact_body(*cached)
            if body is not None:
                return self._cached(url, cached[0], body)
            cached = None  # changed on disk: not to be revalidated, fetched anew
        return await self._fetch_anew(
            url, key, accept, keep_body, cached, now, redirect_ok, headers or {}
        )

    def cached(self, url: str, *, accept: str = "application/json") -> Response | None:
        """What `fetch(url)` would answer without a request, or None when it would ask
        the server. Synchronous: a warm scan answers from the cache without an event loop
        (and without importing asyncio, ~0.1 G instructions)."""
        entry = self._cache.load(f"{accept} {url}") if self._cache else None
        if entry is None or not self._usable(entry[0], time.time()):
            return None
        body = _intact_body(*entry)
        return None if body is None else self._cached(url, entry[0], body)

    async def _fetch_anew(
        self,
        url: str,
        key: str,
        accept: str,
        keep_body: bool,
        cached: tuple[dict[str, object], Path] | None,
        now: float,
        redirect_ok: RedirectPolicy | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Response:
        if self.settings.offline:
            raise FetchError("not in the cache and --offline was given")

        headers = {**(extra or {}), "Accept": accept}
        if cached is not None:
            meta = cached[0]
            if meta.get("etag"):
                headers["If-None-Match"] = str(meta["etag"])
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = str(meta["last_modified"])

        resp = await self._get_with_retries(url, headers, redirect_ok)
        ttl = _max_age(resp.headers)  # None: the server did not say
        if resp.status_code == 304 and cached is not None:
            meta, body_path = cached
            kept = _intact_body(meta, body_path)
            if kept is not None:
                meta = {**meta, "fetched_at": now, "max_age": ttl}
                if self._cache:
                    self._cache.store(key, meta, None)
                return self._cached(url, meta, kept)
            # The cached body vanished or changed: ask again without validators.
            resp = await self._get_with_retries(
                url, {**(extra or {}), "Accept": accept}, redirect_ok
            )
        if resp.status_code not in (200, 404):
            raise FetchError(f"HTTP {resp.status_code} from {url}")
        body = resp.content if resp.status_code == 200 else b""
        body_id = uuid.uuid4().hex
        if self._cache:
            meta = {
                "url": url,
                "status": resp.status_code,
                "fetched_at": now,
                "downloaded_at": now,
                "max_age": ttl,
                "etag": resp.headers.get("etag"),
                "last_modified": resp.headers.get("last-modified"),
                "length": len(body),
                "sha256": hashlib.sha256(body).hexdigest() if keep_body else None,
                "body_id": body_id,
                "body_kept": keep_body,
            }
            self._cache.store(key, meta, body if keep_body else None)
        return Response(
            url, resp.status_code, body=body, from_cache=False, fetched_at=now, body_id=body_id
        )

    def answers_from_cache(self, url: str, *, accept: str = "application/json") -> bool:
        """Whether `fetch(url)` would answer from the cache, without a request."""
        return self.cached(url, accept=accept) is not None

    def _usable(self, meta: dict[str, object], now: float) -> bool:
        """Whether a cached entry may answer without a request: fresh, or offline (its body
        must still pass `_intact_body`)."""
        fetched = float(meta.get("fetched_at", 0.0))  # type: ignore[arg-type]
        # The server's max-age when it gave one, else the TTL configured now.
        server_max_age = meta.get("max_age")
        fresh_for = self.settings.ttl if server_max_age is None else float(server_max_age)  # type: ignore[arg-type]
        fresh = now - fetched < fresh_for and not self.settings.refresh
        return fresh or self.settings.offline

    @staticmethod
    def _cached(url: str, meta: dict[str, object], body: bytes | _NoBody) -> Response:
        """The response for a cached entry whose body `_intact_body` gave."""
        return Response(
            url,
            int(meta["status"]),  # type: ignore[call-overload]
            body=None if isinstance(body, _NoBody) else body,
            from_cache=True,
            fetched_at=float(meta.get("downloaded_at", meta.get("fetched_at", 0.0))),  # type: ignore[arg-type]
            body_id=str(meta.get("body_id") or meta.get("key")),
        )

    def _curl_driver(self) -> CurlDriver | None:
        """The libcurl transport for this loop (net/curl.py), or None: pycurl is not
        installed, or CHAINGATE_HTTP_TRANSPORT=httpx asks for httpx."""
        if os.environ.get(TRANSPORT_VARIABLE) == "httpx":
            return None
        import asyncio

        if self._curl is not None and self._curl.loop is asyncio.get_running_loop():
            return self._curl
        try:
            from chaingate.net.curl import CurlDriver
        except ImportError:
            return None
        self._network()
        if self._curl is not None:  # made on another loop, now closed or idle
            self._curl.close()
        self._curl = CurlDriver(self.settings.concurrency)
        return self._curl

    async def _curl_get(
        self, curl: CurlDriver, url: str, headers: dict[str, str], ok: RedirectPolicy | None
    ) -> _Reply:
        """GET `url` with libcurl, following redirects only where `ok` allows each one, as
        `_get_checked` does with httpx."""
        from urllib.parse import urljoin

        current = url
        asked = {**headers, "Accept-Encoding": "gzip"}
        for _ in range(MAX_REDIRECTS + 1):
            try:
                reply = await curl.get(
                    current,
                    asked,
                    timeout=self.settings.timeout,
                    limit=self.settings.max_document_bytes,
                    user_agent=USER_AGENT,
                )
            except BodyError as exc:
                raise FetchError(str(exc)) from None
            location = reply.headers.get("location")
            if reply.status_code not in _REDIRECTS or not location:
                return _Reply(reply.status_code, reply.headers, reply.content)
            target = urljoin(current, location)
            if ok is not None and not ok(current, target):
                raise FetchError(
                    f"the index redirected {current} to {target}, a host that is not the "
                    "index's own: refused"
                )
            current = target
        raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")

    async def _get_with_retries(
        self, url: str, headers: dict[str, str], redirect_ok: RedirectPolicy | None = None
    ) -> _Reply:
        async def once() -> _Reply:
            curl = self._curl_driver()
            if curl is not None:
                return await self._curl_get(curl, url, headers, redirect_ok)
            async with _get_checked(self._http(), url, headers, redirect_ok) as resp:
                # Read the whole body inside the semaphore: a truncated body raises here.
                try:
                    body = await read_capped(resp, self.settings.max_document_bytes)
                except BodyError as exc:
                    raise FetchError(str(exc)) from None
            return _Reply(resp.status_code, resp.headers, body)

        return await self._retrying(once)

    async def post_json(self, url: str, payload: bytes) -> bytes:
        """POST a JSON body and return the 200 answer's body: never cached (a query's
        answer, e.g. OSV's querybatch, is asked anew each time), retried like `fetch` (the
        caller posts only idempotent queries). Raises `FetchError` for any other status."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        status, body = await self.send("POST", url, payload, headers, follow_redirects=True)
        if status != 200:
            raise FetchError(f"HTTP {status} from {url}")
        return body

    async def send(
        self,
        method: str,
        url: str,
        payload: bytes | None,
        headers: Mapping[str, str],
        *,
        follow_redirects: bool = False,
    ) -> tuple[int, bytes]:
        """An uncached request with the caller's `headers` (an API's, a webhook's): the
        answer's status and body (read up to `max_document_bytes`; a redirect is the
        answer unless `follow_redirects`). Retried like `fetch` on transport errors, 429 and 5xx,
        then `FetchError`: send only what the receiver may see twice (a webhook delivery
        carries an idempotency key)."""
        if self.settings.offline:
            raise FetchError(f"{url} is a query and --offline was given")

        async def once() -> _Reply:
            request = self._http().build_request(
                method, url, content=payload, headers=dict(headers)
            )
            resp = await self._http().send(request, stream=True, follow_redirects=follow_redirects)
            try:
                try:
                    body = await read_capped(resp, self.settings.max_document_bytes)
                except BodyError as exc:
                    raise FetchError(str(exc)) from None
            finally:
                await resp.aclose()
            return _Reply(resp.status_code, resp.headers, body)

        reply = await self._retrying(once)
        return reply.status_code, reply.content

    async def download(self, url: str, dest: Path, *, sha256: str | None, max_bytes: int) -> str:
        """Stream the file at `url` into `dest` (written atomically, never cached by this
        client) and return its sha256. Retried like `fetch`. Raises `FetchError` when the
        server does not answer 200, the body exceeds `max_bytes`, or `sha256` is given and the
        bytes do not match it: nothing is left at `dest` then."""
        if self.settings.offline:
            raise FetchError(f"{url} is not in the cache and --offline was given")
        partial = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        digest = hashlib.sha256()

        grace = self._per_document()

        async def once() -> _Reply:
            nonlocal digest
            digest = hashlib.sha256()
            started, size = time.monotonic(), 0
            async with self._http().stream("GET", url) as resp:
                if resp.status_code == 200:
                    with contextlib.suppress(FileNotFoundError):
                        partial.unlink()  # left by an earlier attempt
                    with open_private(partial) as out:
                        try:
                            async for chunk in decoded(resp, max_bytes):
                                size += len(chunk)
                                _check_rate(url, time.monotonic() - started, size, grace)
                                digest.update(chunk)
                                out.write(chunk)
                        except BodyError as exc:
                            raise FetchError(f"{url}: {exc}") from None
            return _Reply(resp.status_code, resp.headers, b"")

        try:
            # A file may be large: no total deadline, but a least rate (_check_rate).
            resp = await self._retrying(once, whole=False)
            if resp.status_code != 200:
                raise FetchError(f"HTTP {resp.status_code} from {url}")
            got = digest.hexdigest()
            if sha256 is not None and got != sha256.lower():
                raise FetchError(
                    f"sha256 mismatch for {url}: the index says {sha256}, the file is {got}"
                )
            os.replace(partial, dest)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        return got

    def _per_document(self) -> float:
        s = self.settings
        return s.document_deadline or s.timeout * (s.retries + 1)

    async def _retrying(self, once: Callable[[], Awaitable[_Reply]], whole: bool = True) -> _Reply:
        """`once()` under the concurrency bound, retried with backoff on timeouts, transport
        errors and 429/5xx (honouring Retry-After up to `max_retry_after`), all within the
        scan's deadline and, when `whole`, the document's (from its first attempt)."""
        import asyncio

        from chaingate.net.httpx_import import httpx

        s = self.settings
        loop = asyncio.get_running_loop()
        per_document = self._per_document()
        scan_end = None if s.deadline_at is None else loop.time() + s.deadline_at - time.time()
        document_end: float | None = None  # set when the first attempt starts
        last = ""
        for attempt in range(s.retries + 1):
            delay = s.backoff * (2**attempt) * (0.5 + random.random())
            try:
                if self._sem is None:
                    self._sem = asyncio.Semaphore(self.settings.concurrency)
                async with asyncio.timeout_at(scan_end), self._sem:
                    if document_end is None and whole:
                        document_end = loop.time() + per_document
                    async with asyncio.timeout_at(document_end):
                        self.network_requests += 1
                        resp = await once()
            except httpx.TimeoutException:
                last = f"timed out after {s.timeout:g} s"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            except TimeoutError:
                raise _deadline(loop.time(), scan_end, per_document, last) from None
            else:
                limited = _rate_limited(resp.status_code, resp.headers)
                if limited is not None:
                    raise FetchError(limited)  # waiting for the reset is not a retry
                if resp.status_code not in RETRY_STATUS:
                    return resp
                last = f"HTTP {resp.status_code}"
                after = _retry_after(resp.headers)
                if after is not None:
                    if after > s.max_retry_after:
                        raise FetchError(
                            f"HTTP {resp.status_code}; server asked to wait {after:.0f} s"
                        )
                    delay = max(delay, after)
            if attempt < s.retries:
                wake = loop.time() + delay
                if any(end is not None and wake >= end for end in (scan_end, document_end)):
                    raise _deadline(wake, scan_end, per_document, last)
                await asyncio.sleep(delay)
        attempts = s.retries + 1
        raise FetchError(f"{last} ({attempts} attempt{'s' if attempts > 1 else ''})")


@contextlib.asynccontextmanager
async def _get_checked(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], ok: RedirectPolicy | None
) -> AsyncIterator[httpx.Response]:
    """GET `url` as a stream, following redirects only where `ok` allows each one (None:
    all). A redirect's own body is never read (httpx would read it in full)."""
    request = client.build_request("GET", url, headers=headers)
    for _ in range(MAX_REDIRECTS + 1):
        resp = await client.send(request, stream=True, follow_redirects=False)
        if resp.next_request is None:
            try:
                yield resp
            finally:
                await resp.aclose()
            return
        await resp.aclose()
        current, target = str(request.url), str(resp.next_request.url)
        if ok is not None and not ok(current, target):
            raise FetchError(
                f"the index redirected {current} to {target}, a host that is not the "
                "index's own: refused"
            )
        request = resp.next_request
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


def _rate_limited(status: int, headers: Mapping[str, str]) -> str | None:
    """Why a 403/429 that says the rate limit is used up (`x-ratelimit-remaining: 0`, as
    GitHub's API answers) is no answer, with the reset time; None for any other reply."""
    if status not in (403, 429) or headers.get("x-ratelimit-remaining") != "0":
        return None
    reset = headers.get("x-ratelimit-reset", "")
    when = ""
    if reset.isdigit():
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(int(reset), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        when = f"; it resets at {at}"
    return f"HTTP {status}: API rate limit exhausted{when}"


def _check_rate(url: str, elapsed: float, size: int, grace: float) -> None:
    """A download must keep up `MIN_DOWNLOAD_RATE` once its first `grace` seconds are over:
    a server dripping a file byte by byte (each within the read timeout) is cut off."""
    if elapsed > grace + size / MIN_DOWNLOAD_RATE:
        raise FetchError(
            f"{url}: deadline passed: slower than {MIN_DOWNLOAD_RATE // 1024} KiB/s "
            f"({size} bytes in {elapsed:.0f} s)"
        )


def _deadline(when: float, scan_end: float | None, per_document: float, last: str) -> FetchError:
    """The reason a document was given up at `when` (the loop's clock): the scan's deadline,
    or its own (timeout x (retries + 1)), with what the last attempt met if anything."""
    if scan_end is not None and when >= scan_end:
        return FetchError("scan deadline reached")
    met = f"; last attempt: {last}" if last else ""
    return FetchError(f"deadline of {per_document:g} s for one document passed{met}")


class _NoBody:
    """A cached answer whose body was not kept (`keep_body=False`): `.body` raises."""


def _intact_body(meta: dict[str, object], path: Path) -> bytes | _NoBody | None:
    """The cached body when it is the one stored: its SHA-256 is the one its meta recorded
    (b"" for a 404; `_NoBody` when only validators were kept). None when it is missing,
    torn or changed since -- or stored by a chaingate that kept no hash -- so that the
    document is fetched anew rather than trusted."""
    if meta.get("status") != 200:
        return b""
    if meta.get("body_kept") is False:
        return _NoBody()
    try:
        body = path.read_bytes()
    except OSError:
        return None
    digest = meta.get("sha256")
    if not isinstance(digest, str) or hashlib.sha256(body).hexdigest() != digest:
        return None
    return body
