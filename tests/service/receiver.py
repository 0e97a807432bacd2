"""A webhook receiver for tests: real HTTP on 127.0.0.1 recording every POST.

with Receiver() as hook:
    hook.statuses = [503]        # answer the next POST 503, then 200s
    hook.hold.clear()            # hold every POST until hook.hold.set()
    hook.wait_for(1, timeout=60) # the first POST, as (headers, body)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Received:
    def __init__(self, headers: Mapping[str, str], body: bytes, at: float) -> None:
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body
        self.at = at

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    def signed_with(self, secret: str) -> bool:
        want = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-chaingate-signature", ""), want)


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.hold = threading.Event()
        self.hold.set()
        self.arrived = threading.Event()  # set when a held request has come in
        self._cond = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.arrived.set()
                owner.hold.wait(120)
                with owner._cond:
                    status = owner.statuses.pop(0) if owner.statuses else 200
                    owner.received.append(Received(dict(self.headers), body, time.time()))
                    owner._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """The first `count` POSTs, waiting up to `timeout` s; AssertionError when fewer came."""
        deadline = time.time() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.time()
                got = len(self.received)
                assert left > 0, f"{got} deliveries after {timeout} s, wanted {count}"
                self._cond.wait(left)
            return list(self.received[:count])
