"""Known advisories for every pin, from a local server speaking the OSV API over the real
records in tests/fixtures/osv/: vulnerabilities of old pins, the smallest upgrade that fixes
them, a malicious-package report blocked, and the source down -> unavailable, never clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaingate.core.findings import Severity
from chaingate.core.refs import PackageRef
from chaingate.engine import Engine
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import ScanOptions, run_scan
from chaingate.facts.advisories import AdvisorySettings
from chaingate.net.http import HttpSettings
from chaingate.policy.interface import Action
from tests.facts.test_faults import inventory
from tests.osvserver import OsvServer
from tests.pypiserver import PyPIServer, Status, recorded_documents
from tests.serverkit import BadJSON

NOW = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)


def project_document(name: str, versions: list[str]) -> bytes:
    """A reconstructed JSON API document: these releases, a day apart, one wheel each."""
    releases = {}
    for i, v in enumerate(versions):
        stamp = f"2025-01-{i + 1:02d}T10:00:00.000000Z"
        releases[v] = [
            {
                "filename": f"{name}-{v}-py3-none-any.whl",
                "packagetype": "bdist_wheel",
                "python_version": "py3",
                "requires_python": None,
                "size": 10,
                "upload_time": stamp[:19],
                "upload_time_iso_8601": stamp,
                "url": f"https://files.example/{name}-{v}-py3-none-any.whl",
                "digests": {"sha256": "0" * 64, "md5": "0" * 32},
                "yanked": False,
                "yanked_reason": None,
            }
        ]
    doc = {
        "info": {"name": name, "version": versions[-1], "author_email": None},
        "last_serial": 1,
        "releases": releases,
        "urls": releases[versions[-1]],
        "vulnerabilities": [],
        "ownership": {"organization": None, "roles": [{"role": "Owner", "user": "someone"}]},
    }
    return json.dumps(doc).encode()


JINJA2 = ["2.9.6", "2.10", "2.10.1", "2.11.2", "2.11.3", "3.0.0"]
LITELLM = ["1.82.6", "1.82.7", "1.82.8", "1.82.9"]


@pytest.fixture
def index(pypi_server: PyPIServer) -> PyPIServer:
    pypi_server.add_project("jinja2", project_document("Jinja2", JINJA2))
    pypi_server.add_project("litellm", project_document("litellm", LITELLM))
    return pypi_server


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    with OsvServer() as server:
        yield server


def options(index: PyPIServer, tmp_path: Path, url: str) -> ScanOptions:
    return ScanOptions(
        index_url=index.url,
        http=HttpSettings(cache_dir=tmp_path / "cache", timeout=2.0, retries=1, backoff=0.01),
        db_url=None,
        now=NOW,
        advisories=AdvisorySettings(url=url),
    )


def scan(index: PyPIServer, osv_url: str, tmp_path: Path, *pins: str) -> ScanResult:
    return run_scan(inventory(*pins), options(index, tmp_path, osv_url))


def by_package(result: ScanResult, fid: str) -> dict[str, dict[str, object]]:
    return {f.package or "": f.evidence for f in result.findings if f.id == fid}


OLD = ("requests==2.19.0", "urllib3==1.26.4", "jinja2==2.10")


def test_old_pins_have_their_vulnerabilities_and_the_smallest_upgrade(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    result = scan(index, osv.url, tmp_path, *OLD, "six==1.17.0")
    found = by_package(result, "known-vulnerability")
    assert set(found) == {"requests", "urllib3", "jinja2"}
    ids = {p: {v["id"] for v in e["vulnerabilities"]} for p, e in found.items()}  # type: ignore[attr-defined]
    assert ids["jinja2"] == {"PYSEC-2019-217", "PYSEC-2021-66"}
    assert ids["requests"] == {"PYSEC-2018-28", "PYSEC-2023-74"}
    assert ids["urllib3"] == {"PYSEC-2021-108", "PYSEC-2023-192", "PYSEC-2023-212"}
    # 2.10.1 fixes one of jinja2's two; 2.11.3 is the smallest release that fixes both.
    assert found["jinja2"]["upgrade"] == "2.11.3"
    # urllib3's records list the affected versions (their ranges are git commits).
    assert found["urllib3"]["upgrade"] == "1.26.18"
    (jinja,) = [f for f in result.findings if f.package == "jinja2" and f.id.startswith("known")]
    assert "CVE-2019-10906" in jinja.message and "2.11.3" in jinja.message
    assert jinja.severity is Severity.HIGH
    vector = {v["id"]: v["severity"] for v in found["urllib3"]["vulnerabilities"]}  # type: ignore[attr-defined]
    assert vector["PYSEC-2023-192"] == "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"
    scores = {v["id"]: v["score"] for v in found["urllib3"]["vulnerabilities"]}  # type: ignore[attr-defined]
    assert scores == {"PYSEC-2023-192": 8.1, "PYSEC-2023-212": 4.2, "PYSEC-2021-108": None}
    assert result.checks["known-vulnerability"].status == "ok"
    assert result.checks["known-vulnerability"].reason == f"OSV at {osv.url}"
    assert result.checks["known-malicious"].status == "ok"
    assert result.incomplete == ()
    # One batch for every pin, then one request per record.
    assert osv.hits["/v1/querybatch"] == 1
    assert osv.hits["/v1/vulns/PYSEC-2021-66"] == 1


def test_every_page_of_a_long_answer_is_followed(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    osv.page_size = 1
    result = scan(index, osv.url, tmp_path, *OLD)
    found = by_package(result, "known-vulnerability")
    assert len(found["urllib3"]["vulnerabilities"]) == 3  # type: ignore[arg-type]
    assert osv.hits["/v1/querybatch"] == 3  # three pages for urllib3's three records


def test_a_malicious_release_is_critical_and_its_neighbours_are_clean(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    result = scan(index, osv.url, tmp_path, "litellm==1.82.8")
    (finding,) = [f for f in result.findings if f.id == "known-malicious"]
    assert finding.severity is Severity.CRITICAL
    assert "MAL-2026-2144" in finding.message and "version 1.82.8" in finding.message
    assert not [f for f in result.findings if f.id == "known-vulnerability"]
    clean = scan(index, osv.url, tmp_path, "litellm==1.82.9")
    assert not [f for f in clean.findings if f.id.startswith("known-")]


def test_the_engine_blocks_a_malicious_release(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    with Engine.from_options(options(index, tmp_path, osv.url)) as engine:
        bad = engine.evaluate(PackageRef("pypi", "litellm", "1.82.8"))
        good = engine.evaluate(PackageRef("pypi", "litellm", "1.82.6"))
    assert bad.action is Action.BLOCK
    assert {f.id for f in bad.findings} >= {"known-malicious"}
    assert not [f for f in good.findings if f.id.startswith("known-")]
    assert good.incomplete is None


@pytest.mark.parametrize(
    ("path", "fault", "said"),
    [
        ("/v1/querybatch", Status(503), "HTTP 503"),
        ("/v1/querybatch", BadJSON(), "not an OSV querybatch answer"),
        ("/v1/vulns/MAL-2026-2144", Status(500), "HTTP 500"),
    ],
)
def test_a_failing_source_makes_the_check_unavailable_never_clean(
    index: PyPIServer, osv: OsvServer, tmp_path: Path, path: str, fault: object, said: str
) -> None:
    osv.always(path, fault)  # type: ignore[arg-type]
    result = scan(index, osv.url, tmp_path, "litellm==1.82.8", "six==1.17.0")
    for check in ("known-vulnerability", "known-malicious"):
        assert result.checks[check].status == "unavailable"
        assert said in result.checks[check].reason
    assert not [f for f in result.findings if f.id.startswith("known-")]
    reasons = {i.package: i.reason for i in result.incomplete}
    assert set(reasons) == {"litellm", "six"}
    assert reasons["six"].startswith("known advisories unavailable: OSV: ")


def test_a_source_that_is_not_listening_is_unavailable(index: PyPIServer, tmp_path: Path) -> None:
    with OsvServer() as gone:
        url = gone.url
    result = scan(index, url, tmp_path, "six==1.17.0")
    assert result.checks["known-vulnerability"].status == "unavailable"
    assert [i.package for i in result.incomplete] == ["six"]
    with Engine.from_options(options(index, tmp_path, url)) as engine:
        verdict = engine.evaluate(PackageRef("pypi", "six", "1.17.0"))
    assert verdict.incomplete is not None and "known advisories unavailable" in verdict.incomplete


def test_advisories_published_later_are_left_out(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    opts = options(index, tmp_path, osv.url)
    before = datetime(2026, 3, 24, 11, 0, tzinfo=UTC)  # MAL-2026-2144: 11:15:14 that day
    opts = ScanOptions(
        **{**{f: getattr(opts, f) for f in opts.__struct_fields__},
           "advisories": AdvisorySettings(url=osv.url, published_before=before)},
    )  # fmt: skip
    result = run_scan(inventory("litellm==1.82.8"), opts)
    assert not [f for f in result.findings if f.id == "known-malicious"]


def test_a_malicious_release_the_index_removed_is_still_reported(
    osv: OsvServer, tmp_path: Path
) -> None:
    # An index of its own: the shared one may have been given a litellm by another test.
    with PyPIServer(recorded_documents()) as index:
        result = scan(index, osv.url, tmp_path, "litellm==1.82.8")  # not on this index
    ids = {f.id for f in result.findings}
    assert {"not-on-registry", "known-malicious"} <= ids


def test_a_malicious_report_counts_from_its_first_import_into_osv(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    """MAL-2026-2144 was published 11:15 UTC but first imported into OSV 22:11 UTC: as of
    noon OSV could not have answered with it yet; as of 23:00 it could."""
    opts = options(index, tmp_path, osv.url)
    found = {}
    for hour in (12, 23):
        when = datetime(2026, 3, 24, hour, 0, tzinfo=UTC)
        settings = AdvisorySettings(url=osv.url, published_before=when)
        at = ScanOptions(**{**{f: getattr(opts, f) for f in opts.__struct_fields__},
                            "advisories": settings})  # fmt: skip
        result = run_scan(inventory("litellm==1.82.8"), at)
        found[hour] = [f.id for f in result.findings if f.id == "known-malicious"]
    assert found == {12: [], 23: ["known-malicious"]}
