"""libcurl under `HttpClient.fetch`: registry documents at the network's speed.

httpx moves every 16 KiB TLS record through anyio's TLS stream, a timeout scope and h11 in
Python: fetching bench/lock150's 133 MB takes it ~1 s of CPU and 3-4x curl's time, which
was most of a cold scan (bench/bench_transport.py: pycurl's multi interface 1.2-1.35x curl,
0.2 s of CPU). Here one `pycurl.CurlMulti` per event loop runs every transfer, driven by
the loop itself (libcurl's socket and timer callbacks -> `add_reader` / `call_later`), so
no thread and no helper process is involved, and a transfer cancelled by a deadline is
simply removed.

Only the request and the bytes change hands: `HttpClient` keeps the cache, revalidation,
retries, deadlines, redirect policy and size caps. Failures are raised as the httpx
exceptions `HttpClient` classifies (a timeout, a transport error), so both transports give
the same reasons for the same faults. The body arrives raw (no `CURLOPT_ACCEPT_ENCODING`):
`limits.Inflater` decodes and caps it as it comes, so decoding overlaps the download.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING, Any

import pycurl  # type: ignore[import-untyped]

from chaingate.net.limits import BodyError, Inflater

if TYPE_CHECKING:
    from collections.abc import Mapping


class CurlReply:
    """One answer: status, headers (lower-case names; the last value of each), raw-decoded
    body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = body


def _httpx_error(code: int, message: str) -> Exception:
    """The httpx exception `HttpClient._retrying` treats a libcurl failure as (it words a
    timeout itself, from its settings). A connection that could not be made is worded as
    httpx (anyio) words it, so reports say the same whichever transport asked."""
    from chaingate.net.httpx_import import httpx

    if code == pycurl.E_OPERATION_TIMEDOUT:
        return httpx.ReadTimeout(message)
    if code == pycurl.E_COULDNT_CONNECT:
        return httpx.ConnectError("All connection attempts failed")
    if code == pycurl.E_COULDNT_RESOLVE_HOST:
        return httpx.ConnectError(message)
    if code == pycurl.E_GOT_NOTHING:
        return httpx.RemoteProtocolError("Server disconnected without sending a response.")
    return httpx.RemoteProtocolError(message)


def _cut_short(t: _Transfer) -> str:
    """A body that ended early, in h11's words (what httpx reports)."""
    declared = t.headers.get("content-length", "")
    if declared.isdigit():
        return (
            "peer closed connection without sending complete message body "
            f"(received {t.received} bytes, expected {declared})"
        )
    return "peer closed connection without sending complete message body (incomplete chunked read)"


async def _resolution_error(url: str) -> str | None:
    """What the system's resolver says about `url`'s host, as httpx would report it
    (`[Errno -2] Name or service not known`), or None when it resolves now."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443)
    except socket.gaierror as exc:
        return str(exc)
    except (OSError, UnicodeError, ValueError):
        return None
    return None


def _trust_as_httpx(h: pycurl.Curl) -> None:
    """The certificate authorities httpx trusts: SSL_CERT_FILE, else SSL_CERT_DIR, else
    certifi's bundle (httpx's `create_ssl_context` with trust_env), so that both transports
    accept and refuse the same servers (a TLS-inspecting proxy's CA named in SSL_CERT_FILE
    included)."""
    if os.environ.get("SSL_CERT_FILE"):
        h.setopt(pycurl.CAINFO, os.environ["SSL_CERT_FILE"])
    elif os.environ.get("SSL_CERT_DIR"):
        h.setopt(pycurl.CAPATH, os.environ["SSL_CERT_DIR"])
    else:
        import certifi

        h.setopt(pycurl.CAINFO, certifi.where())


class _Transfer:
    def __init__(self, limit: int) -> None:
        self.handle = pycurl.Curl()
        self.headers: dict[str, str] = {}
        self.inflater: Inflater | None = None
        self.limit = limit
        self.pieces: list[bytes] = []
        self.error: BodyError | None = None
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.last = self.loop.time()  # when a byte last came (the read timeout's clock)
        self.watchdog: asyncio.TimerHandle | None = None
        self.resolve_failed = False
        self.received = 0  # raw body bytes, as they came

    def header(self, line: bytes) -> None:
        self.last = self.loop.time()
        text = line.decode("latin-1").strip()
        if text.startswith("HTTP/"):  # a new response (after 100 Continue, ...)
            self.headers = {}
        elif ":" in text:
            name, _, value = text.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def write(self, data: bytes) -> int | None:
        self.last = self.loop.time()
        self.received += len(data)
        try:
            if self.inflater is None:
                self.inflater = Inflater(self.headers, self.limit)
            self.pieces.extend(self.inflater.feed(data))
        except BodyError as exc:
            self.error = exc
            return 0  # any count but len(data) aborts the transfer (CURLE_WRITE_ERROR)
        return None


class CurlDriver:
    """Every transfer of one event loop on one multi handle, at most `connections` open."""

    def __init__(self, connections: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.multi = pycurl.CurlMulti()
        self.multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, connections)
        self.multi.setopt(pycurl.M_SOCKETFUNCTION, self._socket)
        self.multi.setopt(pycurl.M_TIMERFUNCTION, self._timer)
        self.transfers: dict[pycurl.Curl, _Transfer] = {}
        self.watched: dict[int, int] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.share = pycurl.CurlShare()
        self.share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_DNS)
        self.share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_SSL_SESSION)

    async def get(
        self,
        url: str,
        headers: Mapping[str, str],
        *,
        timeout: float,
        limit: int,
        user_agent: str,
    ) -> CurlReply:
        """One GET, redirects not followed, the body decoded and capped at `limit`."""
        t = _Transfer(limit)
        h = t.handle
        h.setopt(pycurl.URL, url)
        h.setopt(pycurl.HTTPHEADER, [f"{k}: {v}" for k, v in headers.items()])
        h.setopt(pycurl.USERAGENT, user_agent)
        h.setopt(pycurl.HEADERFUNCTION, t.header)
        h.setopt(pycurl.WRITEFUNCTION, t.write)
        h.setopt(pycurl.FOLLOWLOCATION, 0)
        h.setopt(pycurl.NOSIGNAL, 1)
        h.setopt(pycurl.SHARE, self.share)
        h.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, int(timeout * 1000)))
        h.setopt(pycurl.BUFFERSIZE, 512 * 1024)
        _trust_as_httpx(h)
        self.transfers[h] = t
        self.multi.add_handle(h)
        # The read timeout restarts with every byte, as httpx's does: a transfer that
        # receives nothing for `timeout` seconds fails. (The document's own deadline, in
        # HttpClient, bounds a server that drips.)
        t.watchdog = self.loop.call_later(timeout, self._watch, h, t, timeout)
        self._action(pycurl.SOCKET_TIMEOUT, 0)
        try:
            try:
                await t.done
            except Exception as exc:
                if t.resolve_failed and (said := await _resolution_error(url)) is not None:
                    raise _httpx_error(pycurl.E_COULDNT_RESOLVE_HOST, said) from None
                raise exc from None
            status = int(h.getinfo(pycurl.RESPONSE_CODE) or 0)
        finally:
            if t.watchdog is not None:
                t.watchdog.cancel()
            if self.transfers.pop(h, None) is not None:  # cancelled: still in the multi
                with contextlib.suppress(pycurl.error):
                    self.multi.remove_handle(h)
            h.close()
        if t.inflater is None:  # an empty body: decide the encoding now
            t.inflater = Inflater(t.headers, limit)
        t.pieces.extend(t.inflater.finish())
        return CurlReply(status, t.headers, b"".join(t.pieces))

    def _watch(self, h: pycurl.Curl, t: _Transfer, timeout: float) -> None:
        if t.done.done():
            return
        idle = self.loop.time() - t.last
        if idle < timeout:
            t.watchdog = self.loop.call_later(timeout - idle, self._watch, h, t, timeout)
            return
        if self.transfers.pop(h, None) is not None:
            self.multi.remove_handle(h)
        t.done.set_exception(_httpx_error(pycurl.E_OPERATION_TIMEDOUT, "read timed out"))

    def _socket(self, event: int, fd: int, multi: Any, data: Any) -> None:
        if fd in self.watched:
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)
            del self.watched[fd]
        if event == pycurl.POLL_REMOVE:
            return
        if event in (pycurl.POLL_IN, pycurl.POLL_INOUT):
            self.loop.add_reader(fd, self._action, fd, pycurl.CSELECT_IN)
        if event in (pycurl.POLL_OUT, pycurl.POLL_INOUT):
            self.loop.add_writer(fd, self._action, fd, pycurl.CSELECT_OUT)
        self.watched[fd] = event

    def _timer(self, ms: int) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if ms >= 0:
            self.timer = self.loop.call_later(ms / 1000, self._action, pycurl.SOCKET_TIMEOUT, 0)

    def _action(self, fd: int, events: int) -> None:
        while True:
            try:
                code, _ = self.multi.socket_action(fd, events)
            except pycurl.error:
                break
            if code != pycurl.E_CALL_MULTI_PERFORM:
                break
        self._finished()

    def _finished(self) -> None:
        while True:
            left, ok, failed = self.multi.info_read()
            for h in ok:
                self._settle(h, None)
            for h, code, message in failed:
                self._settle(h, (code, message))
            if not left:
                return

    def _settle(self, h: pycurl.Curl, failure: tuple[int, str] | None) -> None:
        t = self.transfers.pop(h, None)
        self.multi.remove_handle(h)
        if t is None or t.done.done():
            return
        if t.error is not None:
            t.done.set_exception(t.error)
        elif failure is not None:
            code, message = failure
            t.resolve_failed = code == pycurl.E_COULDNT_RESOLVE_HOST
            if code == pycurl.E_PARTIAL_FILE:
                message = _cut_short(t)
            t.done.set_exception(_httpx_error(code, message))
        else:
            t.done.set_result(None)

    def close(self) -> None:
        for h in list(self.transfers):
            with contextlib.suppress(pycurl.error):
                self.multi.remove_handle(h)
            h.close()
        self.transfers.clear()
        for fd in list(self.watched):
            self.loop.remove_reader(fd)
            self.loop.remove_writer(fd)
        self.watched.clear()
        if self.timer is not None:
            self.timer.cancel()
        self.multi.close()
