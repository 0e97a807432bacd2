"""One event loop for a long-lived caller, in a daemon thread, started on first use.

The engine's I/O is async (many registry documents at once, DNS and RDAP beside them) while
its API is plain functions. `asyncio.run` per call would make a new loop each time, and an
HTTP client's connections belong to the loop that opened them: a service or a firewall that
evaluates thousands of packages would reconnect every time. So the engine runs every
coroutine on this one loop, where its one HTTP client lives. A call whose answers all come
from the cache never starts it (nor imports asyncio).
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")


class Loop:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _start(self) -> asyncio.AbstractEventLoop:
        import asyncio

        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name="chaingate-io", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the loop and wait for its result (its exception is raised here)."""
        import asyncio

        loop = self._start()
        if self._thread is threading.current_thread():
            raise RuntimeError("Loop.run called from the loop's own thread")
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def close(self, last: Coroutine[Any, Any, None] | None = None) -> None:
        """Run `last` (e.g. closing the HTTP client), then stop the loop and its thread."""
        if self._loop is None:
            if last is not None:
                last.close()
            return
        if last is not None:
            self.run(last)
        loop, self._loop = self._loop, None
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        loop.close()
