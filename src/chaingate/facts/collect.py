"""The facts of many projects: every project document, concurrently, on up to two cores.

Downloading registry documents with httpx is CPU work as much as network work: TLS records,
HTTP parsing and JSON decoding all run in Python, and a cold scan of ~150 projects keeps one
core busy for its whole download. So when many documents must come from the network and the
machine has a second core, a share of them is fetched by a helper process
(`registry/helper.py`) running this same code; its results are merged here. A helper that
fails costs time only: its share is then fetched in this process.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from chaingate.core.facts import ProjectFacts, RegistryError, Vulnerability
from chaingate.ecosystems.pypi.registry import (
    SIMPLE_JSON,
    IndexUrls,
    parse_project,
    parse_vulnerabilities,
)
from chaingate.facts.cache import FactsCache
from chaingate.facts.memo import IndexMemo
from chaingate.net.http import BodyNotKept, FetchError, HttpClient, HttpSettings

if TYPE_CHECKING:
    import asyncio

Progress = Callable[[int, int], None]

# Fewer documents than this to download: one process does it faster than two can start.
HELPER_MIN_DOCUMENTS = 24
# The helper's share of the documents to download. Less than half: it starts ~0.15 s
# later than this process (interpreter and imports), and this process decodes too.
HELPER_SHARE = (1, 3)  # of every 5 names, in name order


class Fetched(msgspec.Struct):
    facts: dict[str, ProjectFacts] = msgspec.field(default_factory=dict)
    not_found: set[str] = msgspec.field(default_factory=set)
    incomplete: dict[str, str] = msgspec.field(default_factory=dict)  # name -> reason
    # (name, version) -> vulnerabilities of that version; missing: the index could not say
    vulns: dict[tuple[str, str], tuple[Vulnerability, ...]] = msgspec.field(default_factory=dict)
    version_docs_unsupported: bool = False
    network_requests: int = 0
    helped: int = 0  # projects fetched by a helper process

    def __repr__(self) -> str:
        # Short: on Python 3.11 asyncio.run() formats repr() of the finished main task (and
        # so of its result) while restoring the SIGINT handler; a full repr of every fact
        # cost seconds.
        return f"Fetched(<{len(self.facts)} projects>)"

    def merge(self, other: Fetched) -> None:
        self.facts.update(other.facts)
        self.not_found |= other.not_found
        self.incomplete.update(other.incomplete)
        self.vulns.update(other.vulns)
        self.version_docs_unsupported |= other.version_docs_unsupported
        self.network_requests += other.network_requests
        self.helped += other.helped


async def _fetch_project(
    client: HttpClient, index: IndexUrls, name: str, out: Fetched, facts_cache: FactsCache
) -> None:
    url = index.project_json(name)
    try:
        resp = await client.fetch(url, keep_body=False)
        if resp.status == 404:
            # Ask the simple API before calling the name missing: some indexes have no JSON API.
            simple = await client.fetch(
                index.project_simple(name), accept=f"{SIMPLE_JSON}, text/html;q=0.1"
            )
            if simple.status == 404:
                out.not_found.add(name)
                return
            # No JSON API for this project: the simple page still dates the releases.
            from chaingate.ecosystems.pypi.simple import facts_from_simple, parse_simple_page

            files = parse_simple_page(simple.body, simple.url)
            out.facts[name] = facts_from_simple(
                name,
                files,
                source_url=simple.url,
                fetched_at=datetime.fromtimestamp(simple.fetched_at, UTC),
            )
            return
        facts = facts_cache.get(resp.body_id, url) if resp.from_cache else None
        if facts is None:
            try:
                body = resp.body
            except BodyNotKept:  # facts lost or from an older chaingate: download again
                resp = await client.fetch(url, keep_body=False, reload=True)
                body = resp.body
            fetched_at = datetime.fromtimestamp(resp.fetched_at, UTC)
            facts = parse_project(body, source_url=url, fetched_at=fetched_at)
            facts_cache.put(resp.body_id, url, facts)
        out.facts[name] = facts
    except FetchError as exc:
        out.incomplete[name] = f"could not fetch {url}: {exc}"
    except RegistryError as exc:
        client.forget(url)
        out.incomplete[name] = str(exc)


async def _fetch_version_vulns(
    client: HttpClient, index: IndexUrls, name: str, version: str, out: Fetched
) -> bool | None:
    """Vulnerabilities of a pinned, non-latest version. True when found, False when the
    index answered that it has no such document, None when it could not be asked."""
    url = index.version_json(name, version)
    try:
        resp = await client.fetch(url)
    except FetchError:
        return None
    if resp.status != 200:
        return False
    try:
        out.vulns[(name, version)] = parse_vulnerabilities(resp.body, source_url=url)
    except RegistryError:
        client.forget(url)
        return None
    return True


def _other_versions(facts: ProjectFacts, versions: Collection[str], out: Fetched) -> list[str]:
    """The pinned `versions` whose vulnerabilities need their own document; those of the
    latest version, which the project document reports, go to `out` at once."""
    others = []
    for version in sorted(versions):
        if version == facts.latest_version:
            out.vulns[(facts.name, version)] = facts.vulnerabilities
        elif facts.release(version) is not None:
            others.append(version)
    return others


def collect_from_cache(
    wanted: Mapping[str, Collection[str]],
    index_url: str,
    http: HttpSettings,
    *,
    progress: Progress | None = None,
) -> Fetched | None:
    """What `collect` would give, when every answer is in the cache and the facts of
    every document too: read without an event loop, so a warm scan neither imports nor
    runs asyncio. None as soon as one answer is missing or is anything but the common
    case (a request due, a 404, a document whose facts were not kept, a per-version
    document the index did not serve): `collect` then does the whole job."""
    index = IndexUrls.parse(index_url)
    out = Fetched()
    client = HttpClient(http)
    facts_cache = FactsCache(http.cache_dir / "facts" if http.cache_dir else None)
    memo = IndexMemo(http.cache_dir, index.base, http.ttl)
    skip_version_docs = memo.version_docs is False and not http.refresh
    out.version_docs_unsupported = skip_version_docs  # as `collect` says it
    names = sorted(wanted)
    for done, name in enumerate(names, 1):
        url = index.project_json(name)
        resp = client.cached(url)
        facts = facts_cache.get(resp.body_id, url) if resp and resp.status == 200 else None
        if facts is None:
            return None
        out.facts[name] = facts
        for version in _other_versions(facts, wanted[name], out):
            if skip_version_docs:
                continue
            version_url = index.version_json(name, version)
            doc = client.cached(version_url)
            if doc is None or doc.status != 200:
                return None
            try:
                out.vulns[(name, version)] = parse_vulnerabilities(doc.body, source_url=version_url)
            except (RegistryError, FetchError):
                return None
        if progress:
            progress(done, len(names))
    return out


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _helper_share(
    names: Sequence[str], http: HttpSettings, index: IndexUrls, helper_min: int | None
) -> list[str]:
    """The names a helper process should fetch: none unless at least `helper_min` documents
    must come from the network and there is a core to spare."""
    if helper_min is None or http.offline or http.concurrency < 4 or _cores() < 2:
        return []
    client = HttpClient(http)
    uncached = [n for n in names if not client.answers_from_cache(index.project_json(n))]
    if len(uncached) < helper_min:
        return []
    return [n for i, n in enumerate(uncached) if i % 5 in HELPER_SHARE]


def _split(concurrency: int) -> tuple[int, int]:
    """The connections of this process and of the helper: together, the configured number
    (servers limit connections per client; 16 and 16 more stalled pypi.org for seconds)."""
    theirs = max(1, round(concurrency * len(HELPER_SHARE) / 5))
    return concurrency - theirs, theirs


async def collect(
    wanted: Mapping[str, Collection[str]],
    index_url: str,
    http: HttpSettings,
    *,
    progress: Progress | None = None,
    on_network: Callable[[], None] | None = None,
    also: Sequence[Awaitable[None]] = (),
    helper_min: int | None = HELPER_MIN_DOCUMENTS,
) -> Fetched:
    """The facts of every project in `wanted` (name -> the versions pinned, whose
    vulnerabilities are wanted too). `also` runs alongside the downloads. A helper process
    takes a share when at least `helper_min` documents must be downloaded; None keeps all
    the work in this process (the helper itself runs so)."""
    import asyncio

    index = IndexUrls.parse(index_url)
    out = Fetched()
    names = sorted(wanted)
    total, done = len(names), 0
    facts_cache = FactsCache(http.cache_dir / "facts" if http.cache_dir else None)
    # Vulnerabilities: the project document covers the latest version; other pinned
    # versions need the per-version document, which not every index serves. The first such
    # request is a probe: the others wait for it and are not sent if it fails.
    probe: asyncio.Future[bool] | None = None
    memo = IndexMemo(http.cache_dir, index.base, http.ttl)
    if memo.version_docs is False and not http.refresh:
        # Learnt by an earlier scan, still within the cache TTL.
        probe = asyncio.get_running_loop().create_future()
        probe.set_result(False)
        out.version_docs_unsupported = True

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    share = _helper_share(names, http, index, helper_min)
    mine = [n for n in names if n not in set(share)]
    if share:
        ours, theirs = _split(http.concurrency)
        http, helper_http = replace(http, concurrency=ours), replace(http, concurrency=theirs)

    async with HttpClient(http, on_network=on_network) as client:

        async def version_vulns(name: str, version: str) -> None:
            nonlocal probe
            if probe is None:
                probe = asyncio.get_running_loop().create_future()
                answer = await _fetch_version_vulns(client, index, name, version, out)
                out.version_docs_unsupported = answer is False
                probe.set_result(bool(answer))
                if answer is not None:  # a timeout says nothing about the index
                    memo.remember(version_docs=answer)
            elif await asyncio.shield(probe):
                await _fetch_version_vulns(client, index, name, version, out)

        async def one(name: str, *, counted: bool = False) -> None:
            await _fetch_project(client, index, name, out, facts_cache)
            if not counted:
                tick()
            facts = out.facts.get(name)
            if facts is None:
                return
            for version in _other_versions(facts, wanted[name], out):
                await version_vulns(name, version)

        async def helped(share: list[str]) -> None:
            from chaingate.facts.helper import collect_in_helper

            ticks = 0

            def helper_tick() -> None:
                nonlocal ticks
                ticks += 1
                tick()

            got = await collect_in_helper(
                {n: wanted[n] for n in share}, index_url, helper_http, helper_tick
            )
            if got is None:  # the helper failed: its share is fetched here after all
                # (the progress it reported stands: that many are not counted again)
                await asyncio.gather(*(one(n, counted=i < ticks) for i, n in enumerate(share)))
            else:
                out.merge(got)

        jobs = [one(n) for n in mine]
        if share:
            jobs.append(helped(share))
        await asyncio.gather(*jobs, *also)
        out.network_requests += client.network_requests
    return out
