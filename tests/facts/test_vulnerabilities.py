"""Vulnerabilities: reported for the latest release from the project document; for older
pins only when the index serves per-version documents, else the check is unavailable."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from chaingate.core.findings import Severity
from tests.facts.test_faults import scan
from tests.pypiserver import PyPIServer, Status

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pypi"


def test_latest_release_vulnerabilities_are_findings(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    doc = json.loads(gzip.decompress((FIXTURES / "pycrypto.json.gz").read_bytes()))
    latest = doc["info"]["version"]
    result = scan(pypi_server, tmp_path, f"pycrypto=={latest}")
    (finding,) = [f for f in result.findings if f.id == "known-vulnerability"]
    assert finding.severity == Severity.HIGH
    ids = {v["id"] for v in finding.evidence["vulnerabilities"]}
    assert ids == {v["id"] for v in doc["vulnerabilities"]}
    assert result.checks["known-vulnerability"].status == "ok"


def test_older_pins_make_the_check_unavailable_after_one_probe(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    result = scan(pypi_server, tmp_path, "requests==2.31.0", "urllib3==2.0.7", "six==1.16.0")
    check = result.checks["known-vulnerability"]
    assert check.status == "unavailable"
    assert "3 package(s) not checked" in check.reason
    assert not [f for f in result.findings if f.id == "known-vulnerability"]
    per_version = [p for p in pypi_server.hits if p.count("/") == 4 and p.startswith("/pypi/")]
    assert len(per_version) == 1  # one probe, not one request per package


def test_per_version_documents_are_used_when_served(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    doc = {
        "info": {"name": "six", "version": "1.16.0"},
        "releases": {},
        "vulnerabilities": [
            {
                "id": "PYSEC-0000-1",
                "aliases": ["CVE-0000-1"],
                "summary": "demo",
                "fixed_in": ["1.17.0"],
                "link": "https://osv.dev/PYSEC-0000-1",
                "withdrawn": None,
            }
        ],
    }
    pypi_server.add_version("six", "1.16.0", json.dumps(doc).encode())
    result = scan(pypi_server, tmp_path, "six==1.16.0")
    assert result.checks["known-vulnerability"].status == "ok"
    (finding,) = [f for f in result.findings if f.id == "known-vulnerability"]
    assert finding.evidence["vulnerabilities"][0]["fixed_in"] == ["1.17.0"]


def test_the_index_answer_is_remembered_not_reprobed(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    scan(pypi_server, tmp_path, "requests==2.31.0")
    pypi_server.clear_log()
    result = scan(pypi_server, tmp_path, "six==1.16.0", "urllib3==2.0.7")
    assert result.checks["known-vulnerability"].status == "unavailable"
    assert not [p for p in pypi_server.hits if p.count("/") == 4]  # no per-version request


def test_a_failed_probe_is_not_remembered(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/requests/2.31.0/json", Status(503))
    first = scan(pypi_server, tmp_path, "requests==2.31.0", retries=0)
    assert first.checks["known-vulnerability"].status == "unavailable"
    pypi_server.always("/pypi/requests/2.31.0/json", None)
    doc = {"info": {"name": "requests", "version": "2.31.0"}, "releases": {}, "vulnerabilities": []}
    pypi_server.add_version("requests", "2.31.0", json.dumps(doc).encode())
    second = scan(pypi_server, tmp_path, "requests==2.31.0", retries=0)
    assert second.checks["known-vulnerability"].status == "ok"
