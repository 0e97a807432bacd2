"""PyPI's registry adapter: a project's facts from `/pypi/<name>/json` (or, on an index without
the JSON API, its simple page), and the vulnerabilities of each pinned version.

The project document reports vulnerabilities for the latest version only; other pinned
versions need the per-version document, which not every index serves. The first such
request of a session is a probe: the others wait for it and are not sent if it fails, and
what it learnt is remembered beside the HTTP cache (`memo.py`) for the cache's TTL.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from chaingate.core.facts import ProjectFacts, Publisher, RegistryError
from chaingate.ecosystems.interface import Answer
from chaingate.ecosystems.pypi.memo import IndexMemo
from chaingate.ecosystems.pypi.provenance import (
    INTEGRITY_JSON,
    parse_provenance,
    to_ask,
    with_publishers,
)
from chaingate.ecosystems.pypi.registry import (
    DEFAULT_INDEX,
    SIMPLE_JSON,
    IndexUrls,
    parse_project,
    parse_vulnerabilities,
)
from chaingate.ecosystems.pypi.simple import parse_project_page, with_page
from chaingate.net.factscache import FactsCache
from chaingate.net.http import BodyNotKept, FetchError, HttpClient, HttpSettings

_PAGE_ACCEPT = f"{SIMPLE_JSON}, text/html;q=0.1"

if TYPE_CHECKING:  # asyncio is imported where a request is due: a warm scan never needs it
    import asyncio


class PypiRegistry:
    """The `Registry` of PyPI and PyPI-compatible indexes."""

    default_index = DEFAULT_INDEX

    def session(self, index_url: str, client: HttpClient, http: HttpSettings) -> PypiSession:
        return PypiSession(IndexUrls.parse(index_url), client, http)

    def display_index(self, index_url: str) -> str:
        return IndexUrls.parse(index_url).base


class PypiSession:
    def __init__(self, index: IndexUrls, client: HttpClient, http: HttpSettings) -> None:
        self.index = index
        self.client = client
        self.facts_cache = FactsCache(http.cache_dir / "facts" if http.cache_dir else None)
        self.memo = IndexMemo(http.cache_dir, index.base, http.ttl)
        # Learnt by an earlier scan, still within the cache TTL: no per-version documents.
        self.skip_version_docs = self.memo.version_docs is False and not http.refresh
        self._probe: asyncio.Future[bool] | None = None
        self.pages = None if http.refresh else self.memo.pages
        self._page_probe: asyncio.Future[bool] | None = None

    def _note(self) -> str | None:
        if not self.skip_version_docs:
            return None
        return (
            f"{self.index.base} does not serve per-version documents (/pypi/<name>/<version>/json)"
        )

    def fresh(self, name: str) -> bool:
        return self.client.answers_from_cache(self.index.project_json(name))

    def cached(self, name: str, versions: Collection[str]) -> Answer | None:
        url = self.index.project_json(name)
        resp = self.client.cached(url)
        facts = self.facts_cache.get(resp.body_id, url) if resp and resp.status == 200 else None
        if facts is None or _other_project(name, facts):
            return None
        if self.pages:
            page = self.client.cached(self.index.project_simple(name), accept=_PAGE_ACCEPT)
            if page is None or page.status != 200:
                return None
            try:
                facts = with_page(facts, parse_project_page(page.body, page.url))
            except (RegistryError, FetchError):
                return None
            found: dict[str, tuple[Publisher, ...]] = {}
            for version, prov_url in to_ask(facts, versions).items():
                doc = self.client.cached(prov_url, accept=INTEGRITY_JSON)
                if doc is None:
                    return None
                if doc.status == 200:
                    try:
                        found[version] = parse_provenance(doc.body, prov_url)
                    except (RegistryError, FetchError):
                        continue
            facts = with_publishers(facts, found)
        answer = Answer(facts=facts, vulns_note=self._note())
        for version in _other_versions(facts, versions, answer):
            if self.skip_version_docs:
                continue
            version_url = self.index.version_json(name, version)
            doc = self.client.cached(version_url)
            if doc is None or doc.status != 200:
                return None
            try:
                answer.vulns[version] = parse_vulnerabilities(
                    doc.body, source_url=version_url, name=name, version=version
                )
            except (RegistryError, FetchError):
                return None
        return answer

    async def fetch(self, name: str, versions: Collection[str]) -> Answer:
        before = self.client.network_requests
        answer = await self._project(name)
        if answer.facts is not None and answer.facts.provenance:
            answer.facts = await self._publishers(answer.facts, versions)
        if answer.facts is not None:
            for version in _other_versions(answer.facts, versions, answer):
                await self._version_vulns(name, version, answer)
        answer.vulns_note = self._note()
        answer.network = self.client.network_requests > before
        return answer

    async def _project(self, name: str) -> Answer:
        client, url = self.client, self.index.project_json(name)
        try:
            ok = self.index.allows_redirect
            resp = await client.fetch(url, keep_body=False, redirect_ok=ok)
            if resp.status == 404:
                # Ask the simple API before calling the name missing: some indexes have no
                # JSON API.
                simple = await client.fetch(
                    self.index.project_simple(name),
                    accept=_PAGE_ACCEPT,
                    redirect_ok=ok,
                )
                if simple.status == 404:
                    return Answer(not_found=True)
                # No JSON API for this project: the simple page still dates the releases.
                from chaingate.ecosystems.pypi.simple import facts_from_simple

                page = parse_project_page(simple.body, simple.url)
                return Answer(
                    facts=facts_from_simple(
                        name,
                        page,
                        source_url=simple.url,
                        fetched_at=datetime.fromtimestamp(simple.fetched_at, UTC),
                    )
                )
            facts = self.facts_cache.get(resp.body_id, url) if resp.from_cache else None
            if facts is None:
                try:
                    body = resp.body
                except BodyNotKept:  # facts lost or from an older chaingate: download again
                    resp = await client.fetch(url, keep_body=False, reload=True, redirect_ok=ok)
                    body = resp.body
                fetched_at = datetime.fromtimestamp(resp.fetched_at, UTC)
                facts = parse_project(body, source_url=url, fetched_at=fetched_at)
                if not _other_project(name, facts):
                    self.facts_cache.put(resp.body_id, url, facts)
            if _other_project(name, facts):
                return Answer(
                    unavailable=f"{url} answered the document of {facts.name!r}, not of "
                    f"{canonicalize_name(name)!r}: the index's answer is not about this project"
                )
            return Answer(facts=await self._with_page(name, facts))
        except FetchError as exc:
            return Answer(unavailable=f"could not fetch {url}: {exc}")
        except RegistryError as exc:
            client.forget(url)
            return Answer(unavailable=str(exc))

    async def _with_page(self, name: str, facts: ProjectFacts) -> ProjectFacts:
        """`facts` with the simple page's PEP 792 status and PEP 740 provenance, when the
        index serves them: the first project of a session asks (a probe, remembered for the
        cache's TTL); the others wait for it, and are not asked when it says no."""
        import asyncio

        if self.pages is False:
            return facts
        if self.pages is None and self._page_probe is None:
            self._page_probe = asyncio.get_running_loop().create_future()
            merged, serves = await self._page(name, facts)
            self.pages = serves
            self._page_probe.set_result(bool(serves))
            if serves is not None:  # a timeout says nothing about the index
                self.memo.remember(pages=serves)
            return merged
        probe = self._page_probe
        if self.pages or (probe is not None and await asyncio.shield(probe)):
            return (await self._page(name, facts))[0]
        return facts

    async def _publishers(self, facts: ProjectFacts, versions: Collection[str]) -> ProjectFacts:
        """`facts` with the publishers of the versions in use and of the attested release
        before each, from the Integrity API, asked concurrently; one that could not be
        asked keeps no publishers (`publisher-change` then stays silent for it)."""
        import asyncio

        wanted = to_ask(facts, versions)
        answers = await asyncio.gather(*(self._provenance(url) for url in wanted.values()))
        found = {v: p for v, p in zip(wanted, answers, strict=True) if p is not None}
        return with_publishers(facts, found)

    async def _provenance(self, url: str) -> tuple[Publisher, ...] | None:
        try:
            resp = await self.client.fetch(
                url, accept=INTEGRITY_JSON, redirect_ok=self.index.allows_redirect
            )
            if resp.status != 200:
                return None
            return parse_provenance(resp.body, url)
        except FetchError:
            return None
        except RegistryError:
            self.client.forget(url, accept=INTEGRITY_JSON)
            return None

    async def _page(self, name: str, facts: ProjectFacts) -> tuple[ProjectFacts, bool | None]:
        """The facts with the project page merged, and whether the page serves anything the
        project document does not (None: it could not be asked)."""
        url = self.index.project_simple(name)
        try:
            resp = await self.client.fetch(
                url, accept=_PAGE_ACCEPT, redirect_ok=self.index.allows_redirect
            )
            if resp.status != 200:  # says nothing about what the index's pages carry
                return facts, None
            page = parse_project_page(resp.body, resp.url)
        except FetchError:
            return facts, None
        except RegistryError:
            self.client.forget(url, accept=_PAGE_ACCEPT)
            return facts, None
        return with_page(facts, page), page.serves_provenance or page.status is not None

    async def _version_vulns(self, name: str, version: str, answer: Answer) -> None:
        import asyncio

        if self.skip_version_docs:
            return
        if self._probe is None:
            self._probe = asyncio.get_running_loop().create_future()
            found = await self._version_doc(name, version, answer)
            self.skip_version_docs = found is False
            self._probe.set_result(bool(found))
            if found is not None:  # a timeout says nothing about the index
                self.memo.remember(version_docs=found)
        elif await asyncio.shield(self._probe):
            await self._version_doc(name, version, answer)

    async def _version_doc(self, name: str, version: str, answer: Answer) -> bool | None:
        """True when found, False when the index answered that it has no such document,
        None when it could not be asked."""
        url = self.index.version_json(name, version)
        try:
            resp = await self.client.fetch(url, redirect_ok=self.index.allows_redirect)
        except FetchError:
            return None
        if resp.status != 200:
            return False
        try:
            answer.vulns[version] = parse_vulnerabilities(
                resp.body, source_url=url, name=name, version=version
            )
        except RegistryError:
            self.client.forget(url)
            return None
        return True


def _other_project(name: str, facts: ProjectFacts) -> bool:
    """The document is about another project than the one asked for (its `info.name`)."""
    return facts.name != canonicalize_name(name)


def _other_versions(facts: ProjectFacts, versions: Collection[str], answer: Answer) -> list[str]:
    """The pinned `versions` whose vulnerabilities need their own document; those of the
    latest version, which the project document reports, go to `answer` at once."""
    others = []
    for version in sorted(versions):
        if version == facts.latest_version:
            answer.vulns[version] = facts.vulnerabilities
        elif facts.release(version) is not None:
            others.append(version)
    return others
