"""What DNS says about maintainer email domains: does the name exist, and does it have mail
(MX), address (A/AAAA) and delegation (NS) records.

A resolver is believed only after it has answered for the canaries (`DNS_CANARIES`, domains
that must exist). Some resolvers answer NXDOMAIN for everything they will not forward (the
ones on chaingate's own build machines say gmail.com does not exist); trusting them would turn
every maintainer into a "lapsed domain" finding. A resolver that denies a canary, or answers
for none of them, makes the whole source `unavailable`, and no per-domain query is sent.

The opposite lie is as bad: a resolver that answers every name (captive portals, ISPs that
hijack NXDOMAIN) makes a lapsed domain look alive. So the resolver must also deny names that
cannot exist: a random label under `invalid.` (RFC 6761) and one under each public suffix of
the domains asked about (a random 16-byte label is registered by nobody). An answer for any
of them makes the source `unavailable` too.

Per domain, only NXDOMAIN means "does not exist". A timeout or SERVFAIL is an unknown (`None`
with a reason), never a missing record.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

import msgspec

from chaingate.facts.intel.interface import DNS_CANARIES, DnsAnswer, SourceCheck

if TYPE_CHECKING:
    import dns.asyncresolver

# dnspython (~25-40 ms to import) is imported by `_resolver`, just before the first query:
# a run that sends none (sources remembered unavailable, every answer cached, a bad
# server setting) never loads it.

ENV_SERVERS = "CHAINGATE_DNS_SERVERS"
CANARY_LABEL = "chaingate-canary-"  # the start of every name asked that must not exist
WILDCARD_REASON = "answers names that cannot exist (wildcard/captive portal)"


def servers_from_env() -> list[str] | None:
    """The resolvers named in `CHAINGATE_DNS_SERVERS` (comma-separated `HOST`, `HOST:PORT`,
    `[V6]:PORT`), or None (use the system's resolver) when it is unset or empty."""
    servers = [s.strip() for s in os.environ.get(ENV_SERVERS, "").split(",") if s.strip()]
    return servers or None


class _ConfigError(Exception):
    """The resolver cannot be set up; the message says why (shown as the source's reason)."""


def _parse_server(spec: str) -> tuple[str, int]:
    """`"1.2.3.4"`, `"1.2.3.4:5353"`, `"::1"`, `"[::1]:5353"` -> (address, port)."""
    spec = spec.strip()
    host, port = spec, "53"
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise _ConfigError(f"DNS server {spec!r}: expected [IPv6]:PORT")
        port = rest[1:] or "53"
    elif spec.count(":") == 1:
        host, _, port = spec.partition(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise _ConfigError(f"DNS server {spec!r}: not an IP address") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise _ConfigError(f"DNS server {spec!r}: bad port {port!r}")
    return address, int(port)


def _resolver(
    servers: Sequence[str] | None, timeout: float
) -> tuple[dns.asyncresolver.Resolver, str]:
    """A resolver for `servers` (None: the system's) and the words naming it in reasons."""
    if servers is not None and not servers:
        raise _ConfigError("no DNS servers configured")
    parsed = None if servers is None else [_parse_server(s) for s in servers]
    import dns.asyncresolver
    import dns.nameserver
    import dns.resolver

    if servers is None or parsed is None:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            raise _ConfigError(f"no usable system resolver configuration ({exc})") from None
        names = [str(ns) for ns in resolver.nameservers]
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(a, p) for a, p in parsed]
        names = [s.strip() for s in servers]
    resolver.cache = None
    resolver.lifetime = timeout
    # Two tries within the lifetime, so one lost UDP packet does not cost an answer.
    resolver.timeout = timeout / 2
    who = f"resolver {names[0]}" if len(names) == 1 else f"resolvers {', '.join(names)}"
    return resolver, who


Outcome = Literal["records", "nodata", "nxdomain", "error"]


class _Result(msgspec.Struct, frozen=True):
    outcome: Outcome
    error: str = ""


def _describe(exc: Exception, timeout: float) -> str:
    import dns.exception
    import dns.resolver

    if isinstance(exc, dns.exception.Timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, dns.resolver.NoNameservers):
        errors = exc.kwargs.get("errors") or []
        said = sorted({str(e[3]) for e in errors})  # "SERVFAIL", "REFUSED", an OSError
        return ", ".join(said) or "no server could answer"
    return f"{type(exc).__name__}: {exc}"


class _Querier:
    """Sends queries through one resolver, at most `concurrency` at a time, and counts them."""

    def __init__(self, resolver: dns.asyncresolver.Resolver, timeout: float, concurrency: int):
        self.resolver = resolver
        self.timeout = timeout
        self.sem = asyncio.Semaphore(concurrency)
        self.sent = 0

    async def query(self, domain: str, rdtype: str) -> _Result:
        import dns.exception  # (loaded by `_resolver` already)
        import dns.resolver

        async with self.sem:
            self.sent += 1
            try:
                answer = await self.resolver.resolve(
                    f"{domain}.",
                    rdtype,
                    raise_on_no_answer=False,
                    lifetime=self.timeout,
                    search=False,
                )
            except dns.resolver.NXDOMAIN:
                return _Result("nxdomain")
            except dns.exception.DNSException as exc:
                return _Result("error", _describe(exc, self.timeout))
            except (OSError, ValueError) as exc:
                return _Result("error", f"{type(exc).__name__}: {exc}")
        return _Result("records" if answer.rrset is not None else "nodata")

    async def address(self, domain: str) -> _Result:
        """A, then AAAA only when the name exists without A records."""
        a = await self.query(domain, "A")
        if a.outcome != "nodata":
            return a
        return await self.query(domain, "AAAA")

    async def domain(self, domain: str) -> tuple[DnsAnswer | None, str | None]:
        a, mx, ns = await asyncio.gather(
            self.address(domain), self.query(domain, "MX"), self.query(domain, "NS")
        )
        results = {"A/AAAA": a, "MX": mx, "NS": ns}
        nx = [t for t, r in results.items() if r.outcome == "nxdomain"]
        seen = [t for t, r in results.items() if r.outcome == "records"]
        failed = {t: r.error for t, r in results.items() if r.outcome == "error"}
        if nx and seen:
            return None, (
                f"inconsistent answers: NXDOMAIN for {'/'.join(nx)}, records for {'/'.join(seen)}"
            )
        if nx:
            return DnsAnswer(exists=False), None
        if failed:
            detail = "; ".join(f"{t}: {e}" for t, e in failed.items())
            return None, f"DNS lookup incomplete ({detail})"
        return (
            DnsAnswer(
                exists=True,
                has_a=a.outcome == "records",
                has_mx=mx.outcome == "records",
                has_ns=ns.outcome == "records",
            ),
            None,
        )


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


async def _canaries(q: _Querier, who: str) -> SourceCheck:
    results = await asyncio.gather(*(q.query(c, "A") for c in DNS_CANARIES))
    by_canary = dict(zip(DNS_CANARIES, results, strict=True))
    denied = [c for c, r in by_canary.items() if r.outcome == "nxdomain"]
    if denied:
        verb = "says" if who.startswith("resolver ") else "say"
        exist = "does not exist" if len(denied) == 1 else "do not exist"
        return SourceCheck(
            "unavailable",
            f"{who} {verb} {_and(denied)} {exist} (NXDOMAIN): "
            "DNS answers cannot be trusted, DNS checks skipped",
        )
    if all(r.outcome == "error" for r in results):
        errors = sorted({r.error for r in results})
        return SourceCheck(
            "unavailable",
            f"{who} could not resolve {_and(list(DNS_CANARIES))} ({'; '.join(errors)}): "
            "DNS checks skipped",
        )
    return SourceCheck("ok")


# At most this many suffixes get a canary of their own (a tree's domains use a handful).
_MAX_SUFFIX_CANARIES = 16


def _impossible_names(domains: Iterable[str]) -> list[str]:
    """Names nobody can have registered: a fresh random label under `invalid.` and under
    each public suffix of `domains` (`com` when there is none)."""
    label = f"{CANARY_LABEL}{secrets.token_hex(16)}"
    suffixes = sorted({d.split(".", 1)[1] for d in domains if "." in d}) or ["com"]
    names = [f"{label}.invalid", *(f"{label}.{s}" for s in suffixes[:_MAX_SUFFIX_CANARIES])]
    return list(dict.fromkeys(names))


async def _wildcard(q: _Querier, who: str, domains: Iterable[str]) -> SourceCheck:
    """Whether the resolver denies names that cannot exist, as an honest one does."""
    names = _impossible_names(domains)
    results = await asyncio.gather(*(q.query(n, "A") for n in names))
    by_name = list(zip(names, results, strict=True))
    answered = [n for n, r in by_name if r.outcome in ("records", "nodata")]
    if answered:
        one = who.startswith("resolver ")
        reason = WILDCARD_REASON if one else WILDCARD_REASON.replace("answers", "answer", 1)
        return SourceCheck(
            "unavailable",
            f"{who} {reason}: {_and(answered)} resolved although it cannot exist; "
            "DNS checks skipped",
        )
    # A resolver may refuse RFC 6761 names outright; only the real suffixes must answer.
    failed = sorted(
        {r.error for n, r in by_name if r.outcome == "error" and not n.endswith(".invalid")}
    )
    if failed:
        return SourceCheck(
            "unavailable",
            f"{who} could not be checked for answering names that cannot exist "
            f"({'; '.join(failed)}): DNS checks skipped",
        )
    return SourceCheck("ok")


async def _believable(q: _Querier, who: str, domains: Iterable[str]) -> SourceCheck:
    """The canaries that must exist, then the names that must not."""
    source = await _canaries(q, who)
    if source.status != "ok":
        return source
    return await _wildcard(q, who, domains)


async def source_check(servers: Sequence[str] | None, *, timeout: float = 2.0) -> SourceCheck:
    """Only the canaries: whether the resolver can be believed at all."""
    try:
        resolver, who = _resolver(servers, timeout)
    except _ConfigError as exc:
        return SourceCheck("unavailable", f"{exc}: DNS checks skipped")
    return await _believable(_Querier(resolver, timeout, len(DNS_CANARIES)), who, ())


async def check_dns(
    domains: Iterable[str],
    servers: Sequence[str] | None,
    *,
    timeout: float = 2.0,
    concurrency: int = 50,
) -> tuple[SourceCheck, dict[str, DnsAnswer | None], dict[str, str], int]:
    """Look up every domain, after checking that the resolver can be believed.

    Returns the source's status, an answer for every domain (None: unknown), a reason for
    every None, and the number of queries sent. `servers` are `HOST` / `HOST:PORT` /
    `[V6]:PORT` strings; None uses the system's resolver (/etc/resolv.conf).
    """
    names = list(dict.fromkeys(d.lower().rstrip(".") for d in domains))
    if not names:
        return SourceCheck("ok", "no domains to look up"), {}, {}, 0
    try:
        resolver, who = _resolver(servers, timeout)
    except _ConfigError as exc:
        source = SourceCheck("unavailable", f"{exc}: DNS checks skipped")
        return source, dict.fromkeys(names), dict.fromkeys(names, source.reason), 0

    q = _Querier(resolver, timeout, concurrency)
    source = await _believable(q, who, names)
    if source.status != "ok":
        return source, dict.fromkeys(names), dict.fromkeys(names, source.reason), q.sent

    results = await asyncio.gather(*(q.domain(d) for d in names))
    answers: dict[str, DnsAnswer | None] = {}
    errors: dict[str, str] = {}
    for name, (answer, error) in zip(names, results, strict=True):
        answers[name] = answer
        if error is not None:
            errors[name] = error
    return source, answers, errors, q.sent
