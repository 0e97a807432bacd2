"""One lookup per email domain: DNS and RDAP side by side, answers from the cache reused.

The caller decides which cached answers are fresh; those are not asked again. When every
domain is answered from the cache nothing is sent at all -- not even the canaries -- so a warm
re-scan costs no network round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from chaingate.facts.intel.dns import check_dns
from chaingate.facts.intel.interface import DomainFacts, DomainReport, SourceCheck
from chaingate.facts.intel.rdap import check_rdap
from chaingate.net.http import HttpClient


async def look_up(
    domains: Iterable[str],
    *,
    dns_servers: Sequence[str] | None,
    client: HttpClient,
    bootstrap_url: str,
    now: datetime,
    cached: Mapping[str, DomainFacts] = {},  # read only: a shared default is safe
    dns_timeout: float = 2.0,
) -> DomainReport:
    """DNS and RDAP facts for every (registrable, lowercase) domain in `domains`.

    Domains in `cached` are taken from it as they are; the rest are looked up, stamped
    `checked_at=now`. A source that fails its canaries is reported `unavailable` and its
    answers are None with the reason, for every domain looked up in this run.
    """
    names = list(dict.fromkeys(d.lower().rstrip(".") for d in domains))
    todo = [d for d in names if d not in cached]
    found = {d: cached[d] for d in names if d in cached}
    if not todo:
        return DomainReport(
            domains=found,
            dns=SourceCheck("ok", "from cache"),
            rdap=SourceCheck("ok", "from cache"),
            queries=0,
        )

    (
        (dns_source, answers, dns_errors, dns_sent),
        (rdap_source, records, rdap_errors, rdap_sent),
    ) = await asyncio.gather(
        check_dns(todo, dns_servers, timeout=dns_timeout),
        check_rdap(todo, client, bootstrap_url),
    )
    for d in todo:
        found[d] = DomainFacts(
            domain=d,
            checked_at=now,
            dns=answers.get(d),
            rdap=records.get(d),
            dns_error=dns_errors.get(d),
            rdap_error=rdap_errors.get(d),
        )
    return DomainReport(
        domains={d: found[d] for d in names},
        dns=dns_source,
        rdap=rdap_source,
        queries=dns_sent + rdap_sent,
    )
