"""A cold scan's download on two cores: a start-up trick of the command line, not the engine's.

Downloading registry documents is CPU work as much as network work (TLS, HTTP and JSON
decoding run in Python), so a cold scan of ~150 projects keeps one core busy for its whole
download. When at least `MIN_DOCUMENTS` documents must come from the network and the machine
has a second core, `warm` starts a child process (`python -m chaingate.cli.prefetch`) that
fetches a share of them into the same cache with an engine of its own, while this process
fetches the rest; the scan then reads every answer from the cache. The child uses only the
engine's public API (`Engine.fetch`) and says nothing back: a child that fails costs time,
never a package, since whatever it did not leave in the cache the scan fetches itself.

A long-lived engine (the service, the firewall) has no use for this and never sees it.
Measured in bench/RESULTS.md (bench_scan.py, cold, with and without CHAINGATE_NO_PREFETCH).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from chaingate.net.limits import MAX_DOCUMENT_BYTES

if TYPE_CHECKING:
    from chaingate.core.refs import PackageRef
    from chaingate.engine import Engine
    from chaingate.facts.collect import Progress

MIN_DOCUMENTS = 24  # fewer: one process does it faster than two can start
SHARE = (1, 3)  # the child's share: 2 of every 5 (it starts ~0.2 s later, and we decode too)
CHILD_TIMEOUT = 600.0


class _Job(msgspec.Struct, frozen=True):
    cache_dir: str
    ttl: float
    timeout: float
    retries: int
    concurrency: int
    refresh: bool
    indexes: dict[str, str]
    refs: list[str]
    deadline_at: float | None = None
    max_document_bytes: int = MAX_DOCUMENT_BYTES


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def warm(engine: Engine, refs: Sequence[PackageRef], progress: Progress | None = None) -> None:
    """Fill the cache for `refs` on two cores when that pays (see the module docstring)."""
    http = engine.http
    if (
        http.cache_dir is None
        or http.offline
        or _cores() < 2
        or os.environ.get("CHAINGATE_NO_PREFETCH")
    ):
        return
    uncached = engine.to_download(refs)
    if len(uncached) < MIN_DOCUMENTS:
        return
    share = {p for i, p in enumerate(uncached) if i % 5 in SHARE}
    job = _Job(
        cache_dir=str(http.cache_dir),
        ttl=http.ttl,
        timeout=http.timeout,
        retries=http.retries,
        concurrency=max(1, round(http.concurrency * len(SHARE) / 5)),
        refresh=http.refresh,
        indexes={e: engine.index_of(e) for e in engine.ecosystems},
        refs=[str(r) for r in refs if r.project in share],
        deadline_at=http.deadline_at,
        max_document_bytes=http.max_document_bytes,
    )
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "chaingate.cli.prefetch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return  # no second process: the scan fetches everything itself
    assert child.stdin is not None
    try:
        child.stdin.write(msgspec.json.encode(job))
        child.stdin.close()
    except OSError:
        pass  # the child died before reading its job: its share is fetched by the scan later
    try:
        engine.fetch([r for r in refs if r.project not in share], progress)
    finally:
        try:
            child.wait(timeout=_child_timeout(http.deadline_at))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _child_timeout(deadline_at: float | None) -> float:
    """How long the parent waits for the child: no longer than the scan's deadline."""
    if deadline_at is None:
        return CHILD_TIMEOUT
    return max(0.0, min(CHILD_TIMEOUT, deadline_at - time.time()))


def _child() -> None:
    """Fetch the refs the parent sent into the shared cache, then end."""
    from pathlib import Path

    from chaingate.core.refs import PackageRef
    from chaingate.engine import Engine
    from chaingate.net.http import HttpSettings

    job = msgspec.json.decode(sys.stdin.buffer.read(), type=_Job)
    http = HttpSettings(
        cache_dir=Path(job.cache_dir),
        ttl=job.ttl,
        timeout=job.timeout,
        retries=job.retries,
        concurrency=job.concurrency,
        refresh=job.refresh,
        deadline_at=job.deadline_at,
        max_document_bytes=job.max_document_bytes,
    )
    with Engine(http=http, indexes=job.indexes) as engine:
        engine.fetch([PackageRef.parse(r) for r in job.refs])


if __name__ == "__main__":
    _child()
