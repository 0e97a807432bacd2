"""PyPI's XML-RPC changelog (`changelog_since_serial`): every release, removal and role
change on the index, with a serial. Where the index serves it (POST <index host>/pypi),
the scheduler asks it every `feed_interval` seconds and polls the watched packages it
names at once, so an owner replaced is seen in seconds rather than at the next
`--poll-interval`. Polling stays the backstop: where the feed answers 404 or errors (as on
the PyPI copy these machines reach), or for changes made while the server was down (the
feed starts from the serial it finds at start-up), nothing is lost, only later."""

from __future__ import annotations

import logging
import time
import xmlrpc.client
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from xml.parsers.expat import ExpatError

from chaingate.service.runtime import Runtime

log = logging.getLogger("chaingate.service")
RETRY_UNAVAILABLE = 600.0  # seconds before asking a feed that failed again


def xmlrpc_url(index_url: str) -> str | None:
    """`https://pypi.org/simple/` -> `https://pypi.org/pypi`; None for an index that is
    not laid out like PyPI."""
    parts = urlsplit(index_url)
    path = parts.path.rstrip("/")
    if not path.endswith("/simple") and path != "/simple":
        return None
    return urlunsplit((parts.scheme, parts.netloc, path[: -len("simple")] + "pypi", "", ""))


class Changelog:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.url = xmlrpc_url(rt.settings.index_url)
        self.serial: int | None = None
        self.retry_at = 0.0
        self.status = "not asked" if self.url else "the index has no XML-RPC endpoint"

    def changed(self) -> set[str]:
        """Normalised names of the projects that changed since the last call (none on the
        first call, which only learns the current serial, and none while unavailable)."""
        if self.url is None or time.monotonic() < self.retry_at:
            return set()
        from chaingate.net.http import FetchError

        try:
            if self.serial is None:
                self.serial = int(self._call("changelog_last_serial"))
                self.status = "ok"
                return set()
            entries = self._call("changelog_since_serial", self.serial)
            normalize = self.rt.engine.ecosystems["pypi"].names.normalize
            names: set[str] = set()
            for entry in entries:
                names.add(normalize(str(entry[0])))
                self.serial = max(self.serial, int(entry[4]))
        except (FetchError, ExpatError, xmlrpc.client.Error, ValueError, TypeError,
                IndexError) as exc:  # fmt: skip
            self.retry_at = time.monotonic() + RETRY_UNAVAILABLE
            if self.status != f"unavailable: {exc}":
                log.warning("XML-RPC changelog at %s unavailable, polling only: %s", self.url, exc)
            self.status = f"unavailable: {exc}"
            return set()
        return names

    def _call(self, method: str, *params: Any) -> Any:
        from chaingate.net.http import FetchError

        assert self.url is not None
        body = xmlrpc.client.dumps(params, method).encode()
        status, answer = self.rt.deliveries.run(
            self.rt.delivery_client.send("POST", self.url, body, {"Content-Type": "text/xml"})
        )
        if status != 200:
            raise FetchError(f"HTTP {status}")
        (result,), _ = xmlrpc.client.loads(answer)
        return result
