"""A local RDAP service for tests: real HTTP on 127.0.0.1, with its own IANA-style bootstrap.

Clients talk to it over sockets exactly as chaingate talks to rdap.verisign.com -- no
monkeypatching:

    with RdapServer() as rdap:                           # pypi.org, python.org registered
        rdap.add_domain("example.com", registered=datetime(2026, 11, 20, tzinfo=UTC))
        httpx.get(rdap.bootstrap_url)                    # RFC 9224 dns.json -> rdap.url/rdap/
        httpx.get(f"{rdap.url}/rdap/domain/example.com") # RFC 9083 domain object
        rdap.script("/rdap/domain/example.com", [Status(429, retry_after=2)])
        assert rdap.hits["/rdap/domain/example.com"] == 1

Routes (GET and HEAD): `/bootstrap/dns.json`, the bootstrap document, and
`/rdap/domain/<name>`, the domain object (RFC 7482 3.1.3) as `application/rdap+json`; a name
never added answers 404 with an RFC 9083 error body -- per RFC 7480 5.3, the object does not
exist. Anything else is 404 too. Every response carries `Access-Control-Allow-Origin: *`
(RFC 7480 5.6).

The shapes follow real documents:
- the bootstrap mirrors https://data.iana.org/rdap/dns.json (RFC 9224 section 4): keys
  "description" ("RDAP bootstrap file for Domain Name System registrations"), "publication",
  "services", "version" ("1.0"); each service is [[TLD, ...], [base URL ending in "/", ...]];
- the domain object is modeled on Verisign's answer for GOOGLE.COM from
  https://rdap.verisign.com/com/v1/domain/GOOGLE.COM (a capture published as
  deershark/whois-golang testdata/rdap_google_com.json): upper-case ldhName, a handle like
  "2138514_DOMAIN_COM-VRSN", a self and a registrar "related" link, status strings in RFC
  8056 form ("client transfer prohibited"), a registrar entity with its IANA ID and an abuse
  contact, events "registration" / "expiration" / "last changed" / "last update of RDAP
  database" with dates like "1997-09-15T04:00:00Z", secureDNS, nameservers, rdapConformance
  and the three notices Verisign sends -- with fictional registrar and contact data;
- the 404 body is an RFC 9083 section 6 error response.

Faults work as in tests/pypiserver.py (whose fault classes are reused; both servers take the
scripting from tests/serverkit.py): `.script(path, [...])` queues one item per request for that
exact path, `.always(path, item)` applies once the script is used up; a `Status` answers with
that code, a `Retry-After` if given, and an RFC 9083 error body. `.down = True` makes every
request, the bootstrap included, end with the connection closed and no response (requests are
still counted in `.hits`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.pypiserver import BadJSON, Delay, Disconnect, Fault, NotFound, Status, Truncated
from tests.serverkit import BackgroundHTTPServer, ScriptedFaults, ScriptedHandler

__all__ = [
    "RDAP_JSON",
    "BadJSON",
    "Delay",
    "Disconnect",
    "Fault",
    "NotFound",
    "RdapServer",
    "Status",
    "Truncated",
]

RDAP_JSON = "application/rdap+json"
BOOTSTRAP_PATH = "/bootstrap/dns.json"
DOMAIN_PREFIX = "/rdap/domain/"
DEFAULT_TLDS = ("com", "net", "org", "io", "dev", "info", "co", "uk")
PUBLICATION = "2026-11-25T00:00:00Z"
CONFORMANCE = [
    "rdap_level_0",
    "icann_rdap_technical_implementation_guide_1",
    "icann_rdap_response_profile_1",
]

# Canaries chaingate checks before believing RDAP (chaingate.facts.intel.interface.RDAP_CANARIES):
# registered long ago and in good standing.
CANARIES: dict[str, datetime] = {
    "python.org": datetime(1995, 3, 27, 5, 0, tzinfo=UTC),
    "pypi.org": datetime(2002, 11, 20, 5, 0, tzinfo=UTC),
}


# Fictional registrar, in the place Verisign names the sponsoring registrar.
REGISTRAR = {"name": "Example Registrar, Inc.", "iana_id": "9996", "abuse": "abuse@registrar.test"}


@dataclass(frozen=True)
class _Domain:
    name: str  # lower case, no trailing dot
    handle: str
    registered: datetime
    expires: datetime | None
    last_changed: datetime | None
    status: tuple[str, ...]


class RdapServer(ScriptedFaults, BackgroundHTTPServer):
    """An RDAP service (RFC 7480/7482/9083) plus its bootstrap (RFC 9224) on 127.0.0.1."""

    def __init__(
        self, *, tlds: Iterable[str] = DEFAULT_TLDS, unserved_tlds: Iterable[str] = ()
    ) -> None:
        super().__init__()
        self.tlds: list[str] = [t.lower() for t in tlds]  # listed in the bootstrap...
        self.unserved_tlds: set[str] = {t.lower() for t in unserved_tlds}  # ...unless here
        self.publication = PUBLICATION
        self.down = False
        self._domains: dict[str, _Domain] = {}
        self._handles = itertools.count(2138514)
        for name, registered in CANARIES.items():
            self.add_domain(
                name,
                registered=registered,
                expires=registered.replace(year=2033),
                last_changed=datetime(2024, 3, 1, 12, 0, tzinfo=UTC),
            )

    # -- lifecycle (start, close, url: BackgroundHTTPServer)

    def _handler(self) -> type[_Handler]:
        return _Handler

    @property
    def bootstrap_url(self) -> str:
        """Where the bootstrap is served: pass it where chaingate expects IANA's dns.json."""
        return self.url + BOOTSTRAP_PATH

    @property
    def base_url(self) -> str:
        """The RDAP base URL the bootstrap lists (RFC 9224: it ends with "/")."""
        return self.url + "/rdap/"

    # -- content

    def add_domain(
        self,
        name: str,
        *,
        registered: datetime,
        expires: datetime | None = None,
        last_changed: datetime | None = None,
        status: list[str] | None = None,
    ) -> None:
        """Serve a domain object for `name` (replacing any earlier one).

        `expires` / `last_changed` None: no "expiration" / "last changed" event (as registries
        such as SWITCH omit them). `status` None: ["client transfer prohibited"]; give e.g.
        ["redemption period"] or ["pending delete"] for a lapsed domain. Naive datetimes are
        taken as UTC.
        """
        key = _key(name)
        tld = key.rsplit(".", 1)[-1].upper()
        with self._lock:
            previous = self._domains.get(key)
            handle = previous.handle if previous else f"{next(self._handles)}_DOMAIN_{tld}-VRSN"
            self._domains[key] = _Domain(
                name=key,
                handle=handle,
                registered=registered,
                expires=expires,
                last_changed=last_changed,
                status=tuple(["client transfer prohibited"] if status is None else status),
            )

    def remove_domain(self, name: str) -> None:
        """Stop serving `name`: it answers 404 (does not exist), canaries included."""
        with self._lock:
            self._domains.pop(_key(name), None)

    def bootstrap(self) -> dict[str, Any]:
        """The RFC 9224 document served at `.bootstrap_url` (key order as IANA's dns.json)."""
        served = [t for t in self.tlds if t not in self.unserved_tlds]
        return {
            "description": "RDAP bootstrap file for Domain Name System registrations",
            "publication": self.publication,
            "services": [[served, [self.base_url]]] if served else [],
            "version": "1.0",
        }

    # -- used by the handler

    def _domain(self, name: str) -> _Domain | None:
        with self._lock:
            return self._domains.get(_key(name))

    def _document(self, domain: _Domain, request_url: str) -> dict[str, Any]:
        """The domain object, shaped as Verisign's (see the module docstring)."""
        name = domain.name.upper()
        self_href = f"{self.base_url}domain/{name}"
        events = [{"eventAction": "registration", "eventDate": _date(domain.registered)}]
        if domain.expires is not None:
            events.append({"eventAction": "expiration", "eventDate": _date(domain.expires)})
        if domain.last_changed is not None:
            events.append({"eventAction": "last changed", "eventDate": _date(domain.last_changed)})
        events.append(
            {"eventAction": "last update of RDAP database", "eventDate": _date(datetime.now(UTC))}
        )
        return {
            "objectClassName": "domain",
            "handle": domain.handle,
            "ldhName": name,
            "links": [
                {"value": request_url, "rel": "self", "href": self_href, "type": RDAP_JSON},
            ],
            "status": list(domain.status),
            "entities": [_registrar()],
            "events": events,
            "secureDNS": {"delegationSigned": False},
            "nameservers": [
                {"objectClassName": "nameserver", "ldhName": f"NS{i}.{name}"} for i in (1, 2)
            ],
            "rdapConformance": CONFORMANCE,
            "notices": _notices(request_url),
        }


# --- documents -----------------------------------------------------------------------------


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _date(when: datetime) -> str:
    """RFC 3339 in UTC with a Z, to the second, as Verisign writes it."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _registrar() -> dict[str, Any]:
    return {
        "objectClassName": "entity",
        "handle": REGISTRAR["iana_id"],
        "roles": ["registrar"],
        "publicIds": [{"type": "IANA Registrar ID", "identifier": REGISTRAR["iana_id"]}],
        "vcardArray": [
            "vcard",
            [["version", {}, "text", "4.0"], ["fn", {}, "text", REGISTRAR["name"]]],
        ],
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["abuse"],
                "vcardArray": [
                    "vcard",
                    [
                        ["version", {}, "text", "4.0"],
                        ["fn", {}, "text", ""],
                        ["tel", {"type": "voice"}, "uri", "tel:+1.5555550100"],
                        ["email", {}, "text", REGISTRAR["abuse"]],
                    ],
                ],
            }
        ],
    }


def _notices(request_url: str) -> list[dict[str, Any]]:
    return [
        {
            "title": "Terms of Service",
            "description": ["Service subject to Terms of Use."],
            "links": [
                {
                    "href": "https://rdap.registry.test/terms-of-service",
                    "type": "text/html",
                    "value": request_url,
                    "rel": "terms-of-service",
                }
            ],
        },
        {
            "title": "Status Codes",
            "description": [
                "For more information on domain status codes, please visit https://icann.org/epp"
            ],
            "links": [{"href": "https://icann.org/epp", "type": "text/html"}],
        },
        {
            "title": "RDDS Inaccuracy Complaint Form",
            "description": [
                "URL of the ICANN RDDS Inaccuracy Complaint Form: https://icann.org/wicf"
            ],
            "links": [
                {
                    "href": "https://icann.org/wicf",
                    "type": "text/html",
                    "value": request_url,
                    "rel": "help",
                }
            ],
        },
    ]


def _error(code: int, description: str | None = None) -> bytes:
    """An RFC 9083 section 6 error response."""
    body: dict[str, Any] = {
        "rdapConformance": ["rdap_level_0"],
        "errorCode": code,
        "title": _title(code),
    }
    if description:
        body["description"] = [description]
    return json.dumps(body).encode()


def _title(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


# --- HTTP ----------------------------------------------------------------------------------


class _Handler(ScriptedHandler):
    owner: RdapServer
    server_version = "chaingate-test-rdap/1.0"

    def _answer(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = self.owner._record(self.command, path, headers)

        if self.owner.down:
            self.close_connection = True  # no response at all
            return
        if self._play(fault, head):
            return

        if path == BOOTSTRAP_PATH:
            body = json.dumps(self.owner.bootstrap(), indent=2).encode()
            content_type = "application/json"  # as data.iana.org serves it
        elif path.startswith(DOMAIN_PREFIX):
            name = path.removeprefix(DOMAIN_PREFIX)
            if not name.strip(".") or "/" in name:
                self._send(400, _error(400, "Malformed domain name."), RDAP_JSON, {}, head)
                return
            domain = self.owner._domain(name)
            if domain is None:
                self._send_error(404, {}, head)
                return
            request_url = self.owner.url + self.path
            body = json.dumps(self.owner._document(domain, request_url)).encode()
            content_type = RDAP_JSON
        else:
            self._send_error(404, {}, head)
            return

        if isinstance(fault, BadJSON):
            body = body[: len(body) // 2]
        self._send(200, body, content_type, {}, head, truncate=isinstance(fault, Truncated))

    def _send_error(self, code: int, extra: Mapping[str, str], head: bool) -> None:
        self._send(code, _error(code), RDAP_JSON, extra, head)

    def _send(
        self,
        code: int,
        body: bytes,
        content_type: str,
        extra: Mapping[str, str],
        head: bool,
        truncate: bool = False,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Access-Control-Allow-Origin", "*")
        for key, value in extra.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if head:
            return
        self.wfile.write(body[: len(body) // 2] if truncate else body)
        self.wfile.flush()


def healthy_world(dns: Any, rdap: RdapServer) -> None:
    """Make every maintainer email domain of the recorded PyPI documents exist in `dns` (a
    tests.dnsserver.DnsServer) and registered since 2000 in `rdap`: the world as it is."""
    from chaingate.ecosystems.pypi.registry import parse_project
    from chaingate.facts.intel.psl import registrable_domain
    from tests.pypiserver import recorded_documents

    since = datetime(2000, 1, 1, tzinfo=UTC)
    until = datetime(2030, 1, 1, tzinfo=UTC)
    for name, body in recorded_documents().items():
        facts = parse_project(body, source_url=name, fetched_at=since)
        for person in facts.people:
            domain = registrable_domain(person.domain)
            if domain and domain not in ("pypi.org", "python.org"):
                dns.add(domain, a=["192.0.2.10"], mx=[f"10 mx.{domain}."])
                rdap.add_domain(domain, registered=since, expires=until)
