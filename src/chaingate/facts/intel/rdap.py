"""What domain registries say about maintainer email domains, over RDAP.

The registry for a domain is found through the IANA bootstrap file (RFC 9224: `services` is a
list of `[[tld, ...], [base_url, ...]]`); its answer is an RFC 9083 domain object whose
`events` carry the registration, expiration and last-changed dates and whose `status` says
e.g. "redemption period" or "pending delete". A 404 means the registry has no such domain:
anyone can register it, and then reset the password of an account that uses it.

Before any such claim is believed, the registry must know the canaries (`RDAP_CANARIES`); a
bootstrap that cannot be fetched, or a server that denies pypi.org, makes the whole source
`unavailable` and no per-domain request is sent. All HTTP goes through `HttpClient`, so
documents are cached, revalidated and retried (honouring Retry-After) like registry documents.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from urllib.parse import urlsplit

from chaingate.facts.intel.interface import RDAP_CANARIES, RdapRecord, SourceCheck
from chaingate.net.http import FetchError, HttpClient, Response

DEFAULT_BOOTSTRAP = "https://data.iana.org/rdap/dns.json"
ENV_BOOTSTRAP = "CHAINGATE_RDAP_BOOTSTRAP_URL"
RDAP_ACCEPT = "application/rdap+json"
BOOTSTRAP_ACCEPT = "application/json"

_EVENTS = {
    "registration": "registration",
    "expiration": "expiration",
    "last changed": "last_changed",
}


def bootstrap_url_from_env() -> str:
    """`CHAINGATE_RDAP_BOOTSTRAP_URL` when set, else IANA's DNS bootstrap file."""
    return os.environ.get(ENV_BOOTSTRAP, "").strip() or DEFAULT_BOOTSTRAP


class MalformedDocument(ValueError):
    """A bootstrap file or RDAP document that does not have the shape the RFCs give it."""


def parse_bootstrap(body: bytes) -> dict[str, str]:
    """TLD (lowercase, e.g. "com", "xn--p1ai") -> base URL ending in "/", preferring https.

    Entries that are not `[[str, ...], [str, ...]]` are skipped; a file with none usable is
    malformed.
    """
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise MalformedDocument(f"not JSON ({exc})") from None
    except RecursionError:
        raise MalformedDocument("not JSON (nested too deeply)") from None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, list):
        raise MalformedDocument("no `services` list")
    table: dict[str, str] = {}
    for service in services:
        if not (isinstance(service, list) and len(service) >= 2):
            continue
        tlds, urls = service[0], service[1]
        if not (isinstance(tlds, list) and isinstance(urls, list)):
            continue
        urls = [u for u in urls if _usable_url(u)]
        if not urls:
            continue
        base = next((u for u in urls if u.startswith("https://")), urls[0])
        base = base if base.endswith("/") else base + "/"
        for tld in tlds:
            if isinstance(tld, str) and tld.strip("."):
                table.setdefault(tld.strip(".").lower(), base)
    if not table:
        raise MalformedDocument("no usable service entries")
    return table


def _usable_url(url: object) -> bool:
    """An absolute http(s) URL with a host, and nothing an HTTP client would choke on."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_LDH_NAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def service_for(domain: str, services: Mapping[str, str]) -> str | None:
    """The base URL whose entry is the longest label suffix of `domain` (RFC 9224 4)."""
    labels = domain.lower().rstrip(".").split(".")
    for i in range(len(labels)):
        base = services.get(".".join(labels[i:]))
        if base is not None:
            return base
    return None


def parse_date(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 date as an aware UTC datetime (no offset: UTC); None when it
    cannot be read. Registries differ: "1997-09-15T04:00:00Z", "...:00.000Z", "+00:00"."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def parse_domain(body: bytes, url: str) -> RdapRecord:
    """An RFC 9083 domain object as an `RdapRecord` (registered=True).

    When an event occurs more than once the latest date counts (a re-registration is the
    registration that matters). Unreadable events and statuses are skipped; a document that
    is not a domain object at all is malformed.
    """
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise MalformedDocument(f"not JSON ({exc})") from None
    except RecursionError:
        raise MalformedDocument("not JSON (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise MalformedDocument("not a JSON object")
    if "errorCode" in doc:
        raise MalformedDocument(f"an RDAP error object (errorCode {doc.get('errorCode')!r})")
    kind = doc.get("objectClassName")
    if kind is not None and kind != "domain":
        raise MalformedDocument(f"objectClassName is {kind!r}, not 'domain'")
    dates: dict[str, datetime] = {}
    events = doc.get("events")
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        action = event.get("eventAction")
        field = _EVENTS.get(action.strip().lower()) if isinstance(action, str) else None
        when = parse_date(event.get("eventDate"))
        if field is None or when is None:
            continue
        if field not in dates or when > dates[field]:
            dates[field] = when
    status = doc.get("status")
    statuses = tuple(
        s.strip().lower()
        for s in (status if isinstance(status, list) else [])
        if isinstance(s, str)
    )
    return RdapRecord(
        registered=True,
        registration=dates.get("registration"),
        expiration=dates.get("expiration"),
        last_changed=dates.get("last_changed"),
        statuses=statuses,
        url=url,
    )


class _Lookups:
    """Domain lookups through one client, at most `concurrency` at a time, counted."""

    def __init__(self, client: HttpClient, services: Mapping[str, str], concurrency: int):
        self.client = client
        self.services = services
        self.sem = asyncio.Semaphore(concurrency)
        self.sent = 0

    async def fetch(self, url: str, accept: str) -> Response:
        try:
            resp = await self.client.fetch(url, accept=accept)
        except FetchError:
            if not self.client.settings.offline:
                self.sent += 1
            raise
        if not resp.from_cache:
            self.sent += 1
        return resp

    async def domain(self, domain: str) -> tuple[RdapRecord | None, str | None]:
        if not _LDH_NAME.match(domain):
            return None, f"{domain!r} is not a domain name RDAP can be asked about"
        base = service_for(domain, self.services)
        if base is None:
            return None, f"no RDAP service for .{domain.rsplit('.', 1)[-1]}"
        url = f"{base}domain/{domain}"
        async with self.sem:
            try:
                resp = await self.fetch(url, RDAP_ACCEPT)
                if resp.status == 404:
                    return RdapRecord(registered=False, url=url), None
                return parse_domain(resp.body, url), None
            except FetchError as exc:
                return None, f"RDAP lookup failed: {exc}"
            except MalformedDocument as exc:
                self.client.forget(url, accept=RDAP_ACCEPT)
                return None, f"RDAP answer from {url} unreadable: {exc}"


async def _canaries(
    lookups: _Lookups, bootstrap_url: str
) -> tuple[SourceCheck, dict[str, tuple[RdapRecord | None, str | None]]]:
    canaries = [c for c in RDAP_CANARIES if service_for(c, lookups.services) is not None]
    if not canaries:
        names = ", ".join(RDAP_CANARIES)
        reason = f"the RDAP bootstrap {bootstrap_url} names no server for {names}"
        return SourceCheck("unavailable", f"{reason}: RDAP checks skipped"), {}
    results = dict(
        zip(canaries, await asyncio.gather(*(lookups.domain(c) for c in canaries)), strict=True)
    )
    denied = [c for c, (rec, _) in results.items() if rec is not None and not rec.registered]
    if denied:
        servers = ", ".join(sorted({service_for(c, lookups.services) or "" for c in denied}))
        verb = "is" if len(denied) == 1 else "are"
        reason = (
            f"RDAP server {servers} says {', '.join(denied)} {verb} not registered: "
            "RDAP answers cannot be trusted, RDAP checks skipped"
        )
        return SourceCheck("unavailable", reason), results
    if all(rec is None for rec, _ in results.values()):
        errors = "; ".join(sorted({err or "" for _, err in results.values()}))
        reason = f"RDAP lookups of {', '.join(canaries)} failed ({errors}): RDAP checks skipped"
        return SourceCheck("unavailable", reason), results
    return SourceCheck("ok"), results


async def _bootstrap_and_canaries(
    lookups: _Lookups, bootstrap_url: str
) -> tuple[SourceCheck, dict[str, tuple[RdapRecord | None, str | None]]]:
    """Load the bootstrap into `lookups`, then check the canaries."""
    try:
        resp = await lookups.fetch(bootstrap_url, BOOTSTRAP_ACCEPT)
        if resp.status != 200:
            raise FetchError(f"HTTP {resp.status} from {bootstrap_url}")
        lookups.services = parse_bootstrap(resp.body)
    except FetchError as exc:
        reason = f"RDAP bootstrap {bootstrap_url} unreachable ({exc}): RDAP checks skipped"
        return SourceCheck("unavailable", reason), {}
    except MalformedDocument as exc:
        lookups.client.forget(bootstrap_url, accept=BOOTSTRAP_ACCEPT)
        reason = f"RDAP bootstrap {bootstrap_url} unreadable ({exc}): RDAP checks skipped"
        return SourceCheck("unavailable", reason), {}
    return await _canaries(lookups, bootstrap_url)


async def source_check(client: HttpClient, bootstrap_url: str) -> SourceCheck:
    """Only the bootstrap and the canaries: whether the registries can be believed."""
    source, _ = await _bootstrap_and_canaries(_Lookups(client, {}, 2), bootstrap_url)
    return source


async def check_rdap(
    domains: Iterable[str],
    client: HttpClient,
    bootstrap_url: str,
    *,
    concurrency: int = 10,
) -> tuple[SourceCheck, dict[str, RdapRecord | None], dict[str, str], int]:
    """Look up every domain at its registry, after checking the registries can be believed.

    Returns the source's status, a record for every domain (None: unknown), a reason for
    every None, and the number of HTTP requests sent (cache hits are not requests).
    """
    names = list(dict.fromkeys(d.lower().rstrip(".") for d in domains))
    if not names:
        return SourceCheck("ok", "no domains to look up"), {}, {}, 0
    lookups = _Lookups(client, {}, concurrency)
    source, done = await _bootstrap_and_canaries(lookups, bootstrap_url)
    if source.status != "ok":
        return source, dict.fromkeys(names), dict.fromkeys(names, source.reason), lookups.sent

    todo = [d for d in names if d not in done]
    done.update(zip(todo, await asyncio.gather(*(lookups.domain(d) for d in todo)), strict=True))
    records: dict[str, RdapRecord | None] = {}
    errors: dict[str, str] = {}
    for name in names:
        record, error = done[name]
        records[name] = record
        if error is not None:
            errors[name] = error
    return source, records, errors, lookups.sent
