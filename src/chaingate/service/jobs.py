"""The work as jobs on Dramatiq, and the scheduler that hands it out.

Why Dramatiq: a small, well-kept job library whose brokers (Redis, RabbitMQ) are durable
and whose `StubBroker` runs the same actors in one process -- the SQLite mode needs no
other server. The database stays the truth: a poll's change, an evaluation's alerts and
their pending deliveries are committed before any message is sent, and the scheduler
sends again what a crashed process left (changes not evaluated, deliveries not made), so a
lost message delays work but never loses it.

Actors: `chaingate.poll(watch_ids)` (watcher.poll, then an evaluate per change),
`chaingate.evaluate(project_id, change_id)` (evaluate.evaluate, then a deliver per
delivery), `chaingate.deliver(delivery_id)` (deliver.attempt; its retries are the
database's schedule, not Dramatiq's)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import dramatiq
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from chaingate.service import deliver, evaluate, watcher
from chaingate.service.runtime import Runtime
from chaingate.store.service_tables import SvcDelivery, SvcWatch

log = logging.getLogger("chaingate.service")
POLL_BATCH = 50  # packages per poll job: fetched concurrently by the engine
QUEUE = "chaingate"
_runtime: Runtime | None = None


class Actors(NamedTuple):
    broker: dramatiq.Broker
    poll: dramatiq.Actor[Any, Any]
    evaluate: dramatiq.Actor[Any, Any]
    deliver: dramatiq.Actor[Any, Any]


def _rt() -> Runtime:
    assert _runtime is not None, "jobs.bind(runtime) first"
    return _runtime


def _poll(watch_ids: list[int]) -> None:
    rt = _rt()
    assert rt.actors is not None
    for project_id, change_id in watcher.poll(rt, watch_ids):
        rt.actors.evaluate.send(project_id, change_id)


def _evaluate(project_id: int, change_id: int | None) -> None:
    rt = _rt()
    made = evaluate.evaluate(rt, project_id, change_id)
    send_deliveries(rt, claim(rt, made))


def _deliver(delivery_id: int) -> None:
    deliver.attempt(_rt(), delivery_id)


def make_broker(url: str | None) -> dramatiq.Broker:
    """Redis (`redis://`) or RabbitMQ (`amqp://`) for workers in other processes; the
    in-process stub broker when there is none."""
    if url is None:
        return StubBroker()
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url)  # type: ignore[no-untyped-call]
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url)
    raise ValueError(f"broker URL {url!r}: expected redis://... or amqp://...")


def bind(rt: Runtime, broker: dramatiq.Broker) -> Actors:
    """Declare the actors on `broker` for this process's runtime."""
    global _runtime
    _runtime = rt
    dramatiq.set_broker(broker)

    def actor(fn: Any, name: str, retries: int) -> dramatiq.Actor[Any, Any]:
        options = {"max_retries": retries, "min_backoff": 1000, "max_backoff": 60_000,
                   "time_limit": 15 * 60 * 1000}  # fmt: skip
        return dramatiq.Actor(
            fn, broker=broker, actor_name=name, queue_name=QUEUE, priority=0, options=options
        )

    actors = Actors(
        broker,
        actor(_poll, "chaingate.poll", 3),
        actor(_evaluate, "chaingate.evaluate", 5),
        actor(_deliver, "chaingate.deliver", 0),
    )
    rt.actors = actors
    return actors


def start_workers(actors: Actors, threads: int) -> dramatiq.Worker:
    worker = dramatiq.Worker(actors.broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    return worker


def claim(rt: Runtime, delivery_ids: Sequence[int]) -> list[int]:
    """Mark these pending deliveries as handed out for `claim_seconds` (the scheduler does
    not send them again meanwhile; a worker that died leaves them due again after)."""
    if not delivery_ids:
        return []
    until = datetime.now(UTC) + timedelta(seconds=rt.settings.claim_seconds)
    with Session(rt.db) as s, s.begin():
        s.execute(
            update(SvcDelivery)
            .where(SvcDelivery.id.in_(list(delivery_ids)), SvcDelivery.status == "pending")
            .values(next_attempt_at=until)
        )
    return list(delivery_ids)


def send_deliveries(rt: Runtime, ids: Sequence[int]) -> None:
    assert rt.actors is not None
    for i in ids:
        rt.actors.deliver.send(i)


class Scheduler(threading.Thread):
    """The clock of a `serve` process: polls that are due, deliveries that are due, and
    changes a crashed process left unevaluated. Claims are row-locked (`SKIP LOCKED` on
    PostgreSQL), so two servers on one database do not hand out the same work."""

    def __init__(self, rt: Runtime, tick: float = 1.0, stale_after: float = 300.0) -> None:
        super().__init__(name="chaingate-scheduler", daemon=True)
        self.rt = rt
        self.tick = tick
        self.stale_after = stale_after
        self.stopping = threading.Event()
        from chaingate.service.feed import Changelog

        self.feed = Changelog(rt)
        self.feed_at = 0.0

    def run(self) -> None:
        rt = self.rt
        assert rt.actors is not None
        for project_id, change_id in evaluate.pending_changes(rt, 0):  # left by a crash
            rt.actors.evaluate.send(project_id, change_id)
        last_sweep = datetime.now(UTC)
        while not self.stopping.wait(self.tick):
            try:
                self.once()
                if (datetime.now(UTC) - last_sweep).total_seconds() > 60:
                    last_sweep = datetime.now(UTC)
                    for pid, cid in evaluate.pending_changes(rt, self.stale_after):
                        rt.actors.evaluate.send(pid, cid)
            except Exception:  # the clock must keep ticking; the next tick tries again
                log.exception("scheduler tick failed")

    def once(self) -> None:
        rt = self.rt
        assert rt.actors is not None
        now = datetime.now(UTC)
        interval = timedelta(seconds=rt.settings.poll_interval)
        claim = timedelta(seconds=rt.settings.claim_seconds)
        names: set[str] = set()
        if time.monotonic() >= self.feed_at:
            self.feed_at = time.monotonic() + rt.settings.feed_interval
            names = self.feed.changed()
        with Session(rt.db) as s, s.begin():
            if names:  # named by the changelog feed: due now
                s.execute(
                    update(SvcWatch)
                    .where(SvcWatch.ecosystem == "pypi", SvcWatch.name.in_(sorted(names)))
                    .values(due_at=now)
                )
            due = _claim(s, SvcWatch, SvcWatch.due_at, [], now, now + interval, 10_000)
            pending = _claim(s, SvcDelivery, SvcDelivery.next_attempt_at,
                             [SvcDelivery.status == "pending"], now, now + claim, 1000)  # fmt: skip
        for i in range(0, len(due), POLL_BATCH):
            rt.actors.poll.send(due[i : i + POLL_BATCH])
        send_deliveries(rt, pending)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)


def _claim(
    s: Session, table: Any, column: Any, where: list[Any], now: datetime, until: datetime,
    limit: int,
) -> list[int]:  # fmt: skip
    """The ids of `table`'s rows due by `now` (`column` <= now), moved to `until`: claimed
    for this scheduler (rows another one is claiming are skipped, not waited for)."""
    ids = list(s.scalars(
        select(table.id).where(column <= now, *where).order_by(column).limit(limit)
        .with_for_update(skip_locked=True)
    ))  # fmt: skip
    if ids:
        s.execute(update(table).where(table.id.in_(ids)).values({column.key: until}))
    return ids
