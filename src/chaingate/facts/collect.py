"""The facts of many packages, through their ecosystems' registry adapters: one fetch path.

Each project is first looked up in the cache, synchronously (`RegistrySession.cached`): a
warm scan, whose answers are all there, never starts an event loop or imports asyncio. The
projects the cache cannot answer are then fetched concurrently on the caller's event loop
(`Loop` in net/loop.py for the engine), on one shared HTTP client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING

import msgspec

from chaingate.core.facts import ProjectFacts, Vulnerability
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus
from chaingate.ecosystems.interface import Answer, Ecosystem, RegistrySession

if TYPE_CHECKING:
    from chaingate.net.http import HttpClient, HttpSettings

Progress = Callable[[int, int], None]


class Fetched(msgspec.Struct):
    """What the registries said, keyed by project (`PackageRef` without a version)."""

    facts: dict[PackageRef, ProjectFacts] = msgspec.field(default_factory=dict)
    not_found: set[PackageRef] = msgspec.field(default_factory=set)
    incomplete: dict[PackageRef, str] = msgspec.field(default_factory=dict)  # -> reason
    # pinned version -> its vulnerabilities; missing: the registry could not say
    vulns: dict[PackageRef, tuple[Vulnerability, ...]] = msgspec.field(default_factory=dict)
    # ecosystem -> why per-version vulnerabilities cannot be had from its index at all
    vulns_notes: dict[str, str] = msgspec.field(default_factory=dict)
    network_requests: int = 0
    # The advisory source's answer (facts/advisories): ok with where from, or unavailable
    # with why; None when no advisory source is configured (the registry's lists only).
    advisory_status: CheckStatus | None = None

    def __repr__(self) -> str:
        # Short: on Python 3.11 asyncio formats repr() of a finished task's result while
        # restoring the SIGINT handler; a full repr of every fact cost seconds.
        return f"Fetched(<{len(self.facts)} projects>)"

    def add(self, project: PackageRef, answer: Answer) -> None:
        if answer.facts is not None:
            self.facts[project] = answer.facts
        elif answer.not_found:
            self.not_found.add(project)
        else:
            self.incomplete[project] = answer.unavailable or "the registry gave no answer"
        for version, vulns in answer.vulns.items():
            self.vulns[PackageRef(project.ecosystem, project.name, version)] = vulns
        if answer.vulns_note:
            self.vulns_notes.setdefault(project.ecosystem, answer.vulns_note)


def wanted_versions(refs: Collection[PackageRef]) -> dict[PackageRef, set[str]]:
    """Project -> the versions pinned, from the refs of a tree."""
    wanted: dict[PackageRef, set[str]] = defaultdict(set)
    for ref in refs:
        project = ref.project
        wanted[project]
        if ref.version is not None:
            wanted[project].add(ref.version)
    return dict(wanted)


class Collector:
    """One collection: a registry session per ecosystem on one HTTP client."""

    def __init__(
        self,
        ecosystems: Mapping[str, Ecosystem],
        indexes: Mapping[str, str],
        client: HttpClient,
        http: HttpSettings,
    ) -> None:
        self._sessions: dict[str, RegistrySession] = {}
        self._ecosystems, self._indexes = ecosystems, indexes
        self._client, self._http = client, http

    def session(self, ecosystem: str) -> RegistrySession:
        if ecosystem not in self._sessions:
            eco = self._ecosystems[ecosystem]
            index = self._indexes.get(ecosystem) or eco.registry.default_index
            self._sessions[ecosystem] = eco.registry.session(index, self._client, self._http)
        return self._sessions[ecosystem]

    def from_cache(
        self, wanted: Mapping[PackageRef, Collection[str]], out: Fetched, progress: Progress | None
    ) -> list[PackageRef]:
        """Answer what the cache can into `out`; the projects left for `fetch`."""
        left = []
        projects = sorted(wanted)
        for done, project in enumerate(projects, 1):
            answer = self.session(project.ecosystem).cached(project.name, wanted[project])
            if answer is None:
                left.append(project)
                continue
            out.add(project, answer)
            if progress:
                progress(done - len(left), len(projects))
        return left

    async def fetch(
        self,
        wanted: Mapping[PackageRef, Collection[str]],
        projects: Sequence[PackageRef],
        out: Fetched,
        *,
        progress: Progress | None = None,
        also: Sequence[Awaitable[None]] = (),
    ) -> None:
        """Fetch `projects` concurrently into `out` (with `also` alongside)."""
        import asyncio

        total = len(wanted)
        done = total - len(projects)

        async def one(project: PackageRef) -> None:
            nonlocal done
            answer = await self.session(project.ecosystem).fetch(project.name, wanted[project])
            out.add(project, answer)
            done += 1
            if progress:
                progress(done, total)

        before = self._client.network_requests
        await asyncio.gather(*(one(p) for p in projects), *also)
        out.network_requests += self._client.network_requests - before
