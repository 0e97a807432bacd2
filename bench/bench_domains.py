"""Benchmark: email-domain intelligence for 1,000 distinct domains against local servers.

A child process runs the test suite's real DNS server (dnslib, UDP/TCP on 127.0.0.1) and
RDAP server (HTTP, with its own IANA-style bootstrap), loaded with 1,000 domains. This
process then runs chaingate's lookup the way a scan does (canaries, then DNS A/MX/NS and
RDAP for every domain, bounded concurrency), cold; then the warm path: the domain cache
answers every domain and no query is sent.

    .venv/bin/python bench/bench_domains.py [--domains 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the servers live in tests/

from chaingate.facts.intel.cache import DomainCache  # noqa: E402
from chaingate.facts.intel.lookup import look_up  # noqa: E402
from chaingate.net.http import HttpClient, HttpSettings  # noqa: E402


def serve(n: int, conn: Connection) -> None:
    from tests.dnsserver import DnsServer
    from tests.rdapserver import RdapServer

    with DnsServer() as dns, RdapServer() as rdap:
        for i in range(n):
            name = f"maint{i:04d}.com"
            dns.add(name, a=["192.0.2.1"], mx=[f"10 mx.{name}."], ns=[f"ns1.{name}."])
            if i % 10:  # one in ten is not registered: RDAP 404
                rdap.add_domain(name, registered=datetime(2010, 1, 1, tzinfo=UTC))
        conn.send((dns.spec, rdap.bootstrap_url))
        conn.recv()  # wait until told to stop
        conn.send((len(dns.queries), sum(rdap.hits.values())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--domains", type=int, default=1000)
    args = ap.parse_args()
    domains = [f"maint{i:04d}.com" for i in range(args.domains)]

    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(args.domains, child))
    server.start()
    dns_spec, bootstrap = parent.recv()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        settings = HttpSettings(cache_dir=Path(tmp) / "http", timeout=5, retries=1, backoff=0.2)

        async def run() -> tuple[float, int, int]:
            async with HttpClient(settings) as client:
                t = time.perf_counter()
                report = await look_up(
                    domains, dns_servers=[dns_spec], client=client, bootstrap_url=bootstrap,
                    now=now,
                )  # fmt: skip
                elapsed = time.perf_counter() - t
                answered = sum(1 for f in report.domains.values() if f.dns and f.rdap)
                assert report.dns.status == "ok" and report.rdap.status == "ok", report
                cache = DomainCache(Path(tmp), timedelta(hours=24))
                cache.put(report.domains.values())
                return elapsed, report.queries, answered

        cold, queries, answered = asyncio.run(run())

        cache = DomainCache(Path(tmp), timedelta(hours=24))
        t = time.perf_counter()
        cached = cache.fresh(domains, now)
        warm = time.perf_counter() - t
    parent.send("stop")
    dns_seen, rdap_seen = parent.recv()
    server.join()

    print(f"domains: {len(domains)} (DNS server {dns_spec}, RDAP bootstrap {bootstrap})")
    print(f"cold lookup: {cold:.2f} s, {queries} queries sent, {answered} domains answered by both")
    print(f"  servers saw {dns_seen} DNS queries and {rdap_seen} RDAP requests  (target <= 10 s)")
    print(f"warm: {len(cached)} domains from the cache in {warm * 1000:.0f} ms, 0 queries")


if __name__ == "__main__":
    main()
