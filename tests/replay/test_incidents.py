"""Incident replays: registry documents as they looked during the attack, served by the
local PyPI, fed through the real scan pipeline with "now" pinned to the attack.

The documents are reconstructed from public incident reports (see
tests/fixtures/pypi/RECORDED.md); the assertion is the finding that would have stopped it.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from chaingate.core.findings import Severity
from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import DomainOptions, ScanOptions, run_scan
from chaingate.net.http import HttpSettings
from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer
from tests.rdapserver import RdapServer, healthy_world

REPLAY = Path(__file__).resolve().parent.parent / "fixtures" / "pypi" / "replay"


def scan(
    server: PyPIServer, tmp_path: Path, pin: str, now: str | None, as_of: str | None = None
) -> ScanResult:
    """`pin` judged at `now` on the documents served, or with the time machine `as_of`."""
    name, _, version = pin.partition("==")
    inv = Inventory(".", (Package("pypi", name, version, True, ((name,),)),), ("req.txt",))
    opts = ScanOptions(
        index_url=server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01),
        db_url=None,
        now=datetime.fromisoformat(now).astimezone(UTC) if now else None,
        as_of=datetime.fromisoformat(as_of).astimezone(UTC) if as_of else None,
    )
    return run_scan(inv, opts)


def by_id(result: ScanResult) -> dict[str, Severity]:
    return {f.id: f.severity for f in result.findings}


def test_ctx_release_history_gives_dormancy_and_burst(
    replay_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(replay_server, tmp_path, "ctx==0.2.6", "2022-05-22T00:00:00Z")
    found = by_id(result)
    assert found["dormant-then-release"] == Severity.CRITICAL
    assert found["release-burst"] == Severity.HIGH
    assert "single-owner" in found
    dormant = next(f for f in result.findings if f.id == "dormant-then-release")
    assert dormant.evidence["previous_release"] == "0.1.2"
    assert dormant.evidence["quiet_days"] > 365 * 7
    assert set(dormant.evidence["combined_with"]) >= {"release-burst", "single-owner"}


def test_ctx_pinned_to_the_old_release_still_warns_about_the_latest(
    replay_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(replay_server, tmp_path, "ctx==0.1.2", "2022-05-22T00:00:00Z")
    dormant = next(f for f in result.findings if f.id == "dormant-then-release")
    assert dormant.evidence["role"] == "latest"


def test_ctx_twelve_minutes_after_the_first_malicious_upload(tmp_path: Path) -> None:
    """The moment a gate has to act: one new release after 7.5 years, minutes old."""
    doc = (REPLAY / "timeline" / "ctx" / "2022-05-14T19-30Z.json").read_bytes()
    with PyPIServer({"ctx": doc}) as server:
        result = scan(server, tmp_path, "ctx==0.1.4", "2022-05-14T19:30:00Z")
    found = by_id(result)
    assert found["dormant-then-release"] == Severity.CRITICAL
    assert found["new-release"] == Severity.HIGH
    assert "release-burst" not in found  # one release is not a burst yet


def test_ctx_before_the_attack_is_quiet_apart_from_bus_factor(tmp_path: Path) -> None:
    doc = (REPLAY / "timeline" / "ctx" / "2022-05-14T18-00Z.json").read_bytes()
    with PyPIServer({"ctx": doc}) as server:
        result = scan(server, tmp_path, "ctx==0.1.2", "2022-05-14T18:00:00Z")
    assert set(by_id(result)) <= {"single-owner"}
    assert result.worst() in (None, Severity.INFO)


def test_exotel_phishing_release_on_a_quiet_project(
    replay_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(replay_server, tmp_path, "exotel==0.1.6", "2022-08-24T12:00:00Z")
    found = by_id(result)
    assert found["dormant-then-release"] >= Severity.HIGH
    assert found["new-release"] >= Severity.HIGH


def test_num2words_malicious_release_is_new(replay_server: PyPIServer, tmp_path: Path) -> None:
    result = scan(replay_server, tmp_path, "num2words==0.5.15", "2025-07-28T16:00:00Z")
    assert "new-release" in by_id(result)


def test_sole_owner_replaced_between_two_scans(pypi_server: PyPIServer, tmp_path: Path) -> None:
    """event-stream style: the store remembers the owners; the next scan sees the change."""
    db = f"sqlite:///{tmp_path / 'store.db'}"
    settings = HttpSettings(cache_dir=tmp_path / "cache", ttl=0, backoff=0.01)
    inv = Inventory(".", (Package("pypi", "six", "1.17.0", True, (("six",),)),), ("r.txt",))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    opts = ScanOptions(index_url=pypi_server.url, http=settings, db_url=db, now=now)
    first = run_scan(inv, opts)
    assert "ownership-change" not in by_id(first)

    doc = json.loads(gzip.decompress((REPLAY.parent / "six.json.gz").read_bytes()))
    before = [r["user"] for r in doc["ownership"]["roles"]]
    doc["ownership"]["roles"] = [{"role": "Owner", "user": "new-maintainer-2026"}]
    pypi_server.add_project("six", json.dumps(doc).encode())
    later = ScanOptions(
        index_url=pypi_server.url, http=settings, db_url=db, now=now.replace(day=26)
    )
    second = run_scan(inv, later)
    change = next(f for f in second.findings if f.id == "ownership-change")
    assert change.severity == Severity.HIGH
    assert change.evidence["removed"] == before
    assert change.evidence["added"] == ["new-maintainer-2026"]
    # Reported once: the third scan compares against the new owners.
    assert "ownership-change" not in by_id(run_scan(inv, later))


def test_ctx_end_to_end_with_the_reregistered_domain(
    replay_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """ctx on 2022-05-22: figlief.com was re-registered 2022-05-14 18:40 UTC, 38 minutes
    before the first upload in 7.5 years; DNS and RDAP are local servers saying so."""
    dns_server.add("figlief.com", a=["192.0.2.7"], mx=["10 mail.figlief.com."])
    rdap_server.add_domain(
        "figlief.com",
        registered=datetime(2022, 5, 14, 18, 40, tzinfo=UTC),
        expires=datetime(2023, 5, 14, 18, 40, tzinfo=UTC),
    )
    inv = Inventory(".", (Package("pypi", "ctx", "0.2.6", True, (("ctx",),)),), ("req.txt",))
    opts = ScanOptions(
        index_url=replay_server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01),
        db_url=None,
        now=datetime(2022, 5, 22, tzinfo=UTC),
        domains=DomainOptions(
            dns_servers=(dns_server.spec,), bootstrap_url=rdap_server.bootstrap_url
        ),
    )
    result = run_scan(inv, opts)
    found = by_id(result)
    assert found["email-domain-reregistered"] == Severity.CRITICAL
    assert found["dormant-then-release"] == Severity.CRITICAL
    assert found["release-burst"] == Severity.HIGH
    rereg = next(f for f in result.findings if f.id == "email-domain-reregistered")
    assert rereg.evidence["domain"] == "figlief.com"
    assert rereg.evidence["dormant_before"] and rereg.evidence["release_soon_after"]
    assert result.checks["dns"].status == "ok" and result.checks["rdap"].status == "ok"

    # A warm re-scan within the domain TTL sends no DNS query and no RDAP request.
    dns_server.clear_log()
    rdap_server.clear_log()
    again = run_scan(inv, opts)
    assert by_id(again)["email-domain-reregistered"] == Severity.CRITICAL
    assert dns_server.queries == [] and sum(rdap_server.hits.values()) == 0


def test_ctx_on_a_resolver_that_denies_everything_raises_no_domain_alarm(
    replay_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    dns_server.mode = "nxdomain"
    rdap_server.down = True
    inv = Inventory(".", (Package("pypi", "ctx", "0.2.6", True, (("ctx",),)),), ("req.txt",))
    opts = ScanOptions(
        index_url=replay_server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01, retries=0),
        db_url=None,
        now=datetime(2022, 5, 22, tzinfo=UTC),
        domains=DomainOptions(
            dns_servers=(dns_server.spec,), bootstrap_url=rdap_server.bootstrap_url
        ),
    )
    result = run_scan(inv, opts)
    assert not [f for f in result.findings if f.id.startswith("email-domain-")]
    assert result.checks["dns"].status == "unavailable"
    assert result.checks["rdap"].status == "unavailable"
    assert "dormant-then-release" in by_id(result)  # the rest of the scan still works

    # Within the next minutes, neither source is asked again; the report says so and when.
    dns_server.clear_log()
    rdap_server.clear_log()
    again = run_scan(inv, opts)
    assert dns_server.queries == [] and sum(rdap_server.hits.values()) == 0
    assert again.checks["dns"].status == "unavailable"
    assert "asked again after 10 min" in again.checks["dns"].reason
    assert not [f for f in again.findings if f.id.startswith("email-domain-")]


def test_domain_answers_are_kept_in_the_store_for_their_ttl(
    pypi_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """With the cache's copy gone (a wiped cache, another machine on a shared database),
    answers younger than the TTL come from the store: no DNS query, no RDAP request."""
    healthy_world(dns_server, rdap_server)
    inv = Inventory(".", (Package("pypi", "requests", "2.32.5", True, (("requests",),)),), ("r",))
    opts = ScanOptions(
        index_url=pypi_server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", ttl=0, backoff=0.01),
        db_url=f"sqlite:///{tmp_path / 'store.db'}",
        now=datetime(2026, 11, 25, 12, tzinfo=UTC),
        domains=DomainOptions(
            dns_servers=(dns_server.spec,), bootstrap_url=rdap_server.bootstrap_url
        ),
    )
    first = run_scan(inv, opts)
    assert "kennethreitz.org" in first.domains
    (tmp_path / "cache" / "domains.msgpack").unlink()
    dns_server.clear_log()
    rdap_server.clear_log()
    second = run_scan(inv, opts)
    assert dns_server.queries == [] and sum(rdap_server.hits.values()) == 0
    assert second.domains["kennethreitz.org"].rdap == first.domains["kennethreitz.org"].rdap


def test_litellm_an_hour_after_the_token_upload(replay_server: PyPIServer, tmp_path: Path) -> None:
    """litellm 1.82.7 (RECONSTRUCTED history): only the cooldown sees it, on a project that
    releases every few days."""
    result = scan(replay_server, tmp_path, "litellm==1.82.7", None, as_of="2026-03-24T09:53:00Z")
    assert by_id(result)["new-release"] == Severity.MEDIUM
    assert "dormant-then-release" not in by_id(result)
    assert result.facts[PackageRef("pypi", "litellm")].latest_version == "1.82.7"


def test_litellm_1_82_8_before_its_upload_was_not_yet_published(
    replay_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(replay_server, tmp_path, "litellm==1.82.8", None, as_of="2026-03-24T09:53:00Z")
    [gap] = result.incomplete
    assert "not yet published as of 2026-03-24T09:53:00Z" in gap.reason
    assert result.findings == ()


def test_durabletask_three_releases_in_35_minutes(
    replay_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(replay_server, tmp_path, "durabletask==1.4.3", None, as_of="2026-05-19T17:00:00Z")
    facts = result.facts[PackageRef("pypi", "durabletask")]
    assert [r.version for r in facts.releases][-3:] == ["1.4.1", "1.4.2", "1.4.3"]
    assert "new-release" in by_id(result)
    assert "release-burst" not in by_id(result)  # 3 < burst_min_releases (5)


def test_telnyx_an_hour_after(replay_server: PyPIServer, tmp_path: Path) -> None:
    result = scan(replay_server, tmp_path, "telnyx==4.87.1", None, as_of="2026-03-27T04:51:00Z")
    assert "new-release" in by_id(result)
    assert result.checks["ownership"].status == "as-of-now"


def test_ultralytics_8_3_46_without_the_attestations_before_it(
    replay_server: PyPIServer, tmp_path: Path
) -> None:
    """ultralytics round 2 (RECONSTRUCTED history and provenance): an hour after the token
    upload, 8.3.46 lacks the attestation 8.3.30 .. 8.3.44 carried, a new release too:
    critical. 8.3.42 (round 1, attested by the project's own poisoned workflow) shows no
    regression: only comparing the artifact with the source would catch it."""
    from tests.replay.table import serve_provenance

    serve_provenance(replay_server)
    result = scan(replay_server, tmp_path, "ultralytics==8.3.46", None, as_of="2024-12-07T11:05Z")
    assert result.checks["provenance"].status == "ok"
    assert by_id(result)["provenance-regression"] == Severity.CRITICAL
    (regression,) = [f for f in result.findings if f.id == "provenance-regression"]
    assert regression.evidence["last_attested"] == "8.3.44"
    round_one = scan(
        replay_server, tmp_path, "ultralytics==8.3.42", None, as_of="2024-12-05T10:15Z"
    )
    assert "provenance-regression" not in by_id(round_one)
    assert "publisher-change" not in by_id(round_one)


def test_litellm_once_pypi_quarantined_it(replay_server: PyPIServer, tmp_path: Path) -> None:
    """litellm (RECONSTRUCTED history; the quarantine and its time are public): PyPI put the
    project in quarantine (PEP 792) at 11:25 UTC, 2h32m after the token upload. From then
    the simple page says so, and any pin of the project is critical and blocked -- even one
    no advisory names yet. Before the quarantine the same pin is only a new release."""
    from chaingate.policy.interface import Action
    from chaingate.policy.policy import Policy, decide
    from tests.pypiserver import PageExtras

    before = scan(replay_server, tmp_path / "before", "litellm==1.82.6", "2026-03-24T11:00:00Z")
    assert "project-quarantined" not in by_id(before)
    replay_server.set_page(
        "litellm", PageExtras(status="quarantined", reason="reported malicious (reconstructed)")
    )
    after = scan(replay_server, tmp_path / "after", "litellm==1.82.6", "2026-03-24T11:30:00Z")
    assert by_id(after)["project-quarantined"] == Severity.CRITICAL
    decisions = decide(after, Policy(), datetime(2026, 3, 24, tzinfo=UTC).date())
    quarantined = [d for d in decisions if d.finding.id == "project-quarantined"]
    assert [d.action for d in quarantined] == [Action.BLOCK]


def test_a_release_by_another_trusted_publisher(replay_server: PyPIServer, tmp_path: Path) -> None:
    """publisher-change (HYPOTHETICAL, shaped on ultralytics' RECONSTRUCTED history): had
    8.3.46 carried an attestation, but from a workflow in another repository than the
    `ultralytics/ultralytics` publish.yml that attested 8.3.30 .. 8.3.44, the weaker
    evidence is another publisher: high (or more), which blocks."""
    from tests.pypiserver import PageExtras
    from tests.replay.table import REPLAYS

    history = json.loads((REPLAYS / "provenance" / "ultralytics.json").read_text("utf-8"))
    wheel = "ultralytics-8.3.46-py3-none-any.whl"
    forged = json.loads(json.dumps(history["8.3.44"]["ultralytics-8.3.44-py3-none-any.whl"]))
    forged["attestation_bundles"][0]["publisher"]["repository"] = "ultra1ytics/ultralytics"
    history["8.3.46"] = {wheel: forged}
    urls = {}
    for version, files in history.items():
        for filename, provenance in files.items():
            where = f"/integrity/ultralytics/{version}/{filename}/provenance"
            replay_server.add_document(where, json.dumps(provenance).encode())
            urls[filename] = replay_server.url + where
    replay_server.set_page("ultralytics", PageExtras(provenance=urls))
    result = scan(replay_server, tmp_path, "ultralytics==8.3.46", None, as_of="2024-12-07T11:05Z")
    assert result.checks["provenance"].status == "ok"
    assert by_id(result)["publisher-change"] >= Severity.HIGH
    (change,) = [f for f in result.findings if f.id == "publisher-change"]
    assert "ultra1ytics/ultralytics" in change.message
    assert "ultralytics/ultralytics" in change.message
    assert "provenance-regression" not in by_id(result)  # it is attested, by someone else
