"""What an index answers is checked before it is believed (issue 12, item 9): a redirect to
another host is refused, a document about another project is not this one's, "no owners"
is not "owners ok", and an upload time in the future is a finding, not silence.

Every test runs the real scan pipeline against local PyPI servers (real HTTP on 127.0.0.1),
"now" pinned.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import ScanOptions, run_scan
from chaingate.net.http import HttpSettings
from tests.pypiserver import NotFound, PyPIServer, Redirect, recorded_documents

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def scan(server: PyPIServer, tmp_path: Path, *pins: str) -> ScanResult:
    pkgs = []
    for pin in pins:
        name, _, version = pin.partition("==")
        pkgs.append(Package("pypi", name, version or None, True, ((name,),)))
    inv = Inventory(root=".", packages=tuple(pkgs), manifests=("requirements.txt",))
    http = HttpSettings(cache_dir=tmp_path / "cache", timeout=5.0, retries=0, backoff=0.01)
    return run_scan(inv, ScanOptions(index_url=server.url, http=http, db_url=None, now=NOW))


def reasons(result: ScanResult) -> dict[str, str]:
    return {i.package: i.reason for i in result.incomplete}


def ids(result: ScanResult, package: str) -> set[str]:
    return {f.id for f in result.findings if f.package == package}


def edited(name: str, **changes: Any) -> bytes:
    """A recorded document with top-level keys replaced."""
    doc = json.loads(recorded_documents()[name])
    doc.update(changes)
    return json.dumps(doc).encode()


def localhost(server: PyPIServer) -> str:
    """The server's URL under another host name (localhost, not 127.0.0.1)."""
    return server.url.replace("127.0.0.1", "localhost")


# --- (a) redirects -------------------------------------------------------------------------


def test_a_document_redirected_to_another_host_is_refused(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """The JSON API answers 302 to a server the index does not own, which serves a six with
    new owners. Before, httpx followed it and that answer was believed."""
    evil_doc = json.loads(recorded_documents()["six"])
    evil_doc["ownership"] = {"organization": None, "roles": [{"role": "Owner", "user": "mallory"}]}
    with PyPIServer({"six": json.dumps(evil_doc).encode()}) as evil:
        pypi_server.always("/pypi/six/json", Redirect(f"{localhost(evil)}/pypi/six/json"))
        result = scan(pypi_server, tmp_path, "six==1.17.0", "idna==3.11")
        assert evil.hits["/pypi/six/json"] == 0

    why = reasons(result)["six"]
    assert "redirect" in why and "localhost" in why and "refused" in why
    assert PackageRef("pypi", "six") not in result.facts
    assert PackageRef("pypi", "idna") in result.facts  # the others are judged as before


def test_the_simple_page_redirected_to_another_host_is_refused(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """An index without the JSON API (404) whose simple page redirects elsewhere."""
    with PyPIServer(recorded_documents()) as evil:
        pypi_server.always("/pypi/six/json", NotFound())
        pypi_server.always("/simple/six/", Redirect(f"{localhost(evil)}/simple/six/"))
        result = scan(pypi_server, tmp_path, "six==1.17.0")
        assert evil.hits["/simple/six/"] == 0
    assert "refused" in reasons(result)["six"]


def test_a_redirect_on_the_index_itself_is_followed(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.script("/pypi/six/json", [Redirect("/pypi/Six/json", code=301)])
    result = scan(pypi_server, tmp_path, "six==1.17.0")
    assert result.incomplete == ()
    assert PackageRef("pypi", "six") in result.facts
    assert pypi_server.hits["/pypi/Six/json"] == 1


def test_which_redirects_an_index_allows() -> None:
    pypi = IndexUrls.parse("https://pypi.org/simple")
    doc = "https://pypi.org/pypi/six/json"
    assert pypi.allows_redirect(doc, "https://pypi.org/pypi/six/json/")
    assert pypi.allows_redirect(doc, "https://files.pythonhosted.org/packages/six.whl")
    assert not pypi.allows_redirect(doc, "https://evil.example/pypi/six/json")
    assert not pypi.allows_redirect(doc, "http://pypi.org/pypi/six/json")  # no downgrade
    assert not pypi.allows_redirect(doc, "https://pypi.org:8443/pypi/six/json")
    mirror = IndexUrls.parse("http://mirror.internal:8080/simple/")
    assert mirror.allows_redirect(
        "http://mirror.internal:8080/simple/six", "https://mirror.internal/simple/six/"
    )  # an upgrade to https on the same host
    assert not mirror.allows_redirect(
        "http://mirror.internal:8080/simple/six", "http://files.pythonhosted.org/x"
    )


# --- (b) the document is about the project asked for -----------------------------------------


def test_a_document_about_another_project_is_incomplete(tmp_path: Path) -> None:
    """/pypi/six/json answers idna's document. Before, idna's facts were judged as six's."""
    docs = recorded_documents()
    with PyPIServer({"six": docs["idna"], "idna": docs["idna"]}) as server:
        result = scan(server, tmp_path, "six==1.17.0", "idna==3.11")
    why = reasons(result)["six"]
    assert "'idna'" in why and "'six'" in why
    assert PackageRef("pypi", "six") not in result.facts
    assert "idna" not in reasons(result)


def test_a_name_spelt_differently_is_the_same_project(tmp_path: Path) -> None:
    doc = json.loads(recorded_documents()["six"])
    doc["info"]["name"] = "Six"
    with PyPIServer({"six": json.dumps(doc).encode()}) as server:
        result = scan(server, tmp_path, "six==1.17.0")
    assert result.incomplete == ()


# --- (c) no owners known ---------------------------------------------------------------------


def test_no_roles_and_no_organisation_is_ownership_unknown(tmp_path: Path) -> None:
    """Before, an empty `roles` with no organisation passed every ownership check."""
    doc = edited("six", ownership={"organization": None, "roles": []})
    with PyPIServer({"six": doc}) as server:
        result = scan(server, tmp_path, "six==1.17.0")
    (finding,) = [f for f in result.findings if f.id == "ownership-unknown"]
    assert finding.package == "six"
    assert finding.evidence == {"organization": None, "roles": []}
    assert result.checks["ownership"].status == "unavailable"
    assert "six" in result.checks["ownership"].reason


def test_an_organisation_without_roles_is_known_ownership(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """attrs as pypi.org serves it: `{"organization": "attrs", "roles": []}`."""
    result = scan(pypi_server, tmp_path, "attrs==26.1.0", "six==1.17.0")
    assert "ownership-unknown" not in {f.id for f in result.findings}
    assert result.checks["ownership"].status == "ok"


# --- (d) upload times in the future ----------------------------------------------------------


def future_six(ahead: timedelta) -> bytes:
    """six's document with 1.17.0's files uploaded `ahead` of NOW."""
    doc = json.loads(recorded_documents()["six"])
    stamp = (NOW + ahead).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    for f in [*doc["releases"]["1.17.0"], *doc["urls"]]:
        f["upload_time_iso_8601"] = stamp
        f["upload_time"] = stamp[:19]
    return json.dumps(doc).encode()


def test_an_upload_time_days_ahead_is_a_high_finding(tmp_path: Path) -> None:
    """Before: 1.17.0 was silently left out of the history (and out of the cooldown)."""
    with PyPIServer({"six": future_six(timedelta(days=3))}) as server:
        result = scan(server, tmp_path, "six==1.17.0")
    (finding,) = [f for f in result.findings if f.id == "future-upload-time"]
    assert finding.severity.label == "high"
    assert finding.evidence["versions"] == ["1.17.0"]
    assert finding.evidence["latest_upload"] == "2026-11-28T12:00:00Z"
    assert finding.evidence["now"] == "2026-11-25T12:00:00Z"


def test_an_upload_time_hours_ahead_is_a_medium_finding(tmp_path: Path) -> None:
    with PyPIServer({"six": future_six(timedelta(hours=5))}) as server:
        result = scan(server, tmp_path, "six==1.17.0")
    (finding,) = [f for f in result.findings if f.id == "future-upload-time"]
    assert finding.severity.label == "medium"


def test_clock_skew_is_allowed(tmp_path: Path) -> None:
    with PyPIServer({"six": future_six(timedelta(minutes=20))}) as server:
        result = scan(server, tmp_path, "six==1.17.0")
    assert "future-upload-time" not in ids(result, "six")


def test_a_per_version_document_about_another_release_is_not_used(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """/pypi/six/1.16.0/json answers idna's (or six 1.17.0's) document: its vulnerabilities
    are not six 1.16.0's, so that pin's vulnerabilities stay unknown. Before, the answer was
    taken and the check said ok."""
    for path_version, info in (
        ("1.16.0", {"name": "idna", "version": "1.16.0"}),
        ("1.15.0", {"name": "six", "version": "1.17.0"}),
    ):
        doc = {"info": info, "releases": {}, "vulnerabilities": []}
        pypi_server.add_version("six", path_version, json.dumps(doc).encode())
    for pin in ("six==1.16.0", "six==1.15.0"):
        result = scan(pypi_server, tmp_path / pin, pin)
        assert result.checks["known-vulnerability"].status == "unavailable", pin
    doc = {"info": {"name": "Six", "version": "1.16.0"}, "releases": {}, "vulnerabilities": []}
    pypi_server.add_version("six", "1.16.0", json.dumps(doc).encode())
    result = scan(pypi_server, tmp_path / "good", "six==1.16.0")
    assert result.checks["known-vulnerability"].status == "ok"
