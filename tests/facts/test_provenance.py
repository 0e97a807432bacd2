"""PEP 740 provenance and PEP 792 project status, from a local PyPI serving documents in
PyPI's documented formats: the PEP 691 JSON simple page (`project-status`, each file's
`provenance`), its HTML form (`pypi:project-status` meta tags, `data-provenance`), and the
Integrity API's provenance objects (`attestation_bundles`, each with its `publisher`).

The documents are reconstructed, not recorded (tests/fixtures/pypi/RECORDED.md): inert
projects under example.invalid, shaped like ultralytics 8.3.46 (December 2024: earlier
releases attested, the one in use not) and litellm's quarantine (March 2026)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaingate.core.findings import Severity
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import ScanOptions, run_scan
from chaingate.net.http import HttpSettings
from tests.facts.test_faults import inventory
from tests.facts.test_osv import project_document
from tests.pypiserver import PageExtras, PyPIServer, Status
from tests.test_cli import run, write

NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def document(name: str, versions: list[str], *, last_at: datetime | None = None) -> bytes:
    """test_osv's reconstructed document (releases a day apart in January 2025, one wheel
    each), the last release moved to `last_at` when given, with two owners (so single-owner
    stays quiet)."""
    doc = json.loads(project_document(name, versions))
    if last_at is not None:
        for f in doc["releases"][versions[-1]]:
            f["upload_time_iso_8601"] = last_at.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
        doc["urls"] = doc["releases"][versions[-1]]
    doc["ownership"]["roles"] = [{"role": "Owner", "user": u} for u in ("alice", "bob")]
    for version, files in doc["releases"].items():
        for f in files:  # a valid wheel name: "-" in a project name is "_" in its wheels
            f["filename"] = wheel(name, version)
    return json.dumps(doc).encode()


def wheel(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def integrity_path(name: str, version: str) -> str:
    return f"/integrity/{name}/{version}/{wheel(name, version)}/provenance"


def provenance_object(repository: str, workflow: str) -> bytes:
    """A PEP 740 provenance object as PyPI's Integrity API serves it (signature elided:
    chaingate reads the publisher, it does not verify the bundle)."""
    return json.dumps(
        {
            "version": 1,
            "attestation_bundles": [
                {
                    "publisher": {
                        "kind": "GitHub",
                        "repository": repository,
                        "workflow": workflow,
                        "environment": "pypi",
                        "claims": None,
                    },
                    "attestations": [
                        {
                            "version": 1,
                            "verification_material": {
                                "certificate": "",
                                "transparency_entries": [],
                            },
                            "envelope": {"statement": "", "signature": ""},
                        }
                    ],
                }
            ],
        }
    ).encode()


def attest(server: PyPIServer, name: str, who: dict[str, tuple[str, str]], **extras: str) -> None:
    """Serve `name`'s page with provenance URLs for the versions in `who` (version ->
    repository, workflow) and their provenance objects at the Integrity API."""
    urls = {}
    for version, (repository, workflow) in who.items():
        path = integrity_path(name, version)
        server.add_document(path, provenance_object(repository, workflow))
        urls[wheel(name, version)] = server.url + path
    server.set_page(name, PageExtras(provenance=urls, **extras))


@pytest.fixture
def index() -> Iterator[PyPIServer]:
    with PyPIServer() as server:
        yield server


def scan(server: PyPIServer, tmp_path: Path, *pins: str, now: datetime = NOW) -> ScanResult:
    opts = ScanOptions(
        index_url=server.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", timeout=2.0, retries=1, backoff=0.01),
        db_url=None,
        now=now,
    )
    return run_scan(inventory(*pins), opts)


def found(result: ScanResult, fid: str) -> dict[str, tuple[Severity, dict[str, object]]]:
    return {f.package or "": (f.severity, f.evidence) for f in result.findings if f.id == fid}


ULTRA = ["8.3.39", "8.3.40", "8.3.41", "8.3.46"]
REPO = ("ultralytics-example/ultralytics", "publish.yml")


def test_a_release_without_the_attestations_earlier_ones_had_is_a_regression(
    index: PyPIServer, tmp_path: Path
) -> None:
    index.add_project("ultralytics-example", document("ultralytics-example", ULTRA))
    attest(index, "ultralytics-example", {v: REPO for v in ULTRA[:-1]})
    result = scan(index, tmp_path, "ultralytics-example==8.3.46", "ultralytics-example==8.3.41")
    (severity, evidence) = found(result, "provenance-regression")["ultralytics-example"]
    assert severity is Severity.HIGH
    assert evidence["release"] == "8.3.46" and evidence["last_attested"] == "8.3.41"
    assert result.checks["provenance"].status == "ok"
    # 8.3.41 itself is attested by the same publisher as before: nothing to say about it.
    assert [f.version for f in result.findings if f.id == "provenance-regression"] == ["8.3.46"]
    assert "publisher-change" not in {f.id for f in result.findings}


def test_a_regression_on_a_brand_new_release_is_critical(index: PyPIServer, tmp_path: Path) -> None:
    doc = document("ultralytics-example", ULTRA, last_at=NOW - timedelta(hours=3))
    index.add_project("ultralytics-example", doc)
    attest(index, "ultralytics-example", {v: REPO for v in ULTRA[:-1]})
    result = scan(index, tmp_path, "ultralytics-example==8.3.46")
    (severity, evidence) = found(result, "provenance-regression")["ultralytics-example"]
    assert severity is Severity.CRITICAL
    assert evidence["combined_with"] == ["new-release"]


def test_a_release_published_from_another_repository_is_a_publisher_change(
    index: PyPIServer, tmp_path: Path
) -> None:
    versions = ["1.0.0", "1.1.0", "1.2.0"]
    index.add_project("widget-example", document("widget-example", versions))
    who = {"1.0.0": REPO, "1.1.0": REPO, "1.2.0": ("someone-else/widget", "release.yml")}
    attest(index, "widget-example", who)
    result = scan(index, tmp_path, "widget-example==1.2.0")
    (severity, evidence) = found(result, "publisher-change")["widget-example"]
    assert severity is Severity.HIGH
    assert evidence["previous_release"] == "1.1.0"
    assert evidence["publishers"] == ["GitHub someone-else/widget release.yml"]
    assert evidence["previous_publishers"] == [f"GitHub {REPO[0]} {REPO[1]}"]
    # Only the version in use and the attested release before it were asked.
    assert index.hits[integrity_path("widget-example", "1.2.0")] == 1
    assert index.hits[integrity_path("widget-example", "1.1.0")] == 1
    assert index.hits.get(integrity_path("widget-example", "1.0.0"), 0) == 0
    assert "provenance-regression" not in {f.id for f in result.findings}
    # A warm scan answers from the cache, with the same finding.
    again = scan(index, tmp_path, "widget-example==1.2.0")
    assert found(again, "publisher-change") == found(result, "publisher-change")


def test_an_index_that_serves_no_provenance_leaves_the_check_unavailable(
    index: PyPIServer, tmp_path: Path
) -> None:
    """Like this machine's PyPI copy: no `provenance` keys at all. Nothing was attested as
    far as the page says, which is no evidence: no finding, and the check is unavailable,
    never passed. The first project's page is the probe; the others are not asked."""
    index.add_project("ultralytics-example", document("ultralytics-example", ULTRA))
    index.add_project("widget-example", document("widget-example", ["1.0.0", "1.1.0"]))
    result = scan(index, tmp_path, "ultralytics-example==8.3.46", "widget-example==1.1.0")
    ids = {f.id for f in result.findings}
    assert not ids & {"provenance-regression", "publisher-change", "project-quarantined"}
    check = result.checks["provenance"]
    assert check.status == "unavailable"
    assert check.reason.startswith("the index serves no PEP 740 provenance:")
    pages = [p for p in index.hits if p.startswith("/simple/")]
    assert len(pages) == 1
    # The next scan remembers the answer: no page asked at all.
    scan(index, tmp_path, "ultralytics-example==8.3.46", "widget-example==1.1.0")
    assert sum(index.hits[p] for p in index.hits if p.startswith("/simple/")) == 1


def test_a_quarantined_project_is_critical_from_the_json_page(
    index: PyPIServer, tmp_path: Path
) -> None:
    index.add_project("litellm-example", document("litellm-example", ["1.82.6", "1.82.7"]))
    index.set_page(
        "litellm-example", PageExtras(status="quarantined", reason="malware report", provenance={})
    )
    result = scan(index, tmp_path, "litellm-example==1.82.7")
    (severity, evidence) = found(result, "project-quarantined")["litellm-example"]
    assert severity is Severity.CRITICAL
    assert evidence["status"] == "quarantined" and evidence["reason"] == "malware report"


def test_an_archived_project_is_low_with_its_reason_from_the_html_meta_tags(
    index: PyPIServer, tmp_path: Path
) -> None:
    index.simple_json = False  # an index serving PEP 503 HTML only
    index.add_project("oldlib-example", document("oldlib-example", ["0.9", "1.0"]))
    index.set_page("oldlib-example", PageExtras(status="archived", reason="use newlib"))
    result = scan(index, tmp_path, "oldlib-example==1.0")
    (severity, evidence) = found(result, "project-archived")["oldlib-example"]
    assert severity is Severity.LOW and evidence["reason"] == "use newlib"
    (finding,) = [f for f in result.findings if f.id == "project-archived"]
    assert "use newlib" in finding.message


def test_check_blocks_a_quarantined_project_named_in_the_html_meta_tag(
    index: PyPIServer, tmp_path: Path
) -> None:
    index.simple_json = False
    index.add_project("litellm-example", document("litellm-example", ["1.82.6", "1.82.7"]))
    index.set_page("litellm-example", PageExtras(status="quarantined"))
    write(tmp_path / "requirements.txt", "litellm-example==1.82.7\n")
    proc = run(
        index, tmp_path, "check", "--no-resolve", "--no-domain-checks", "--advisories", "off",
        "--now", "2026-04-02T12:00:00Z",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "project-quarantined" in proc.stdout
    assert "result: BLOCKED" in proc.stdout


def test_a_quarantined_project_whose_files_are_withdrawn_is_still_critical(
    index: PyPIServer, tmp_path: Path
) -> None:
    """PEP 792: a quarantined project's files are no longer offered, and an index may stop
    serving its JSON document. The simple page alone still says why."""
    page = {
        "meta": {"api-version": "1.4"},
        "name": "litellm-example",
        "project-status": {"status": "quarantined", "reason": "malware"},
        "files": [],
        "versions": [],
    }
    index.add_document("/simple/litellm-example/", json.dumps(page).encode())
    result = scan(index, tmp_path, "litellm-example==1.82.7")
    (severity, evidence) = found(result, "project-quarantined")["litellm-example"]
    assert severity is Severity.CRITICAL and evidence["reason"] == "malware"


def test_a_publisher_the_integrity_api_would_not_tell_is_unavailable_not_passed(
    index: PyPIServer, tmp_path: Path
) -> None:
    versions = ["1.0.0", "1.1.0", "1.2.0"]
    index.add_project("widget-example", document("widget-example", versions))
    attest(index, "widget-example", {v: REPO for v in versions})
    index.always(integrity_path("widget-example", "1.2.0"), Status(503))
    result = scan(index, tmp_path, "widget-example==1.2.0")
    assert not {f.id for f in result.findings} & {"publisher-change", "provenance-regression"}
    check = result.checks["provenance"]
    assert check.status == "unavailable"
    assert "did not name the publisher of 1 attested version(s) in use" in check.reason


def test_the_html_page_gives_provenance_and_status_too() -> None:
    from chaingate.ecosystems.pypi.simple import page_provenance, parse_project_page

    body = b"""<!DOCTYPE html><html><head>
    <meta name="pypi:repository-version" content="1.4">
    <meta name="pypi:project-status" content="Archived">
    <meta name="pypi:project-status-reason" content="superseded by newlib">
    </head><body>
    <a href="../../f/demo-1.0-py3-none-any.whl#sha256=00"
       data-provenance="/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance">demo-1.0-py3-none-any.whl</a>
    <a href="../../f/demo-1.1-py3-none-any.whl#sha256=00">demo-1.1-py3-none-any.whl</a>
    </body></html>"""
    page = parse_project_page(body, "https://index.example.invalid/simple/demo/")
    assert (page.status, page.status_reason) == ("archived", "superseded by newlib")
    found = {p.version: (p.attested, p.url) for p in page_provenance(page) or ()}
    url = "https://index.example.invalid/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance"
    assert found == {"1.0": (True, url), "1.1": (False, "")}
