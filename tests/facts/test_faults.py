"""Network faults end in an `incomplete` entry or a finding, never in a clean result.

Every test runs the real scan pipeline against the local PyPI server (real HTTP on
127.0.0.1) with a fault scripted on one project's document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import ScanOptions, run_scan
from chaingate.net.http import HttpSettings
from tests.pypiserver import BadJSON, Delay, Disconnect, PyPIServer, Status, Truncated

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def inventory(*pins: str) -> Inventory:
    pkgs = []
    for pin in pins:
        name, _, version = pin.partition("==")
        pkgs.append(Package("pypi", name, version or None, True, ((name,),)))
    return Inventory(root=".", packages=tuple(pkgs), manifests=("requirements.txt",))


def scan(server: PyPIServer, tmp_path: Path, *pins: str, **http: object) -> ScanResult:
    settings = HttpSettings(
        cache_dir=tmp_path / "cache",
        timeout=float(http.pop("timeout", 2.0)),  # type: ignore[arg-type]
        retries=int(http.pop("retries", 2)),  # type: ignore[call-overload]
        backoff=0.01,
    )
    opts = ScanOptions(index_url=server.url, http=settings, db_url=None, now=NOW)
    return run_scan(inventory(*pins), opts)


def reasons(result: ScanResult) -> dict[str, str]:
    return {i.package: i.reason for i in result.incomplete}


def test_429_then_success_is_a_normal_result(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.script("/pypi/six/json", [Status(429, retry_after=0), Status(429)])
    result = scan(pypi_server, tmp_path, "six==1.17.0")
    assert result.incomplete == ()
    assert PackageRef("pypi", "six") in result.facts
    assert pypi_server.hits["/pypi/six/json"] == 3


def test_500_until_give_up_is_incomplete(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/six/json", Status(500))
    result = scan(pypi_server, tmp_path, "six==1.17.0", "idna==3.11", retries=2)
    assert "HTTP 500" in reasons(result)["six"]
    assert "3 attempts" in reasons(result)["six"]
    assert PackageRef("pypi", "six") not in result.facts
    assert not [f for f in result.findings if f.package == "six"]
    assert (
        PackageRef("pypi", "idna") in result.facts
    )  # one broken document does not sink the others
    assert pypi_server.hits["/pypi/six/json"] == 3


def test_retry_after_beyond_the_limit_gives_up_at_once(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.always("/pypi/six/json", Status(429, retry_after=3600))
    result = scan(pypi_server, tmp_path, "six==1.17.0")
    assert "wait 3600 s" in reasons(result)["six"]
    assert pypi_server.hits["/pypi/six/json"] == 1


def test_timeout_is_incomplete(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/six/json", Delay(1.5))
    result = scan(pypi_server, tmp_path, "six==1.17.0", timeout=0.3, retries=1)
    assert "timed out" in reasons(result)["six"]


def test_truncated_body_is_incomplete(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/six/json", Truncated())
    result = scan(pypi_server, tmp_path, "six==1.17.0", retries=1)
    assert "six" in reasons(result)
    assert PackageRef("pypi", "six") not in result.facts


def test_disconnect_is_incomplete(pypi_server: PyPIServer, tmp_path: Path) -> None:
    pypi_server.always("/pypi/six/json", Disconnect())
    result = scan(pypi_server, tmp_path, "six==1.17.0", retries=1)
    assert "six" in reasons(result)


def test_truncated_json_is_incomplete_and_not_cached(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.script("/pypi/six/json", [BadJSON()])
    result = scan(pypi_server, tmp_path, "six==1.17.0")
    assert "malformed JSON" in reasons(result)["six"]
    # The next run must not serve the broken document from the cache.
    again = scan(pypi_server, tmp_path, "six==1.17.0")
    assert again.incomplete == ()
    assert pypi_server.hits["/pypi/six/json"] == 2


def test_404_on_both_apis_is_not_on_registry(pypi_server: PyPIServer, tmp_path: Path) -> None:
    result = scan(pypi_server, tmp_path, "our-internal-lib==1.0")
    (finding,) = [f for f in result.findings if f.package == "our-internal-lib"]
    assert finding.id == "not-on-registry"
    assert result.incomplete == ()


def test_index_without_json_api_falls_back_to_the_simple_page(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """Listed in the simple API but no JSON document: releases come from the simple page,
    and the owner checks are reported unavailable instead of passing."""
    pypi_server.always("/pypi/six/json", Status(404))
    result = scan(pypi_server, tmp_path, "six==1.17.0")
    assert not [f for f in result.findings if f.id == "not-on-registry"]
    assert result.incomplete == ()
    facts = result.facts[PackageRef("pypi", "six")]
    assert not facts.has_ownership and facts.owners == ()
    assert facts.latest_version == "1.17.0"
    assert facts.release("1.16.0") is not None
    assert result.checks["ownership"].status == "unavailable"
    assert not [f for f in result.findings if f.id == "single-owner"]
    # Relative links on the page resolved against the page URL.
    (wheel,) = [f for f in facts.releases[-1].files if f.filename.endswith(".whl")] or [None]
    assert wheel is not None and wheel.url.startswith(f"{pypi_server.url}/files/")


def test_unreachable_index_makes_everything_incomplete(tmp_path: Path) -> None:
    settings = HttpSettings(cache_dir=tmp_path / "c", timeout=0.5, retries=0, backoff=0.01)
    opts = ScanOptions(index_url="http://127.0.0.1:9", http=settings, db_url=None, now=NOW)
    result = run_scan(inventory("six==1.17.0", "idna==3.11"), opts)
    assert sorted(reasons(result)) == ["idna", "six"]
    assert result.findings == ()


@pytest.mark.parametrize("pin", ["six==0.0.1-does-not-exist"])
def test_pinned_version_missing_from_index_is_incomplete(
    pypi_server: PyPIServer, tmp_path: Path, pin: str
) -> None:
    result = scan(pypi_server, tmp_path, pin)
    assert "is not on the index" in reasons(result)["six"]
