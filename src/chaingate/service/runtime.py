"""One per process: the database, the long-lived engine and the job actors."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from chaingate.service.settings import ServiceSettings

if TYPE_CHECKING:
    from sqlalchemy import Engine as Database

    from chaingate.engine import Engine
    from chaingate.service.jobs import Actors
    from chaingate.store.db import Store


class Runtime:
    """What every job and request of a process shares. The engine revalidates every
    registry document it is asked for (`ttl=0`: a conditional request, a 304 when nothing
    changed) -- the watcher's whole point is to see a change on the next poll -- and keeps
    its observations in the service's database, so ownership changes are seen."""

    def __init__(self, settings: ServiceSettings) -> None:
        from chaingate.engine import Engine
        from chaingate.net.atomic import private_dirs
        from chaingate.net.http import HttpSettings
        from chaingate.store.db import Store

        self.settings = settings
        private_dirs(settings.cache_dir)
        self.store: Store = Store(settings.db_url)
        self.db: Database = self.store.engine
        self.engine: Engine = Engine(
            http=HttpSettings(cache_dir=settings.cache_dir, ttl=0.0, retries=2, timeout=20.0),
            indexes={"pypi": settings.index_url},
            store=self.store,
            now=settings.now,
            advisories=settings.advisories,
            domains=settings.domains,
        )
        # Webhook deliveries: their own client (no cache, no redirects followed, short
        # retries: the schedule of hours is the database's) on their own loop.
        from chaingate.net.http import HttpClient
        from chaingate.net.loop import Loop

        self.deliveries = Loop()
        self.delivery_client = HttpClient(
            HttpSettings(cache_dir=None, timeout=10.0, retries=1, backoff=0.5)
        )
        # One evaluation at a time per process: the engine's store and memo are shared.
        self.scan_lock = threading.Lock()
        self.actors: Actors | None = None

    def close(self) -> None:
        self.deliveries.close(self.delivery_client.__aexit__(None, None, None))
        self.engine.close()  # closes the store too
