"""RDAP facts from a real local RDAP service with its own bootstrap (tests/rdapserver.py): a
404 means "not registered" only after the registry has vouched for the canaries."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chaingate.facts.intel.interface import RdapRecord, SourceCheck
from chaingate.facts.intel.rdap import (
    DEFAULT_BOOTSTRAP,
    MalformedDocument,
    bootstrap_url_from_env,
    check_rdap,
    parse_bootstrap,
    parse_date,
    parse_domain,
    service_for,
)
from chaingate.net.http import HttpClient, HttpSettings
from tests.rdapserver import BOOTSTRAP_PATH, BadJSON, RdapServer, Status

Result = tuple[SourceCheck, dict[str, RdapRecord | None], dict[str, str], int]


def settings(cache_dir: Path) -> HttpSettings:
    return HttpSettings(cache_dir=cache_dir, timeout=5.0, retries=2, backoff=0.01, ttl=900)


def run(server: RdapServer, domains: list[str], cache_dir: Path) -> Result:
    async def go() -> Result:
        async with HttpClient(settings(cache_dir)) as client:
            return await check_rdap(domains, client, server.bootstrap_url)

    return asyncio.run(go())


def domain_hits(server: RdapServer) -> dict[str, int]:
    """Requests per looked-up name, canaries left out."""
    prefix = "/rdap/domain/"
    return {
        p.removeprefix(prefix): n
        for p, n in server.hits.items()
        if p.startswith(prefix) and p.removeprefix(prefix) not in ("pypi.org", "python.org")
    }


# --- against the local RDAP service -------------------------------------------------------


def test_registered_domain(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.add_domain(
        "example.com",
        registered=datetime(2009, 5, 1, 12, 0, tzinfo=UTC),
        expires=datetime(2027, 5, 1, 12, 0, tzinfo=UTC),
        last_changed=datetime(2025, 4, 2, 8, 30, tzinfo=UTC),
    )

    source, records, errors, sent = run(rdap_server, ["example.com"], tmp_path)

    assert source == SourceCheck("ok")
    assert records["example.com"] == RdapRecord(
        registered=True,
        registration=datetime(2009, 5, 1, 12, 0, tzinfo=UTC),
        expiration=datetime(2027, 5, 1, 12, 0, tzinfo=UTC),
        last_changed=datetime(2025, 4, 2, 8, 30, tzinfo=UTC),
        statuses=("client transfer prohibited",),
        url=f"{rdap_server.base_url}domain/example.com",
    )
    assert errors == {}
    assert sent == sum(rdap_server.hits.values())  # bootstrap, two canaries, one domain
    assert sent == 4
    assert all(
        h.get("accept") == "application/rdap+json"
        for _, path, h in rdap_server.requests
        if path != BOOTSTRAP_PATH
    )


def test_expired_domain_in_redemption(rdap_server: RdapServer, tmp_path: Path) -> None:
    """The state a ctx-style attacker waits for: expired, about to be released."""
    rdap_server.add_domain(
        "lapsing.com",
        registered=datetime(2012, 1, 10, tzinfo=UTC),
        expires=datetime(2026, 1, 10, tzinfo=UTC),
        status=["Redemption Period", "Pending Delete"],
    )

    _, records, _, _ = run(rdap_server, ["lapsing.com"], tmp_path)

    record = records["lapsing.com"]
    assert record is not None and record.registered
    assert record.expiration == datetime(2026, 1, 10, tzinfo=UTC)
    assert record.statuses == ("redemption period", "pending delete")
    assert record.last_changed is None  # the registry sent no "last changed" event


def test_not_registered_is_404(rdap_server: RdapServer, tmp_path: Path) -> None:
    source, records, errors, _ = run(rdap_server, ["free-for-anyone.com"], tmp_path)
    assert source.status == "ok"
    assert records["free-for-anyone.com"] == RdapRecord(
        registered=False, url=f"{rdap_server.base_url}domain/free-for-anyone.com"
    )
    assert errors == {}


def test_tld_without_rdap_service(tmp_path: Path) -> None:
    with RdapServer(unserved_tlds=["io"]) as server:
        source, records, errors, _ = run(server, ["example.io", "example.xyz"], tmp_path)
        assert domain_hits(server) == {}  # nothing to ask
    assert source.status == "ok"
    assert records == {"example.io": None, "example.xyz": None}
    assert errors == {
        "example.io": "no RDAP service for .io",
        "example.xyz": "no RDAP service for .xyz",
    }


def test_names_that_are_not_domains_are_not_sent(rdap_server: RdapServer, tmp_path: Path) -> None:
    source, records, errors, _ = run(rdap_server, ["bad_name.com", "a/../b.com"], tmp_path)
    assert source.status == "ok"
    assert records == {"bad_name.com": None, "a/../b.com": None}
    assert "not a domain name" in errors["bad_name.com"]
    assert domain_hits(rdap_server) == {}


def test_no_domains_sends_nothing(rdap_server: RdapServer, tmp_path: Path) -> None:
    assert run(rdap_server, [], tmp_path) == (SourceCheck("ok", "no domains to look up"), {}, {}, 0)
    assert sum(rdap_server.hits.values()) == 0


def test_rate_limited_then_answered(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.add_domain("busy.com", registered=datetime(2001, 1, 1, tzinfo=UTC))
    rdap_server.script("/rdap/domain/busy.com", [Status(429, retry_after=0.2)])

    source, records, errors, _ = run(rdap_server, ["busy.com"], tmp_path)

    assert source.status == "ok"
    record = records["busy.com"]
    assert record is not None and record.registered
    assert errors == {}
    assert domain_hits(rdap_server) == {"busy.com": 2}


def test_server_error_is_unknown_not_unregistered(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.always("/rdap/domain/flaky.com", Status(503))
    source, records, errors, _ = run(rdap_server, ["flaky.com"], tmp_path)
    assert source.status == "ok"
    assert records["flaky.com"] is None
    assert "RDAP lookup failed" in errors["flaky.com"] and "503" in errors["flaky.com"]


def test_malformed_answer_is_unknown_and_not_kept(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.add_domain("garbled.com", registered=datetime(2001, 1, 1, tzinfo=UTC))
    rdap_server.script("/rdap/domain/garbled.com", [BadJSON()])

    _, records, errors, _ = run(rdap_server, ["garbled.com"], tmp_path)
    assert records["garbled.com"] is None
    assert "unreadable" in errors["garbled.com"]

    _, records, errors, _ = run(rdap_server, ["garbled.com"], tmp_path)  # asked again
    assert records["garbled.com"] is not None and errors == {}
    assert domain_hits(rdap_server) == {"garbled.com": 2}


def test_service_down_is_unavailable_without_lookups(
    rdap_server: RdapServer, tmp_path: Path
) -> None:
    rdap_server.down = True

    source, records, errors, sent = run(rdap_server, ["example.com", "other.org"], tmp_path)

    assert source.status == "unavailable"
    assert f"RDAP bootstrap {rdap_server.bootstrap_url} unreachable" in source.reason
    assert "RDAP checks skipped" in source.reason
    assert records == {"example.com": None, "other.org": None}
    assert errors == {"example.com": source.reason, "other.org": source.reason}
    assert set(rdap_server.hits) == {BOOTSTRAP_PATH}
    assert sent == 1


def test_unreadable_bootstrap_is_unavailable(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.script(BOOTSTRAP_PATH, [BadJSON()])
    source, records, _, _ = run(rdap_server, ["example.com"], tmp_path)
    assert source.status == "unavailable"
    assert "unreadable" in source.reason
    assert records == {"example.com": None}
    assert set(rdap_server.hits) == {BOOTSTRAP_PATH}

    source, _, _, _ = run(rdap_server, ["example.com"], tmp_path)  # not served from the cache
    assert source.status == "ok"


def test_registry_that_denies_a_canary_is_not_believed(
    rdap_server: RdapServer, tmp_path: Path
) -> None:
    rdap_server.remove_domain("pypi.org")

    source, records, _, _ = run(rdap_server, ["free-for-anyone.com"], tmp_path)

    assert source.status == "unavailable"
    assert "pypi.org is not registered" in source.reason
    assert records == {"free-for-anyone.com": None}
    assert domain_hits(rdap_server) == {}


def test_canaries_all_failing_is_unavailable(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.always("/rdap/domain/pypi.org", Status(500))
    rdap_server.always("/rdap/domain/python.org", Status(500))

    source, records, _, _ = run(rdap_server, ["example.com"], tmp_path)

    assert source.status == "unavailable"
    assert "pypi.org, python.org failed" in source.reason and "500" in source.reason
    assert records == {"example.com": None}
    assert domain_hits(rdap_server) == {}


def test_one_canary_failing_is_still_believed(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.always("/rdap/domain/python.org", Status(500))
    source, _, _, _ = run(rdap_server, ["example.com"], tmp_path)
    assert source.status == "ok"


def test_bootstrap_without_canary_tld_is_unavailable(tmp_path: Path) -> None:
    with RdapServer(tlds=["com"]) as server:
        source, _, _, _ = run(server, ["example.com"], tmp_path)
        assert domain_hits(server) == {}
    assert source.status == "unavailable"
    assert "names no server for pypi.org, python.org" in source.reason


def test_warm_run_is_served_from_the_http_cache(rdap_server: RdapServer, tmp_path: Path) -> None:
    rdap_server.add_domain("example.com", registered=datetime(2001, 1, 1, tzinfo=UTC))
    cold = run(rdap_server, ["example.com", "gone.com"], tmp_path)
    rdap_server.clear_log()

    warm = run(rdap_server, ["example.com", "gone.com"], tmp_path)

    assert warm[:3] == cold[:3]
    assert warm[3] == 0 and sum(rdap_server.hits.values()) == 0


# --- documents as registries send them ----------------------------------------------------

# The shape of IANA's https://data.iana.org/rdap/dns.json (RFC 9224): several TLDs per
# service, several URLs per service (http and https), base URLs ending in "/".
IANA_SHAPED_BOOTSTRAP = b"""{
  "description": "RDAP bootstrap file for Domain Name System registrations",
  "publication": "2026-11-20T18:00:02Z",
  "services": [
    [["com", "net"], ["https://rdap.verisign.com/com/v1/"]],
    [["org"], ["http://rdap.publicinterestregistry.org/rdap/",
               "https://rdap.publicinterestregistry.org/rdap/"]],
    [["uk"], ["https://rdap.nominet.uk/uk/"]],
    [["co.uk"], ["https://rdap.example-registry.test/co.uk"]],
    [["broken entry"]],
    "not a service"
  ],
  "version": "1.0"
}"""

# The shape of Verisign's answer for a .com (https://rdap.verisign.com/com/v1/domain/<NAME>),
# with fictional registrar and contact data: upper-case ldhName, escaped slashes, events
# including "last update of RDAP database", a nested abuse entity, notices.
VERISIGN_SHAPED_DOMAIN = rb"""{"objectClassName":"domain","handle":"2917146032_DOMAIN_COM-VRSN",
"ldhName":"MAINTAINER-EXAMPLE.COM","links":[{"value":"https:\/\/rdap.verisign.com\/com\/v1\/domain\/MAINTAINER-EXAMPLE.COM",
"rel":"self","href":"https:\/\/rdap.verisign.com\/com\/v1\/domain\/MAINTAINER-EXAMPLE.COM","type":"application\/rdap+json"},
{"value":"https:\/\/rdap.registrar.test\/domain\/MAINTAINER-EXAMPLE.COM","rel":"related",
"href":"https:\/\/rdap.registrar.test\/domain\/MAINTAINER-EXAMPLE.COM","type":"application\/rdap+json"}],
"status":["client delete prohibited","client transfer prohibited","client update prohibited"],
"entities":[{"objectClassName":"entity","handle":"9996","roles":["registrar"],
"publicIds":[{"type":"IANA Registrar ID","identifier":"9996"}],
"vcardArray":["vcard",[["version",{},"text","4.0"],["fn",{},"text","Example Registrar, Inc."]]],
"entities":[{"objectClassName":"entity","roles":["abuse"],"vcardArray":["vcard",[["version",{},"text","4.0"],
["fn",{},"text",""],["tel",{"type":"voice"},"uri","tel:+1.5555550100"],["email",{},"text","abuse@registrar.test"]]]}]}],
"events":[{"eventAction":"registration","eventDate":"2014-06-03T17:21:45Z"},
{"eventAction":"expiration","eventDate":"2026-06-03T17:21:45Z"},
{"eventAction":"last changed","eventDate":"2025-05-29T09:12:01Z"},
{"eventAction":"last update of RDAP database","eventDate":"2026-11-24T22:05:12Z"}],
"secureDNS":{"delegationSigned":false},
"nameservers":[{"objectClassName":"nameserver","ldhName":"NS1.REGISTRAR-DNS.TEST"},
{"objectClassName":"nameserver","ldhName":"NS2.REGISTRAR-DNS.TEST"}],
"rdapConformance":["rdap_level_0","icann_rdap_technical_implementation_guide_1","icann_rdap_response_profile_1"],
"notices":[{"title":"Terms of Service","description":["Service subject to Terms of Use."],
"links":[{"href":"https:\/\/www.verisign.com\/domain-names\/registration-data-access-protocol\/terms-service\/index.xhtml","type":"text\/html"}]},
{"title":"Status Codes",
"description":[
"For more information on domain status codes, please visit https:\/\/icann.org\/epp"],
"links":[{"href":"https:\/\/icann.org\/epp","type":"text\/html"}]}]}"""


def test_iana_shaped_bootstrap() -> None:
    services = parse_bootstrap(IANA_SHAPED_BOOTSTRAP)
    assert services["com"] == services["net"] == "https://rdap.verisign.com/com/v1/"
    assert services["org"] == "https://rdap.publicinterestregistry.org/rdap/"  # https first
    assert services["co.uk"] == "https://rdap.example-registry.test/co.uk/"  # "/" added
    assert service_for("maintainer-example.com", services) == "https://rdap.verisign.com/com/v1/"
    assert service_for("Example.CO.UK.", services) == "https://rdap.example-registry.test/co.uk/"
    assert service_for("example.org.uk", services) == "https://rdap.nominet.uk/uk/"
    assert service_for("example.xyz", services) is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>",
        b"[]",
        b'{"services": {}}',
        b'{"services": [[["com"], []]]}',
        b'{"services": [[["com"], ["https://rdap exa mple/", "http://[::1/x", "ftp://a/"]]]}',
    ],
)
def test_malformed_bootstrap(body: bytes) -> None:
    with pytest.raises(MalformedDocument):
        parse_bootstrap(body)


def test_verisign_shaped_domain() -> None:
    url = "https://rdap.verisign.com/com/v1/domain/maintainer-example.com"
    assert parse_domain(VERISIGN_SHAPED_DOMAIN, url) == RdapRecord(
        registered=True,
        registration=datetime(2014, 6, 3, 17, 21, 45, tzinfo=UTC),
        expiration=datetime(2026, 6, 3, 17, 21, 45, tzinfo=UTC),
        last_changed=datetime(2025, 5, 29, 9, 12, 1, tzinfo=UTC),
        statuses=(
            "client delete prohibited",
            "client transfer prohibited",
            "client update prohibited",
        ),
        url=url,
    )


def test_a_later_registration_is_the_one_that_counts() -> None:
    doc = {
        "objectClassName": "domain",
        "events": [
            {"eventAction": "registration", "eventDate": "2003-02-01T00:00:00Z"},
            {"eventAction": "registration", "eventDate": "2022-05-14T00:00:00Z"},  # re-registered
            {"eventAction": "expiration", "eventDate": "whenever"},  # unreadable: skipped
            {"eventAction": "last changed"},
            "not an event",
            {"eventAction": 7, "eventDate": "2020-01-01T00:00:00Z"},
        ],
        "status": ["Active", 3, None],
    }
    record = parse_domain(json.dumps(doc).encode(), "u")
    assert record.registration == datetime(2022, 5, 14, tzinfo=UTC)
    assert record.expiration is None and record.last_changed is None
    assert record.statuses == ("active",)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"errorCode": 404, "title": "Not Found"}',
        b'{"objectClassName": "entity", "handle": "X"}',
    ],
)
def test_malformed_domain_document(body: bytes) -> None:
    with pytest.raises(MalformedDocument):
        parse_domain(body, "u")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1997-09-15T04:00:00Z", datetime(1997, 9, 15, 4, tzinfo=UTC)),
        ("2019-02-07T17:54:31.560000Z", datetime(2019, 2, 7, 17, 54, 31, 560000, tzinfo=UTC)),
        ("2000-01-01T00:00:00.000Z", datetime(2000, 1, 1, tzinfo=UTC)),
        ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T12:00:00.5-05:00", datetime(2024, 3, 1, 17, 0, 0, 500000, tzinfo=UTC)),
        ("2024-03-01t12:00:00z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
        ("2024-03-01T12:00:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),  # no offset: UTC
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2000-03-05T29:35:29Z", None),  # hour 29, seen in the wild
        ("", None),
        (None, None),
        (1700000000, None),
    ],
)
def test_parse_date(text: object, expected: datetime | None) -> None:
    got = parse_date(text)
    assert got == expected
    if got is not None:
        assert got.utcoffset() == timedelta(0) and got.tzinfo is UTC


def test_bootstrap_url_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHAINGATE_RDAP_BOOTSTRAP_URL", raising=False)
    assert bootstrap_url_from_env() == DEFAULT_BOOTSTRAP == "https://data.iana.org/rdap/dns.json"
    monkeypatch.setenv("CHAINGATE_RDAP_BOOTSTRAP_URL", "http://127.0.0.1:8080/dns.json")
    assert bootstrap_url_from_env() == "http://127.0.0.1:8080/dns.json"
