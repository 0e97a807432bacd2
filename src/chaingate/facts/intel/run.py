"""Email-domain intelligence for a scan: which domains, what the caches and the store
already know, what DNS and RDAP say about the rest, and how the checks are reported."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import replace

from chaingate.core.facts import ProjectFacts
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus
from chaingate.facts.intel.interface import DomainReport, DomainStore, SourceCheck
from chaingate.net.http import HttpClient, HttpSettings


class DomainOptions(msgspec.Struct, frozen=True):
    """How to check maintainer email domains (DNS and RDAP)."""

    dns_servers: tuple[str, ...] | None  # "HOST[:PORT]"; None: the system's resolver
    bootstrap_url: str  # IANA RDAP bootstrap (dns.json) or a mirror
    ttl_hours: float = 24.0
    dns_timeout: float = 2.0
    rdap_timeout: float = 5.0


def _rdap_settings(http: HttpSettings, dopts: DomainOptions) -> HttpSettings:
    # Fail fast on an unreachable RDAP service: one retry, short backoff. A document is
    # reused no longer than a domain's answer is (a domain re-checked on its TTL is asked
    # again, not answered from the HTTP cache: `chaingate serve` re-checks on the TTL).
    return replace(
        http, timeout=dopts.rdap_timeout, retries=min(http.retries, 1), backoff=0.2,
        ttl=min(86400.0, dopts.ttl_hours * 3600),
    )  # fmt: skip


async def preflight(http: HttpSettings, dopts: DomainOptions, started: datetime) -> None:
    """Check the sources' canaries while registry documents download (they need no facts),
    and remember a source found unavailable, so `check_domains` skips it at once. On a
    machine whose resolver denies gmail.com this takes the canaries off the critical path.

    The caller runs it only while no domain answer is kept anywhere (no domain cache, no
    database yet): once there are some, most domains of a scan are usually known and
    `check_domains` may need no query at all."""
    if http.cache_dir is None or http.offline:
        return  # nowhere to carry the answer over; check_domains asks itself
    import asyncio

    from chaingate.facts.intel import dns, rdap
    from chaingate.facts.intel.cache import SourceMemo

    memo = SourceMemo(http.cache_dir)
    dns_key = ",".join(dopts.dns_servers or ("system",))
    jobs: dict[tuple[str, str], Awaitable[SourceCheck]] = {}
    if not memo.unavailable("dns", dns_key, started):
        jobs[("dns", dns_key)] = dns.source_check(dopts.dns_servers, timeout=dopts.dns_timeout)
    client = HttpClient(_rdap_settings(http, dopts))
    async with client:
        if not memo.unavailable("rdap", dopts.bootstrap_url, started):
            jobs[("rdap", dopts.bootstrap_url)] = rdap.source_check(client, dopts.bootstrap_url)
        try:
            async with asyncio.timeout(_left(http)):
                results = await asyncio.gather(*jobs.values(), return_exceptions=True)
        except TimeoutError:
            return  # --deadline: check_domains says so
    for (source, key), check in zip(jobs, results, strict=True):
        # A surprise here only means check_domains asks again; it must not cost the scan.
        if isinstance(check, SourceCheck) and check.status != "ok":
            memo.remember(source, key, check.reason, started)


def nothing_known(http: HttpSettings, db_url: str | None) -> bool:
    """No domain answer can be had without asking: no domain cache file and no database
    (a SQLite file not created yet; any other database may hold answers)."""
    from chaingate.facts.intel.cache import DomainCache

    kept = DomainCache(http.cache_dir, timedelta(hours=24)).path
    if kept is None or kept.exists():
        return False
    if db_url is None:
        return True
    prefix = "sqlite:///"
    if not db_url.startswith(prefix) or ":memory:" in db_url:
        return False
    return not Path(db_url[len(prefix) :].split("?", 1)[0]).exists()


def check_domains(
    facts: Mapping[PackageRef, ProjectFacts],
    http: HttpSettings,
    dopts: DomainOptions,
    now: datetime,
    started: datetime,
    store: DomainStore | None,
    run_async: Callable[[Coroutine[Any, Any, DomainReport]], DomainReport] | None = None,
) -> DomainReport:
    """DNS and RDAP for every maintainer email domain: once per domain, answers reused from
    the cache while younger than the TTL. A warm scan sends nothing, and does not even load
    the suffix list or the DNS library. The lookups run on `run_async` (the engine's loop;
    default: a loop of their own)."""
    from chaingate.facts.intel import psl
    from chaingate.facts.intel.cache import DomainCache, HostMemo, SourceMemo

    # Every host's registrable domain, kept for the next run even when no source can be
    # asked: the report counts registrable domains too, and a warm scan whose hosts are all
    # known never loads the suffix list (tldextract and requests under it, ~40-80 ms).
    hosts = HostMemo(http.cache_dir)
    seeded = hosts.load()
    psl.seed(seeded)
    wanted = sorted(
        {d for f in facts.values() for p in f.people if (d := psl.registrable_domain(p.domain))}
    )
    if psl.known().keys() - seeded.keys():
        hosts.save(psl.known())
    memo = SourceMemo(http.cache_dir)
    dns_key = ",".join(dopts.dns_servers or ("system",))
    dns_down = memo.unavailable("dns", dns_key, started)
    rdap_down = memo.unavailable("rdap", dopts.bootstrap_url, started)
    if dns_down and rdap_down and not http.refresh:
        return DomainReport(
            dns=SourceCheck("unavailable", dns_down), rdap=SourceCheck("unavailable", rdap_down)
        )
    if not wanted:
        ok = SourceCheck("ok", "no email domains")
        return DomainReport(dns=ok, rdap=ok)
    cache = DomainCache(http.cache_dir, timedelta(hours=dopts.ttl_hours))
    cached = cache.fresh(wanted, now)
    missing = [d for d in wanted if d not in cached]
    if missing and store is not None and not http.refresh:
        # The store keeps every believable answer too (a shared team database, a wiped cache).
        stored = store.domains(missing, now - cache.ttl)
        cache.put(stored.values())
        cached.update(stored)
    if len(cached) == len(wanted) and not http.refresh:
        fresh = SourceCheck("ok", f"answers from the last {dopts.ttl_hours:g} h (cache)")
        return DomainReport(domains=cached, dns=fresh, rdap=fresh)

    import asyncio

    from chaingate.facts.intel.lookup import look_up

    rdap_http = _rdap_settings(http, dopts)

    async def run() -> DomainReport:
        try:
            async with asyncio.timeout(_left(http)), HttpClient(rdap_http) as client:
                return await look_up(
                    wanted,
                    dns_servers=dopts.dns_servers,
                    client=client,
                    bootstrap_url=dopts.bootstrap_url,
                    now=now,
                    cached=cached,
                    dns_timeout=dopts.dns_timeout,
                )
        except TimeoutError:  # nothing of this run is kept or remembered: it did not finish
            late = SourceCheck("unavailable", "scan deadline reached")
            return DomainReport(domains=cached, dns=late, rdap=late)

    report = (run_async or asyncio.run)(run())
    if report.queries:
        for source, check, key in (
            ("dns", report.dns, dns_key),
            ("rdap", report.rdap, dopts.bootstrap_url),
        ):
            memo.remember(source, key, check.reason if check.status != "ok" else None, started)
        if report.dns.status == "ok" and report.rdap.status == "ok":
            cache.put(f for d, f in report.domains.items() if d not in cached)
    return report


def _left(http: HttpSettings) -> float | None:
    """Seconds until the scan's deadline (--deadline), or None without one."""
    return None if http.deadline_at is None else max(0.0, http.deadline_at - time.time())


def domain_checks(report: DomainReport | None) -> dict[str, CheckStatus]:
    if report is None:
        reason = "email-domain checks were not run (--no-domain-checks)"
        return {
            "dns": CheckStatus("unavailable", reason),
            "rdap": CheckStatus("unavailable", reason),
        }
    return {
        "dns": CheckStatus(report.dns.status, report.dns.reason),
        "rdap": CheckStatus(report.rdap.status, report.rdap.reason),
    }
