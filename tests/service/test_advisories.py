"""Known-bad reports on watched pins: the watcher asks OSV about every pinned version on
its own schedule, so a malicious-packages report published for a pin raises
`known-malicious` once though neither the lock nor the registry changed; OSV down makes
the check unavailable (in the evaluation and /metrics), never clean, never an alert."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaingate.facts.advisories import AdvisorySettings
from chaingate.store.service_tables import SvcFinding
from tests.osvserver import OsvServer
from tests.pypiserver import PyPIServer
from tests.serverkit import Status
from tests.service.conftest import InProcess, api, six_doc, wait_evaluated
from tests.service.receiver import Receiver

SECRET = "webhook-secret-0123456789"


def _mal_six() -> dict[str, Any]:
    return {
        "id": "MAL-2026-9999", "schema_version": "1.7.4", "modified": "2026-10-30T10:00:00Z",
        "published": "2026-10-30T09:00:00Z", "summary": "Malicious code in six (PyPI)",
        "details": "inert test record", "aliases": [],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "six"}, "versions": ["1.16.0"]}],
        "references": [{"type": "REPORT", "url": "https://example.invalid/six"}],
        "database_specific": {"malicious-packages-origins": [
            {"source": "test", "import_time": "2026-10-30T09:30:00Z"}]},
    }  # fmt: skip


def _open(svc: InProcess, signal: str) -> bool:
    with Session(svc.rt.db) as s:
        return bool(s.scalars(select(SvcFinding).where(SvcFinding.signal == signal,
                                                        SvcFinding.is_open)).first())  # fmt: skip


def _doc(c: Any, pid: int) -> dict[str, Any]:
    doc: dict[str, Any] = c.get(f"/api/v1/projects/{pid}").json()
    return doc


def test_a_malicious_report_on_a_watched_pin_alerts_once_and_osv_down_is_unavailable(
    db_url: str, tmp_path: Path
) -> None:
    with PyPIServer({"six": six_doc()}) as pypi, OsvServer({}) as osv, Receiver() as hook:
        settings = {"poll_interval": 1.0, "advisories": AdvisorySettings(url=osv.url)}
        with InProcess(db_url, pypi.index_url, tmp_path / "cache", **settings) as svc, \
                api(svc.url) as c:  # fmt: skip
            r = c.post("/api/v1/webhooks", json={"url": hook.url, "secret": SECRET,
                                                  "min_severity": "low"})  # fmt: skip
            assert r.status_code == 201, r.text
            lock = {"requirements.txt": "six==1.16.0\n"}
            r = c.post("/api/v1/projects", json={"name": "demo", "files": lock})
            pid = int(r.json()["id"])
            doc = wait_evaluated(c, pid)
            assert doc["checks"]["known-malicious"]["status"] == "ok"
            assert not [f for f in doc["findings"] if f["id"] == "known-malicious"]
            time.sleep(2.5)  # polls of an unchanged registry and an unchanged OSV
            assert hook.received == []
            osv_before = osv.hits.get("/v1/querybatch", 0)
            assert osv_before >= 2  # OSV is asked on the watcher's schedule

            osv.records["MAL-2026-9999"] = _mal_six()  # the registry does not change
            (got,) = hook.wait_for(1, timeout=30)
            assert got.signed_with(SECRET)
            assert got.json["finding"]["id"] == "known-malicious"
            assert got.json["finding"]["ref"] == "pypi:six==1.16.0"
            time.sleep(3)  # the next polls: the same report, no second alert
            assert len(hook.received) == 1

            osv.always("/v1/querybatch", Status(503))  # OSV down
            deadline = time.time() + 30
            while _doc(c, pid)["checks"]["known-malicious"]["status"] != "unavailable":
                assert time.time() < deadline, "OSV down was not seen"
                time.sleep(0.3)
            assert _open(svc, "known-malicious")  # not judged: not closed either
            metrics = c.get("/metrics").text
            assert "chaingate_packages_advisories_unavailable 1.0" in metrics
            time.sleep(2)
            assert len(hook.received) == 1  # unavailable: never an alert

            osv.always("/v1/querybatch", None)  # back, the report still there: not new
            deadline = time.time() + 30
            while _doc(c, pid)["checks"]["known-malicious"]["status"] != "ok":
                assert time.time() < deadline, "OSV back was not seen"
                time.sleep(0.3)
            time.sleep(2)
            assert len(hook.received) == 1
            assert "chaingate_packages_advisories_unavailable 0.0" in c.get("/metrics").text
