"""What a service process is told: the database, the index, the poll interval, the broker."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec

from chaingate.facts.advisories import AdvisorySettings
from chaingate.facts.intel.run import DomainOptions

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # one request body; a lock of a big monorepo is < 2 MB


class ServiceSettings(msgspec.Struct, frozen=True):
    """`db_url`: the service's database (the store's tables live there too);
    `broker_url`: redis:// or amqp:// for workers on other machines, None for the
    in-process queue; `now`: a pinned time for the signals (tests, replays)."""

    db_url: str
    index_url: str
    cache_dir: Path
    poll_interval: float = 300.0
    broker_url: str | None = None
    workers: int = 2
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    admin_token: str | None = None
    session_secret: str | None = None
    now: datetime | None = None
    # deliveries: first retry after this many seconds, doubled each time up to the cap,
    # given up after `give_up_after`
    retry_base: float = 10.0
    retry_cap: float = 3600.0
    give_up_after: float = 24 * 3600.0
    claim_seconds: float = 30.0  # a claimed job not finished by then is handed out again
    feed_interval: float = 10.0  # seconds between two questions to the XML-RPC changelog
    # known advisories (OSV) for every watched pin, asked at each poll; None: the
    # registry's own vulnerability lists only
    advisories: AdvisorySettings | None = None
    # maintainer email domains (DNS, RDAP), re-asked by the polls once their answers are
    # older than `domains.ttl_hours`; None: off
    domains: DomainOptions | None = None
