"""End to end: `chaingate serve` processes against a local registry that changes during
the test and a local webhook receiver. A change reaches the receiver signed within 60 s
at `--poll-interval 30`, once; a `kill -9` between detection and delivery loses nothing;
PostgreSQL with the work in two `chaingate worker` processes over Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.pypiserver import PyPIServer
from tests.service.conftest import NOW, ServeProcess, api, six_doc, wait_evaluated
from tests.service.receiver import Receiver

SECRET = "e2e-webhook-secret-42424242"
LOCK = {"requirements.txt": "six==1.16.0\n"}


def _watch(url: str, hook: Receiver) -> int:
    with api(url) as c:
        r = c.post("/api/v1/webhooks", json={"url": hook.url, "secret": SECRET})
        assert r.status_code == 201
        pid = int(c.post("/api/v1/projects", json={"name": "shop", "files": LOCK}).json()["id"])
        wait_evaluated(c, pid)
        return pid


def test_a_change_is_a_signed_alert_within_60_s_at_poll_interval_30_and_only_once(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook:
        serve = ServeProcess(tmp_path, db, pypi.index_url, "--poll-interval", "30").start()
        try:
            _watch(serve.url, hook)
            changed = time.time()
            pypi.add_project("six", six_doc(yanked=True))
            (got,) = hook.wait_for(1, timeout=60)
            lag = got.at - changed
            print(f"registry change -> signed alert: {lag:.1f} s at --poll-interval 30")
            assert lag <= 60
            assert got.signed_with(SECRET) and got.json["finding"]["id"] == "yanked-version"
            # the next poll (30 s later) sees the same registry: no second alert
            polls = pypi.hits.get("/pypi/six/json", 0)
            deadline = time.time() + 45
            while pypi.hits.get("/pypi/six/json", 0) == polls:
                assert time.time() < deadline, "no further poll"
                time.sleep(0.5)
            time.sleep(2)
            assert len(hook.received) == 1
        finally:
            serve.stop()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_an_alert_survives_kill_9_between_detection_and_delivery(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db = (
        f"sqlite:///{tmp_path / 'serve.db'}"
        if database == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook:
        serve = ServeProcess(tmp_path, db, pypi.index_url, "--poll-interval", "2").start()
        try:
            pid = _watch(serve.url, hook)
            hook.hold.clear()  # the receiver takes the delivery and does not answer...
            pypi.add_project("six", six_doc(yanked=True))
            assert hook.arrived.wait(30), "no delivery attempt"
            with api(serve.url) as c:  # ...the alert is committed, its delivery pending
                (alert,) = c.get("/api/v1/alerts", params={"project": pid}).json()
                assert alert["deliveries"][0]["status"] == "pending"
            serve.kill9()  # ...and the server dies mid-delivery
            hook.hold.set()
            serve = ServeProcess(tmp_path, db, pypi.index_url, "--poll-interval", "2").start()
            first, again = hook.wait_for(2, timeout=60)
            assert again.signed_with(SECRET)
            key = again.headers["x-chaingate-idempotency-key"]
            assert key == first.headers["x-chaingate-idempotency-key"]  # a receiver drops it
            with api(serve.url) as c:
                (alert,) = c.get("/api/v1/alerts", params={"project": pid}).json()
                assert alert["deliveries"][0]["status"] == "delivered"
        finally:
            serve.stop()


def test_postgresql_with_two_worker_processes(pg_url: str, tmp_path: Path) -> None:
    broker = "redis://127.0.0.1:6379/11"
    try:
        redis.Redis.from_url(broker).flushdb()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis on 127.0.0.1:6379 ({exc}); CI runs this")
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook:
        serve = ServeProcess(
            tmp_path,
            pg_url,
            pypi.index_url,
            "--poll-interval",
            "2",
            "--workers",
            "0",
            "--broker",
            broker,
        ).start()
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "chaingate",
                    "worker",
                    "--db",
                    pg_url,
                    "--broker",
                    broker,
                    "--index-url",
                    pypi.index_url,
                    "--cache-dir",
                    str(tmp_path / f"cache{i}"),
                    "--now",
                    NOW.isoformat(),
                ],
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"worker{i}.log").open("wb"),
            )
            for i in range(2)
        ]
        try:
            _watch(serve.url, hook)  # evaluated by a worker: the server runs no jobs
            pypi.add_project("six", six_doc(yanked=True))
            (got,) = hook.wait_for(1, timeout=60)
            assert got.signed_with(SECRET) and got.json["finding"]["id"] == "yanked-version"
            workers[0].kill()  # one worker gone: the other carries on
            workers[0].wait()
            pypi.add_project("six", six_doc(yanked=True, owner="mallory"))
            _, second = hook.wait_for(2, timeout=60)
            assert second.json["finding"]["id"] == "ownership-change"
        finally:
            serve.stop()
            for w in workers:
                w.terminate()
                w.wait(10)
