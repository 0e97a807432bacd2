"""What the local test servers (tests/pypiserver.py, tests/rdapserver.py, tests/dnsserver.py)
have in common: the faults they can be scripted to produce, the scripting and request log, and
the lifecycle of a server running in background threads.

- `ServerLifecycle`: `start()` / `close()` and use as a context manager, with a `_closing`
  event that is set while the server closes so that handlers waiting on it (sleeping in a
  `Delay`, holding a silent connection open) let go at once.
- `BackgroundHTTPServer`: a `ServerLifecycle` serving HTTP on 127.0.0.1 (random port) from a
  `ThreadingHTTPServer` in a daemon thread; `.url` is its base URL.
- `ScriptedFaults`: `.script(path, [...])` queues one fault per request for that exact path,
  `.always(path, item)` applies once the script is used up; every request is counted in
  `.hits` and logged in `.requests` as (method, path, lower-cased headers).
- `ScriptedHandler`: the request handler both HTTP servers build on -- quiet, HTTP/1.1, GET and
  HEAD answered by `_answer(head)`, tolerant of clients that hang up, and acting out the faults
  that stand in for a response (`_play`); `.owner` is the server it belongs to.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

# --- faults --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Answer with this status and an empty body (`Retry-After` if given)."""

    code: int
    retry_after: float | None = None


@dataclass(frozen=True)
class Delay:
    """Sleep this long before answering normally (to trigger client timeouts)."""

    seconds: float


@dataclass(frozen=True)
class Truncated:
    """Announce the full `Content-Length`, send half the body, close the connection."""


@dataclass(frozen=True)
class BadJSON:
    """A well-formed 200 whose body is the first half of the document."""


@dataclass(frozen=True)
class NotFound:
    """404 with an empty body, as for an unknown project."""


@dataclass(frozen=True)
class Disconnect:
    """Close the connection without sending any response."""


@dataclass(frozen=True)
class Redirect:
    """Answer `code` with `Location: location` (absolute, or relative to the request)."""

    location: str
    code: int = 302


Fault = Status | Delay | Truncated | BadJSON | NotFound | Disconnect | Redirect


class ScriptedFaults:
    """Per-path fault scripting and the request log, behind `_lock` (which the server's own
    content shares)."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._scripts: dict[str, deque[Fault]] = {}
        self._always: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def script(self, path: str, responses: Iterable[Fault]) -> None:
        """Answer the next requests for `path` with these items, one per request."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(responses)

    def always(self, path: str, item: Fault | None) -> None:
        """Answer every request for `path` with `item` (None removes it)."""
        with self._lock:
            if item is None:
                self._always.pop(path, None)
            else:
                self._always[path] = item

    def clear_log(self) -> None:
        """Forget `.hits` and `.requests` (e.g. between a cold and a warm run)."""
        with self._lock:
            self.hits.clear()
            self.requests.clear()

    def _record(self, method: str, path: str, headers: dict[str, str]) -> Fault | None:
        """Log one request; the fault to answer it with, if any."""
        with self._lock:
            self.hits[path] += 1
            self.requests.append((method, path, headers))
            queued = self._scripts.get(path)
            if queued:
                return queued.popleft()
            return self._always.get(path)


# --- lifecycle -----------------------------------------------------------------------------


class ServerLifecycle:
    """`start()` / `close()` and the context manager; subclasses open and shut the sockets
    in `_open()` / `_shut()`."""

    def __init__(self) -> None:
        super().__init__()
        self._closing = threading.Event()

    def start(self) -> Self:
        self._closing.clear()
        self._open()
        return self

    def close(self) -> None:
        self._closing.set()  # wakes handlers waiting on it before the server shuts down
        self._shut()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        raise NotImplementedError

    def _shut(self) -> None:
        raise NotImplementedError


class BackgroundHTTPServer(ServerLifecycle):
    """A `ThreadingHTTPServer` on 127.0.0.1 (random port) in a daemon thread; subclasses give
    the request handler class in `_handler()`, which is bound to the server as `.owner`."""

    def __init__(self) -> None:
        super().__init__()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _handler(self) -> type[ScriptedHandler]:
        raise NotImplementedError

    def _open(self) -> None:
        handler = type("Handler", (self._handler(),), {"owner": self})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False  # a handler sleeping in Delay must not hold up close()
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _shut(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (no trailing slash)."""
        if self._httpd is None:
            name = type(self).__name__
            raise RuntimeError(f"{name} is not running; use it as a context manager")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def _sleep(self, seconds: float) -> None:
        """Sleep as a `Delay` asks, but no longer than until the server closes."""
        self._closing.wait(seconds)


class ScriptedHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, silent, GET and HEAD both answered by `_answer(head)`."""

    owner: BackgroundHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def handle_one_request(self) -> None:
        # A client that timed out closes its socket; writing to it then is expected.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle_one_request()

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        raise NotImplementedError

    def _play(self, fault: Fault | None, head: bool) -> bool:
        """Act out a fault that stands in for the response: sleep out a `Delay` (the request is
        then answered normally), drop the connection, or answer a `Status`, `NotFound` or
        `Redirect` with `_send_error`. True if that answered the request."""
        if isinstance(fault, Delay):
            self.owner._sleep(fault.seconds)
            return False
        if isinstance(fault, Disconnect):
            self.close_connection = True
            return True
        if isinstance(fault, Status):
            extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            self._send_error(fault.code, extra, head)
            return True
        if isinstance(fault, NotFound):
            self._send_error(404, {}, head)
            return True
        if isinstance(fault, Redirect):
            self._send_error(fault.code, {"Location": fault.location}, head)
            return True
        return False

    def _send_error(self, code: int, extra: Mapping[str, str], head: bool) -> None:
        """An error response with this status and these extra headers."""
        raise NotImplementedError
