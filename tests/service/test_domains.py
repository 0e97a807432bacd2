"""Maintainer email domains, re-checked by the watcher when their answers' TTL expires: a
domain that lapses (RDAP: redemption period) while neither the lock nor the registry
changes is alerted once; a resolver that denies everything and an RDAP service that is
down make the checks unavailable: no alert, the open finding stays open."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaingate.facts.intel.run import DomainOptions
from chaingate.store.service_tables import SvcFinding
from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer
from tests.rdapserver import RdapServer
from tests.service.conftest import InProcess, api, six_doc, wait_evaluated
from tests.service.receiver import Receiver

LATER = datetime(2099, 1, 1, tzinfo=UTC)
SECRET = "webhook-secret-0123456789"
DOMAIN = "sixmaint.com"  # inert: served only by the local DNS and RDAP servers


def _six() -> bytes:
    doc = json.loads(six_doc())
    doc["info"]["author_email"] = f"benjamin@{DOMAIN}"
    return json.dumps(doc).encode()


def _checks(c: Any, pid: int) -> dict[str, Any]:
    checks: dict[str, Any] = c.get(f"/api/v1/projects/{pid}").json()["checks"]
    return checks


def _open(svc: InProcess, signal: str) -> bool:
    with Session(svc.rt.db) as s:
        return bool(s.scalars(select(SvcFinding).where(SvcFinding.signal == signal,
                                                        SvcFinding.is_open)).first())  # fmt: skip


def test_a_lapsing_maintainer_domain_alerts_once_and_a_dead_resolver_never(
    db_url: str, tmp_path: Path
) -> None:
    with PyPIServer({"six": _six()}) as pypi, DnsServer() as dns, RdapServer() as rdap, \
            Receiver() as hook:  # fmt: skip
        dns.add(DOMAIN, a=["192.0.2.7"], mx=[f"10 mail.{DOMAIN}."])
        registered = datetime(2001, 1, 1, tzinfo=UTC)
        rdap.add_domain(DOMAIN, registered=registered, expires=LATER)
        domains = DomainOptions(dns_servers=(dns.spec,), bootstrap_url=rdap.bootstrap_url,
                                ttl_hours=2 / 3600)  # fmt: skip
        # now=None: the clock. A domain's answer expires in real time; a pinned `now` would
        # keep the first answer fresh for ever (the store's answers are judged by it).
        with InProcess(db_url, pypi.index_url, tmp_path / "cache", poll_interval=1.0,
                       domains=domains, now=None) as svc, api(svc.url) as c:  # fmt: skip
            r = c.post("/api/v1/webhooks", json={"url": hook.url, "secret": SECRET,
                                                  "min_severity": "low"})  # fmt: skip
            assert r.status_code == 201, r.text
            lock = {"requirements.txt": "six==1.16.0\n"}
            pid = int(c.post("/api/v1/projects", json={"name": "d", "files": lock}).json()["id"])
            doc = wait_evaluated(c, pid)
            assert doc["checks"]["dns"]["status"] == "ok", doc["checks"]
            assert doc["checks"]["rdap"]["status"] == "ok", doc["checks"]
            assert not [f for f in doc["findings"] if f["id"].startswith("email-domain-")]
            time.sleep(4)  # answers expire and are asked again: nothing changed
            assert hook.received == []

            rdap.add_domain(DOMAIN, registered=registered, expires=LATER,
                            status=["redemption period"])  # the registry says nothing  # fmt: skip
            (got,) = hook.wait_for(1, timeout=40)
            assert got.signed_with(SECRET)
            assert got.json["finding"]["id"] == "email-domain-expired"
            assert got.json["finding"]["evidence"]["domain"] == DOMAIN
            time.sleep(4)  # re-checked again: the same lapse, no second alert
            assert len(hook.received) == 1

            dns.mode = "nxdomain"  # the resolver of these machines: denies everything
            rdap.down = True
            deadline = time.time() + 40
            while _checks(c, pid)["dns"]["status"] != "unavailable":
                assert time.time() < deadline, "the dead resolver was not seen"
                time.sleep(0.3)
            time.sleep(3)
            assert len(hook.received) == 1  # no "unregistered", nothing reopened
            assert _open(svc, "email-domain-expired")  # not judged: not closed either
