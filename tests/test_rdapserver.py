"""The local RDAP service answers real HTTP clients (httpx) as a registry's RDAP server would."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.rdapserver import (
    RDAP_JSON,
    BadJSON,
    Delay,
    Disconnect,
    RdapServer,
    Status,
)


def get(url: str, timeout: float = 5) -> httpx.Response:
    return httpx.get(url, headers={"Accept": "application/rdap+json"}, timeout=timeout)


def base_for(bootstrap: dict[str, Any], domain: str) -> str | None:
    """RFC 9224 section 5.1 lookup: the base URL of the service listing the domain's TLD."""
    tld = domain.rsplit(".", 1)[-1]
    for tlds, urls in bootstrap["services"]:
        if tld in tlds:
            return str(urls[0])
    return None


def events(doc: dict[str, Any]) -> dict[str, str]:
    return {e["eventAction"]: e["eventDate"] for e in doc["events"]}


# --- bootstrap -------------------------------------------------------------------------------


def test_bootstrap_is_an_rfc9224_document(rdap_server: RdapServer) -> None:
    assert rdap_server.bootstrap_url == rdap_server.url + "/bootstrap/dns.json"
    response = get(rdap_server.bootstrap_url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert list(doc) == ["description", "publication", "services", "version"]
    assert doc["version"] == "1.0"
    assert doc["publication"] == "2026-11-25T00:00:00Z"
    assert doc["description"] == "RDAP bootstrap file for Domain Name System registrations"
    for entry in doc["services"]:
        tlds, urls = entry
        assert all(isinstance(t, str) and t == t.lower() for t in tlds)
        assert urls and all(u.endswith("/") for u in urls)
    served = {t for tlds, _ in doc["services"] for t in tlds}
    assert served == {"com", "net", "org", "io", "dev", "info", "co", "uk"}
    assert base_for(doc, "example.com") == rdap_server.url + "/rdap/"


def test_tlds_and_unserved_tlds_shape_the_bootstrap(rdap_server: RdapServer) -> None:
    rdap_server.tlds = ["com", "xyz", "io"]
    rdap_server.unserved_tlds = {"io"}

    doc = get(rdap_server.bootstrap_url).json()
    assert base_for(doc, "example.xyz") == rdap_server.base_url
    assert base_for(doc, "example.io") is None
    assert base_for(doc, "example.org") is None


def test_constructor_takes_tlds() -> None:
    with RdapServer(tlds=["com"], unserved_tlds=["com"]) as server:
        assert get(server.bootstrap_url).json()["services"] == []


# --- domain objects --------------------------------------------------------------------------


def test_domain_object_is_shaped_like_verisigns(rdap_server: RdapServer) -> None:
    rdap_server.add_domain(
        "Example.com",
        registered=datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC),
        expires=datetime(2027, 11, 20, 9, 30, 15, tzinfo=UTC),
        last_changed=datetime(2026, 11, 21, tzinfo=UTC),
    )
    base = base_for(get(rdap_server.bootstrap_url).json(), "example.com")
    response = get(f"{base}domain/example.com")

    assert response.status_code == 200
    assert response.headers["content-type"] == RDAP_JSON
    assert response.headers["access-control-allow-origin"] == "*"
    doc = response.json()
    assert doc["objectClassName"] == "domain"
    assert doc["ldhName"] == "EXAMPLE.COM"
    assert doc["handle"].endswith("_DOMAIN_COM-VRSN")
    assert doc["status"] == ["client transfer prohibited"]
    assert "rdap_level_0" in doc["rdapConformance"]
    assert [e["eventAction"] for e in doc["events"]] == [
        "registration",
        "expiration",
        "last changed",
        "last update of RDAP database",
    ]
    dates = events(doc)
    assert dates["registration"] == "2026-11-20T09:30:15Z"
    assert dates["expiration"] == "2027-11-20T09:30:15Z"
    assert dates["last changed"] == "2026-11-21T00:00:00Z"
    updated = datetime.fromisoformat(dates["last update of RDAP database"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - updated).total_seconds()) < 60
    assert doc["secureDNS"] == {"delegationSigned": False}
    assert [ns["ldhName"] for ns in doc["nameservers"]] == ["NS1.EXAMPLE.COM", "NS2.EXAMPLE.COM"]
    assert all(ns["objectClassName"] == "nameserver" for ns in doc["nameservers"])
    assert [n["title"] for n in doc["notices"]] == [
        "Terms of Service",
        "Status Codes",
        "RDDS Inaccuracy Complaint Form",
    ]
    (registrar,) = doc["entities"]
    assert registrar["roles"] == ["registrar"]
    assert registrar["publicIds"][0]["type"] == "IANA Registrar ID"
    (link,) = doc["links"]
    assert (link["rel"], link["type"]) == ("self", RDAP_JSON)
    assert link["href"] == f"{rdap_server.base_url}domain/EXAMPLE.COM"


def test_optional_events_and_statuses(rdap_server: RdapServer) -> None:
    rdap_server.add_domain(
        "lapsed.org",
        registered=datetime(2010, 1, 1),  # naive: taken as UTC
        status=["redemption period", "pending delete"],
    )

    doc = get(f"{rdap_server.base_url}domain/lapsed.org").json()
    assert events(doc).keys() == {"registration", "last update of RDAP database"}
    assert events(doc)["registration"] == "2010-01-01T00:00:00Z"
    assert doc["status"] == ["redemption period", "pending delete"]


def test_names_are_case_insensitive_and_may_end_with_a_dot(rdap_server: RdapServer) -> None:
    for path in ("PyPI.ORG", "pypi.org.", "python.org"):
        assert get(f"{rdap_server.base_url}domain/{path}").status_code == 200, path


def test_canaries_are_registered_long_ago(rdap_server: RdapServer) -> None:
    for name in ("pypi.org", "python.org"):
        doc = get(f"{rdap_server.base_url}domain/{name}").json()
        assert events(doc)["registration"] < "2010", name


def test_unknown_domain_is_404_with_an_rfc9083_error(rdap_server: RdapServer) -> None:
    response = get(f"{rdap_server.base_url}domain/never-registered.com")

    assert response.status_code == 404
    assert response.headers["content-type"] == RDAP_JSON
    body = response.json()
    assert (body["errorCode"], body["title"]) == (404, "Not Found")


def test_remove_domain(rdap_server: RdapServer) -> None:
    rdap_server.remove_domain("pypi.org")

    assert get(f"{rdap_server.base_url}domain/pypi.org").status_code == 404


def test_head_and_malformed_requests(rdap_server: RdapServer) -> None:
    head = httpx.head(f"{rdap_server.base_url}domain/pypi.org", timeout=5)
    assert (head.status_code, head.content) == (200, b"")
    assert get(f"{rdap_server.base_url}domain/").status_code == 400
    assert get(f"{rdap_server.url}/rdap/nameserver/ns1.pypi.org").status_code == 404


# --- faults ----------------------------------------------------------------------------------


def test_429_with_retry_after_then_normal(rdap_server: RdapServer) -> None:
    path = "/rdap/domain/pypi.org"
    rdap_server.script(path, [Status(429, retry_after=2), Status(500)])

    first = get(rdap_server.url + path)
    assert first.status_code == 429
    assert first.headers["retry-after"] == "2"
    assert first.json()["errorCode"] == 429
    assert get(rdap_server.url + path).status_code == 500
    assert get(rdap_server.url + path).status_code == 200
    assert rdap_server.hits[path] == 3


def test_always_applies_until_removed(rdap_server: RdapServer) -> None:
    rdap_server.always("/bootstrap/dns.json", Status(503))

    assert get(rdap_server.bootstrap_url).status_code == 503
    assert get(rdap_server.bootstrap_url).status_code == 503
    rdap_server.always("/bootstrap/dns.json", None)
    assert get(rdap_server.bootstrap_url).status_code == 200


def test_delay_times_a_client_out(rdap_server: RdapServer) -> None:
    rdap_server.script("/rdap/domain/pypi.org", [Delay(5)])

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        get(f"{rdap_server.base_url}domain/pypi.org", timeout=0.3)
    assert time.monotonic() - started < 2


def test_broken_responses(rdap_server: RdapServer) -> None:
    rdap_server.script("/rdap/domain/pypi.org", [Disconnect(), BadJSON()])

    with pytest.raises(httpx.RemoteProtocolError):
        get(f"{rdap_server.base_url}domain/pypi.org")
    with pytest.raises(ValueError):
        get(f"{rdap_server.base_url}domain/pypi.org").json()


def test_down_closes_every_connection(rdap_server: RdapServer) -> None:
    rdap_server.down = True

    for url in (rdap_server.bootstrap_url, f"{rdap_server.base_url}domain/pypi.org"):
        with pytest.raises(httpx.RemoteProtocolError):
            get(url)
    assert rdap_server.hits == {"/bootstrap/dns.json": 1, "/rdap/domain/pypi.org": 1}
    rdap_server.down = False
    assert get(rdap_server.bootstrap_url).status_code == 200


def test_requests_are_logged(rdap_server: RdapServer) -> None:
    get(rdap_server.bootstrap_url)
    get(f"{rdap_server.base_url}domain/python.org")

    assert [(m, p) for m, p, _ in rdap_server.requests] == [
        ("GET", "/bootstrap/dns.json"),
        ("GET", "/rdap/domain/python.org"),
    ]
    assert rdap_server.requests[1][2]["accept"] == "application/rdap+json"
    rdap_server.clear_log()
    assert (rdap_server.requests, rdap_server.hits) == ([], {})
