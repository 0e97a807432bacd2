"""`chaingate proxy`: a PEP 503/691 package-index firewall over `Engine.evaluate`.

    app = build(ProxyConfig(upstream="https://pypi.org", cache_dir=Path("/var/cache/cg")),
                engine)
    serve(app, "127.0.0.1", 3141)             # blocks (uvicorn)

The parts: `pages` (read and write simple pages), `upstream` (the one index fetched from),
`files` (verified files by digest), `decisions` (verdicts per version), `app` (Starlette).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import msgspec
from starlette.applications import Starlette

from chaingate.engine import Engine
from chaingate.net.http import HttpSettings

if TYPE_CHECKING:
    from chaingate.store.db import Store


class ProxyConfig(msgspec.Struct, frozen=True):
    """What the proxy needs beyond the engine: the upstream, where files and pages are kept,
    how long a page is fresh (`page_ttl`, seconds: the upstream is asked again after it),
    client authentication (`user:password`, or a token) and a pinned clock."""

    upstream: str
    cache_dir: Path
    page_ttl: float = 60.0
    auth: str | None = None
    now: datetime | None = None
    file_hosts: tuple[str, ...] | None = None
    timeout: float = 20.0
    retries: int = 2


def build(config: ProxyConfig, engine: Engine, store: Store | None = None) -> Starlette:
    """The ASGI application for `config`, judging with `engine` (its policy's `[gate]`
    cooldown), keeping verdicts in `store` too. Both stay the caller's to close."""
    from chaingate.proxy.app import Proxy, create_app
    from chaingate.proxy.decisions import Decider
    from chaingate.proxy.files import FileCache
    from chaingate.proxy.upstream import Upstream

    settings = HttpSettings(
        cache_dir=config.cache_dir / "pages",
        ttl=config.page_ttl,
        timeout=config.timeout,
        retries=config.retries,
        backoff=0.2,
    )
    upstream = Upstream(config.upstream, settings, config.file_hosts)
    files = FileCache(config.cache_dir / "files", upstream)
    pinned = config.now
    now: Callable[[], datetime] = (
        (lambda: pinned) if pinned is not None else (lambda: datetime.now(UTC))
    )
    decider = Decider(engine, engine.policy.cooldown, now, store=store)
    return create_app(Proxy(decider, files, config.auth))


class Served:
    """An application served by uvicorn on `host:port` (port 0: any free one) in a
    background thread; `url` is its base URL. Use as a context manager."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{host if family == socket.AF_INET else f'[{host}]'}:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> Served:
        self._thread.start()
        import time

        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


def serve(app: Starlette, host: str, port: int) -> None:
    """Serve `app` in the foreground until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


__all__ = ["ProxyConfig", "Served", "build", "serve"]
