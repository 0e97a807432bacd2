"""The watcher and the alerts, in-process on both databases: a registry change reaches a
signed webhook once; a finding that goes away and comes back is alerted again; a
delivery the receiver refuses is retried and, past its deadline, marked failed."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaingate.store.service_tables import SvcDelivery, SvcEvaluation, SvcFinding
from tests.pypiserver import PyPIServer
from tests.service.conftest import InProcess, api, six_doc, wait_evaluated
from tests.service.receiver import Receiver

SECRET = "webhook-secret-0123456789"
LOCK = {"requirements.txt": "six==1.16.0\n"}


def _setup(svc: InProcess, hook: Receiver, fmt: str = "json") -> int:
    with api(svc.url) as c:
        r = c.post("/api/v1/webhooks", json={"url": hook.url, "secret": SECRET,
                                              "min_severity": "low", "format": fmt})  # fmt: skip
        assert r.status_code == 201, r.text
        r = c.post("/api/v1/projects", json={"name": "demo", "files": LOCK})
        assert r.status_code == 201, r.text
        pid = int(r.json()["id"])
        doc = wait_evaluated(c, pid)
        assert not [f for f in doc["findings"] if f["id"] == "yanked-version"]
        return pid


def test_a_yanked_pin_is_alerted_once_signed_and_again_when_it_comes_back(
    db_url: str, tmp_path: Path
) -> None:
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook, InProcess(
        db_url, pypi.index_url, tmp_path / "cache", poll_interval=1.0
    ) as svc:  # fmt: skip
        pid = _setup(svc, hook)
        pypi.add_project("six", six_doc(yanked=True))
        (got,) = hook.wait_for(1, timeout=30)
        assert got.signed_with(SECRET)
        assert not got.signed_with(SECRET + "x")
        body = got.json
        assert body["schema"] == "chaingate/alert/v1"
        assert body["project"] == {"id": pid, "name": "demo"}
        assert body["finding"]["id"] == "yanked-version"
        assert body["finding"]["ref"] == "pypi:six==1.16.0"
        assert body["finding"]["evidence"]["yanked_reason"] == "compromised release"
        assert got.headers["x-chaingate-idempotency-key"] == body["idempotency_key"]
        assert body["seen_at"] <= body["alerted_at"]

        time.sleep(3.5)  # three more polls of an unchanged registry: nothing new
        assert len(hook.received) == 1
        # a change that re-evaluates the project but opens nothing new: still one alert
        evaluations = _evaluations(svc)
        pypi.add_project("six", six_doc(yanked=True, serial=99_999_999))
        deadline = time.time() + 30
        while _evaluations(svc) == evaluations:
            assert time.time() < deadline, "the change was not re-evaluated"
            time.sleep(0.2)
        time.sleep(1)
        assert len(hook.received) == 1
        with api(svc.url) as c:
            (alert,) = c.get("/api/v1/alerts", params={"project": pid}).json()
            assert alert["deliveries"][0]["status"] == "delivered"
            assert c.get("/api/v1/alerts", params={"severity": "critical"}).json() == []

        pypi.add_project("six", six_doc(yanked=False))  # goes away...
        deadline = time.time() + 30
        while _open(svc, "yanked-version"):
            assert time.time() < deadline, "the finding did not close"
            time.sleep(0.2)
        pypi.add_project("six", six_doc(yanked=True))  # ...and comes back: a new alert
        first, second = hook.wait_for(2, timeout=30)
        assert second.json["generation"] == 2
        assert second.json["idempotency_key"] != first.json["idempotency_key"]


def _evaluations(svc: InProcess) -> int:
    with Session(svc.rt.db) as s:
        return len(list(s.scalars(select(SvcEvaluation.id))))


def _open(svc: InProcess, signal: str) -> bool:
    with Session(svc.rt.db) as s:
        return bool(s.scalars(select(SvcFinding).where(SvcFinding.signal == signal,
                                                        SvcFinding.is_open)).first())  # fmt: skip


def test_an_owner_replaced_is_alerted_in_slack_form(db_url: str, tmp_path: Path) -> None:
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook, InProcess(
        db_url, pypi.index_url, tmp_path / "cache", poll_interval=1.0
    ) as svc:  # fmt: skip
        _setup(svc, hook, fmt="slack")
        pypi.add_project("six", six_doc(owner="mallory"))
        (got,) = hook.wait_for(1, timeout=30)
        assert got.signed_with(SECRET)
        assert "ownership-change" in got.json["text"] and "demo" in got.json["text"]


def test_a_refused_delivery_is_retried_then_given_up(db_url: str, tmp_path: Path) -> None:
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook, InProcess(
        db_url, pypi.index_url, tmp_path / "cache", poll_interval=1.0,
        retry_base=0.5, give_up_after=6.0, claim_seconds=2.0,
    ) as svc:  # fmt: skip
        hook.statuses = [500] * 100
        _setup(svc, hook)
        pypi.add_project("six", six_doc(yanked=True))
        deadline = time.time() + 40
        while True:
            with Session(svc.rt.db) as s:
                d = s.scalars(select(SvcDelivery)).first()
                if d is not None and d.status == "failed":
                    break
            assert time.time() < deadline, "the delivery was not given up"
            time.sleep(0.3)
        assert d.attempts >= 3 and d.last_error is not None and "500" in d.last_error
        # every attempt carried the same body, signature and idempotency key
        keys = {r.headers["x-chaingate-idempotency-key"] for r in hook.received}
        assert len(keys) == 1 and all(r.signed_with(SECRET) for r in hook.received)


def test_the_changelog_feed_sees_an_owner_change_long_before_the_next_poll(
    tmp_path: Path,
) -> None:
    """--poll-interval 300, but the index serves PyPI's XML-RPC changelog: the change it
    names is polled at once. An entry for a package nobody watches polls nothing."""
    with PyPIServer({"six": six_doc()}) as pypi, Receiver() as hook:
        pypi.changelog = [("six", "1.16.0", 1_600_000_000, "new release", 41)]
        with InProcess(f"sqlite:///{tmp_path / 'd.db'}", pypi.index_url, tmp_path / "cache",
                       poll_interval=300.0, feed_interval=0.5) as svc:  # fmt: skip
            _setup(svc, hook)
            time.sleep(1.5)  # the first polls after the evaluation are done
            polls = pypi.hits.get("/pypi/six/json", 0)
            pypi.changelog.append(("requests", "9.9", 1_700_000_000, "new release", 42))
            time.sleep(2)
            assert pypi.hits.get("/pypi/six/json", 0) == polls  # not six's change
            changed = time.time()
            pypi.add_project("six", six_doc(owner="mallory"))
            pypi.changelog.append(("Six", None, 1_700_000_001, "remove Owner gutworth", 43))
            (got,) = hook.wait_for(1, timeout=20)
            assert got.at - changed < 10  # not the 300 s poll
            assert got.json["finding"]["id"] == "ownership-change"
            assert svc.rt.actors is not None


def test_without_a_feed_the_watcher_polls(tmp_path: Path) -> None:
    from chaingate.service.feed import Changelog, xmlrpc_url

    assert xmlrpc_url("https://pypi.org/simple/") == "https://pypi.org/pypi"
    assert xmlrpc_url("https://mirror.example/pypi/simple") == "https://mirror.example/pypi/pypi"
    assert xmlrpc_url("https://example.com/repo/") is None
    with PyPIServer({"six": six_doc()}) as pypi, InProcess(
        f"sqlite:///{tmp_path / 'd.db'}", pypi.index_url, tmp_path / "cache"
    ) as svc:  # fmt: skip
        feed = Changelog(svc.rt)  # the server answers POST /pypi with 404
        assert feed.changed() == set() and feed.status == "unavailable: HTTP 404"
        assert feed.changed() == set() and pypi.hits.get("/pypi", 0) == 1  # not asked again
