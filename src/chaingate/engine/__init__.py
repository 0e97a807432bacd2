"""`Engine`: chaingate's pipeline as a library, built once from its parts and called many times.

    with Engine(http=HttpSettings(cache_dir=...), store=Store(url), policy=policy) as engine:
        result = engine.scan(build_inventory(Path("."), index_url=...))   # whole tree
        verdict = engine.evaluate(PackageRef("pypi", "requests", "2.32.3"))  # one package

One engine holds one HTTP client (on one event loop, `net/loop.py`), one store, the parsed
policy and the ecosystem adapters; the CLI makes one per command, the service and the
firewall keep one for days. Nothing here knows a particular ecosystem: packages are
`PackageRef`s and everything ecosystem-specific is behind `chaingate.ecosystems`.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from chaingate.core.findings import Finding
from chaingate.core.inventory import Inventory, Origin, Package
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus
from chaingate.ecosystems.interface import Ecosystem
from chaingate.engine import scan as steps
from chaingate.engine.result import ScanResult
from chaingate.facts.advisories import AdvisorySettings
from chaingate.facts.collect import Collector, Fetched, Progress, wanted_versions
from chaingate.facts.intel.run import DomainOptions, domain_checks
from chaingate.net.http import HttpClient, HttpSettings
from chaingate.net.loop import Loop
from chaingate.policy.ignore import apply
from chaingate.policy.interface import Action, Decision
from chaingate.policy.policy import Policy, decide
from chaingate.signals import catalog
from chaingate.signals.combine import combine
from chaingate.store.interface import Observation, ScanRecord, ScanStore, content_hash

if TYPE_CHECKING:
    from chaingate.engine.diff import DiffResult
    from chaingate.signals.typosquat import PopularNames


class Evaluation(msgspec.Struct, frozen=True):
    """What the engine says about one package version: the findings, the policy's decision
    on each, and whether it could judge at all (`incomplete` says why not)."""

    ref: PackageRef
    findings: tuple[Finding, ...]
    decisions: tuple[Decision, ...]
    incomplete: str | None = None
    checks: dict[str, CheckStatus] = msgspec.field(default_factory=dict)

    @property
    def action(self) -> Action:
        """BLOCK when any decision blocks, WARN when any warns, else IGNORE (allowed)."""
        actions = {d.action for d in self.decisions}
        if Action.BLOCK in actions:
            return Action.BLOCK
        return Action.WARN if Action.WARN in actions else Action.IGNORE


class Engine:
    """The pipeline: inventory -> facts -> findings -> decisions, with history in a store.

    `ecosystems`: the adapters (default: every shipped one); `indexes`: ecosystem -> index
    URL (default: each registry's own); `store`: where observations are kept (None: no
    history, ownership-change unavailable); `policy`: thresholds, exceptions and the
    decisions; `domains`: email-domain intelligence (None: off); `deep`: read every
    package's code; `now`: a pinned time (tests, replays), else the clock; `as_of`: the
    time machine -- the registries' facts as they stood then (facts/asof.py), judged at
    that time, with what only today's data could say listed under `checks`; `advisories`:
    where known advisories for every pin come from (facts/advisories; None: the registry's
    own vulnerability lists only -- the CLI and the install guards default to OSV).
    """

    MEMO_PROJECTS = 4096  # projects whose facts `evaluate` keeps in memory, least recent out

    def __init__(
        self,
        *,
        http: HttpSettings | None = None,
        ecosystems: Sequence[Ecosystem] | None = None,
        indexes: Mapping[str, str] | None = None,
        store: ScanStore | None = None,
        policy: Policy | None = None,
        domains: DomainOptions | None = None,
        deep: bool = False,
        now: datetime | None = None,
        facts_ttl: float | None = None,
        as_of: datetime | None = None,
        advisories: AdvisorySettings | None = None,
    ) -> None:
        if ecosystems is None:
            from chaingate.ecosystems import default_ecosystems

            ecosystems = default_ecosystems()
        self.ecosystems: dict[str, Ecosystem] = {e.name: e for e in ecosystems}
        self.http = http or HttpSettings(cache_dir=None)
        self.indexes = dict(indexes or {})
        for name in self.indexes:
            if name not in self.ecosystems:
                raise ValueError(f"index given for unknown ecosystem {name!r}")
        self.store = store
        self.policy = policy or Policy()
        self.domains = domains
        self.deep = deep
        self.now = as_of or now
        self.as_of = as_of
        self.advisories = advisories
        # evaluate(): facts kept in memory this long (default: the HTTP cache's TTL)
        self.facts_ttl = self.http.ttl if facts_ttl is None else facts_ttl
        self._loop = Loop()
        self._client: HttpClient | None = None
        self._popular: dict[str, PopularNames | None] = {}
        self._memo: OrderedDict[PackageRef, tuple[float, Fetched]] = OrderedDict()
        self._seen: dict[PackageRef, tuple[float, dict[PackageRef, Observation]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_options(cls, opts: steps.ScanOptions, policy: Policy | None = None) -> Engine:
        """An engine for a one-shot scan described by `ScanOptions` (PyPI at `index_url`);
        `policy` (with the options' thresholds and exceptions) for `evaluate`'s decisions."""
        store = None
        if opts.db_url is not None:
            from chaingate.store.lazy import LazyStore

            store = LazyStore(opts.db_url, opts.http.cache_dir)
        return cls(
            http=opts.http,
            indexes={"pypi": opts.index_url, **_github(opts.github_api_url)},
            store=store,
            policy=replace(policy or Policy(), thresholds=opts.thresholds, ignores=opts.ignores),
            domains=opts.domains,
            deep=opts.deep,
            now=opts.now,
            as_of=opts.as_of,
            advisories=opts.advisories,
        )

    # --- lifetime ---------------------------------------------------------------------------

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client, stop the event loop and close the store."""
        client, self._client = self._client, None
        self._loop.close(client.__aexit__(None, None, None) if client else None)
        if self.store is not None:
            self.store.close()

    @property
    def client(self) -> HttpClient:
        """The one HTTP client (it makes its connections on first use, on the engine's loop)."""
        if self._client is None:
            self._client = HttpClient(self.http)
        return self._client

    def index_of(self, ecosystem: str) -> str:
        return self.indexes.get(ecosystem) or self.ecosystems[ecosystem].registry.default_index

    # --- facts ------------------------------------------------------------------------------

    def popular(self, ecosystem: str) -> PopularNames | None:
        """The ecosystem's popular names (look-alike targets), loaded once per engine."""
        if ecosystem not in self._popular:
            eco = self.ecosystems.get(ecosystem)
            loaded = None
            if eco is not None and eco.popular is not None:
                from chaingate.signals.typosquat import PopularNames

                loaded = PopularNames.from_text(
                    eco.popular(), canonical=True, normalize=eco.names.normalize
                )
            self._popular[ecosystem] = loaded
        return self._popular[ecosystem]

    def fetch(
        self,
        refs: Sequence[PackageRef],
        progress: Progress | None = None,
        *,
        started: datetime | None = None,
        preflight_domains: bool = False,
    ) -> Fetched:
        """The registries' facts for `refs`: from the cache synchronously where it can answer,
        the rest concurrently on the engine's loop. Refs of an ecosystem without an adapter
        are left out (the caller reports them)."""
        wanted = wanted_versions([r for r in refs if r.ecosystem in self.ecosystems])
        collector = Collector(self.ecosystems, self.indexes, self.client, self.http)
        out = Fetched()
        left = collector.from_cache(wanted, out, progress)
        if left or preflight_domains:
            also = []
            if preflight_domains and self.domains is not None:
                from chaingate.facts.intel.run import preflight

                also.append(preflight(self.http, self.domains, started or datetime.now(UTC)))
            self._loop.run(collector.fetch(wanted, left, out, progress=progress, also=also))
        return out

    def advise(self, refs: Sequence[PackageRef], fetched: Fetched, now: datetime) -> None:
        """Add the advisory source's records for the pinned `refs` to `fetched` (merged with
        the registry's own lists, facts/advisories `merge`) and its status; nothing when no
        advisory source is configured."""
        if self.advisories is None:
            return
        from chaingate.facts.advisories import lookup, merge

        # Names the index no longer has are asked too: a malicious release is removed from
        # the index, its report stays.
        known = fetched.facts.keys() | fetched.not_found
        wanted = [r for r in refs if r.version and r.project in known]
        settings = self.advisories
        if self.as_of is not None:  # the time machine: the records published by then
            settings = replace(settings, published_before=self.as_of)
        got = self._loop.run(lookup(settings, self.client, wanted, now))
        fetched.advisory_status = got.status
        for ref, vulns in got.vulns.items():
            fetched.vulns[ref] = merge(vulns, fetched.vulns.get(ref))

    def to_download(self, refs: Sequence[PackageRef]) -> list[PackageRef]:
        """The projects of `refs` whose registry documents are not fresh in the cache (a
        cheap look: nothing is decoded), sorted."""
        collector = Collector(self.ecosystems, self.indexes, self.client, self.http)
        projects = {r.project for r in refs if r.ecosystem in self.ecosystems}
        return sorted(p for p in projects if not collector.session(p.ecosystem).fresh(p.name))

    # --- one package --------------------------------------------------------------------------

    def evaluate(self, ref: PackageRef) -> Evaluation:
        """Facts -> findings -> decisions for one package version, as the install guard and
        the firewall ask it: the package on its own (no tree, so no tree-wide signals), with
        its facts kept in memory for `facts_ttl` seconds. A package that could not be judged
        (registry unavailable, version unknown) says so in `incomplete`; a caller that must
        fail closed treats that as a block."""
        eco = self.ecosystems.get(ref.ecosystem)
        if eco is None:
            return Evaluation(ref, (), (), f"no adapter for ecosystem {ref.ecosystem!r}")
        ref = PackageRef(ref.ecosystem, eco.names.normalize(ref.name), ref.version)
        project = ref.project
        fetched = self._facts_for(ref)
        later: dict[PackageRef, datetime] = {}
        now = self.now or datetime.now(UTC)
        pkg = Package(ecosystem=ref.ecosystem, name=ref.name, version=ref.version, direct=True,
                      paths=((ref.name,),), origin=Origin.REGISTRY)  # fmt: skip
        inventory = Inventory(root=str(ref), packages=(pkg,), manifests=())
        then: dict[PackageRef, tuple[Observation, Observation | None]] = {}
        previous = self._previous_of(project) if self.as_of is None else {}
        if self.as_of is not None:
            later = steps.unpublished(inventory, fetched.facts, self.as_of)
            then = self._observed([project])
            fetched = steps.with_observed(steps.then(fetched, self.as_of), then)
            previous = {p: prev for p, (_, prev) in then.items() if prev is not None}
        ctx = steps.package_context(
            pkg, fetched, previous, now, self.policy.thresholds, popular=self.popular(ref.ecosystem)
        )
        catalog.load_all()
        # Combined as the scan combines them (signals.combine raises what occurs together).
        found = combine(list(steps.package_findings(ctx)))
        applied = apply(found, list(self.policy.ignores), now.date())
        # A pin not yet published at --as-of did not exist then: incomplete, no findings.
        findings = sorted((f for f in applied.kept if f.ref not in later), key=Finding.sort_key)
        incomplete = None
        if project in fetched.incomplete:
            incomplete = fetched.incomplete[project]
        else:
            gaps = steps.incomplete(inventory, fetched, None, later, self.as_of)
            incomplete = gaps[0].reason if gaps else None
        result = ScanResult(
            inventory=inventory,
            facts=fetched.facts,
            findings=tuple(findings),
            incomplete=(),
            index_url=self.index_of(ref.ecosystem),
            started_at=now,
            finished_at=now,
            ignored=applied.ignored,
        )
        decisions = decide(result, self.policy, now.date())
        checks = steps.checks(inventory, fetched, self.store is not None)
        checks |= self._as_of_checks(fetched, then, False)
        return Evaluation(ref, tuple(findings), tuple(decisions), incomplete, checks)

    def prepare(self, refs: Sequence[PackageRef]) -> None:
        """Fetch the facts and the advisories of many versions of one project at once and
        keep them as `evaluate` keeps them, so that evaluating each version asks nothing
        more: the firewall judging a page of 500 versions sends OSV one query, not 500."""
        projects = {r.project for r in refs if r.version}
        if len(projects) != 1:
            return
        (project,) = projects
        eco = self.ecosystems.get(project.ecosystem)
        if eco is None:
            return
        refs = [PackageRef(r.ecosystem, eco.names.normalize(r.name), r.version) for r in refs]
        fetched = self.fetch(refs)
        if project.name != eco.names.normalize(project.name):
            project = PackageRef(project.ecosystem, eco.names.normalize(project.name))
        if project not in fetched.facts:
            return  # evaluate says why, version by version
        self.advise(refs, fetched, self.now or datetime.now(UTC))
        with self._lock:
            self._memo[project] = (time.monotonic(), fetched)
            self._memo.move_to_end(project)
            while len(self._memo) > self.MEMO_PROJECTS:
                self._memo.popitem(last=False)

    def _facts_for(self, ref: PackageRef) -> Fetched:
        project = ref.project
        with self._lock:
            kept = self._memo.get(project)
        if kept is not None and time.monotonic() - kept[0] < self.facts_ttl:
            fetched = kept[1]
            if ref.version is None or ref in fetched.vulns or project not in fetched.facts:
                return fetched
            # Another version of a kept project: its vulnerabilities join the kept facts.
            more = self.fetch([ref])
            if project not in more.facts:
                return more
            self.advise([ref], more, self.now or datetime.now(UTC))
            fetched = replace(
                fetched,
                vulns={**fetched.vulns, **more.vulns},
                vulns_notes={**fetched.vulns_notes, **more.vulns_notes},
                advisory_status=more.advisory_status,
            )
            with self._lock:
                self._memo[project] = (kept[0], fetched)
            return fetched
        fetched = self.fetch([ref])
        self.advise([ref], fetched, self.now or datetime.now(UTC))
        if project in fetched.facts or project in fetched.not_found:
            with self._lock:
                self._memo[project] = (time.monotonic(), fetched)
                self._memo.move_to_end(project)
                while len(self._memo) > self.MEMO_PROJECTS:  # bounded: a firewall sees many
                    self._memo.popitem(last=False)
        return fetched

    def _previous_of(self, project: PackageRef) -> dict[PackageRef, Observation]:
        """The store's latest observation of one project, kept in memory like its facts
        (`evaluate` records nothing, so it changes only when a scan records)."""
        if self.store is None:
            return {}
        with self._lock:
            kept = self._seen.get(project)
        if kept is not None and time.monotonic() - kept[0] < self.facts_ttl:
            return kept[1]
        found = self._previous([project])
        with self._lock:
            self._seen[project] = (time.monotonic(), found)
        return found

    def _previous(self, projects: Sequence[PackageRef]) -> dict[PackageRef, Observation]:
        assert self.store is not None
        out: dict[PackageRef, Observation] = {}
        for eco, names in _by_ecosystem(projects).items():
            for name, obs in self.store.latest(eco, names).items():
                out[PackageRef(eco, name)] = obs
        return out

    def _first_seen(
        self, projects: Sequence[PackageRef], until: datetime | None = None
    ) -> dict[str, datetime]:
        assert self.store is not None
        out: dict[str, datetime] = {}
        for eco, names in _by_ecosystem(projects).items():
            for email, when in self.store.email_first_seen(eco, names, until).items():
                out[email] = min(when, out.get(email, when))
        return out

    # --- a whole tree -------------------------------------------------------------------------

    def scan(
        self, inventory: Inventory, progress: Progress | None = None, *, now: datetime | None = None
    ) -> ScanResult:
        """Fetch facts for every package of `inventory`, evaluate, remember, and report.
        `now` pins the moment the signals judge (default: the engine's, else the clock)."""
        started = datetime.now(UTC)
        now = now or self.now or started
        refs = [p.ref for p in inventory.packages if p.origin is Origin.REGISTRY]
        canaries = False
        if self.domains is not None:
            from chaingate.facts.intel.run import nothing_known

            canaries = nothing_known(self.http, getattr(self.store, "url", None))
        fetched = self.fetch(refs, progress, started=started, preflight_domains=canaries)
        later: dict[PackageRef, datetime] = {}
        then: dict[PackageRef, tuple[Observation, Observation | None]] = {}
        if self.as_of is not None:
            later = steps.unpublished(inventory, fetched.facts, self.as_of)
            fetched = steps.then(fetched, self.as_of)
            then = self._observed(sorted(fetched.facts))
            fetched = steps.with_observed(fetched, then)
        self.advise(refs, fetched, now)
        deep = None
        if self.deep:
            from chaingate.analysis.deep import deep_inspect

            deep = deep_inspect(inventory.packages, self.ecosystems, self.indexes, self.http)
        # An as-of scan records nothing: its facts are a reconstruction, not an observation.
        store = self.store if self.as_of is None else None
        hashes = {str(r): content_hash(f) for r, f in fetched.facts.items()}
        unchanged = store is not None and fetched.network_requests == 0 and store.holds(hashes)
        # When unchanged, the store's latest observations are exactly these facts: nothing
        # to compare against and nothing to record, so the store is not asked at all.
        db = None if unchanged else store
        domains = None
        if self.domains is not None:
            from chaingate.facts.intel.run import check_domains

            domains = check_domains(
                fetched.facts, self.http, self.domains, now, started, db, self._loop.run
            )
            if domains.queries and db is None:
                db = store  # new lookups are observations to record
        projects = sorted(fetched.facts)
        previous = self._previous(projects) if db is not None else {}
        first_seen = self._first_seen(projects) if db is not None else {}
        if db is not None:
            if (
                domains is not None
                and domains.queries
                and domains.dns.status == "ok"
                and domains.rdap.status == "ok"
            ):
                # Only believable answers: one made while a source failed its canaries
                # says nothing.
                db.record_domains(domains.domains.values())
            db.record(list(fetched.facts.values()), now)
            with self._lock:
                self._seen.clear()  # what evaluate() kept of the store is older now
        if self.as_of is not None and self.store is not None:
            # The owners observed at or before --as-of are compared with the observation
            # before them; the addresses first seen by then are the ones known then.
            previous = {p: prev for p, (_, prev) in then.items() if prev is not None}
            first_seen = self._first_seen(sorted(fetched.facts), until=self.as_of)
        code = deep.reports if deep is not None else None
        applied = apply(
            steps.evaluate(
                inventory,
                fetched,
                previous,
                now,
                self.policy.thresholds,
                domains,
                first_seen,
                code,
                self.popular,
            ),
            list(self.policy.ignores),
            now.date(),
        )
        findings = [f for f in applied.kept if f.ref not in later]
        incomplete = steps.incomplete(inventory, fetched, deep, later, self.as_of)
        finished = datetime.now(UTC)
        ecosystems = sorted({p.ecosystem for p in inventory.packages} & set(self.ecosystems))
        index = self._display_index(ecosystems)
        if db is not None:
            db.record_scan(
                ScanRecord(
                    started_at=started,
                    finished_at=finished,
                    root=inventory.root,
                    index_url=index,
                    packages=len(inventory.packages),
                    findings=len(findings),
                    incomplete=len(incomplete),
                )
            )
            db.held(hashes)
        return ScanResult(
            inventory=inventory,
            facts=fetched.facts,
            findings=tuple(findings),
            incomplete=tuple(incomplete),
            index_url=index,
            started_at=started,
            finished_at=finished,
            checks={
                **steps.checks(inventory, fetched, store is not None),
                **domain_checks(domains),
                **steps.code_checks(deep, self.as_of),
                **self._as_of_checks(fetched, then, domains is not None),
            },
            domains=domains.domains if domains else {},
            ignored=applied.ignored,
            notes=steps.expired_notes(applied.expired),
            as_of=self.as_of,
        )

    def _as_of_checks(
        self,
        fetched: Fetched,
        then: Mapping[PackageRef, tuple[Observation, Observation | None]],
        domains: bool,
    ) -> dict[str, CheckStatus]:
        if self.as_of is None:
            return {}
        return steps.as_of_checks(
            self.as_of, sorted(fetched.facts), then, domains, self.store is not None
        )

    def _observed(
        self, projects: Sequence[PackageRef]
    ) -> dict[PackageRef, tuple[Observation, Observation | None]]:
        """The store's observations at or before --as-of (none without a store)."""
        if self.store is None or self.as_of is None:
            return {}
        out: dict[PackageRef, tuple[Observation, Observation | None]] = {}
        for eco, names in _by_ecosystem(projects).items():
            for name, pair in self.store.observed(eco, names, self.as_of).items():
                out[PackageRef(eco, name)] = pair
        return out

    def _display_index(self, ecosystems: Sequence[str]) -> str:
        """The index a report names: the tree's one ecosystem's (PyPI's for an empty tree),
        or each ecosystem's as `name=URL` when the tree spans several."""
        if len(ecosystems) > 1:
            return ", ".join(
                f"{e}={self.ecosystems[e].registry.display_index(self.index_of(e))}"
                for e in ecosystems
            )
        eco = ecosystems[0] if ecosystems else next(iter(self.ecosystems))
        return self.ecosystems[eco].registry.display_index(self.index_of(eco))

    def diff(
        self,
        base: Inventory,
        head: Inventory,
        progress: Progress | None = None,
        *,
        base_label: str = "base",
        base_commit: str | None = None,
    ) -> DiffResult:
        """Scan the base, then the head, at the same `now`, and compare (engine/diff.py)."""
        from chaingate.engine.diff import diff_scans

        now = self.now or datetime.now(UTC)
        before = self.scan(base, progress, now=now)
        after = self.scan(head, progress, now=now)
        return diff_scans(before, after, base_label=base_label, base_commit=base_commit)


def _by_ecosystem(projects: Sequence[PackageRef]) -> dict[str, list[str]]:
    """Project names grouped by ecosystem: the store is asked one ecosystem at a time."""
    out: dict[str, list[str]] = {}
    for p in projects:
        out.setdefault(p.ecosystem, []).append(p.name)
    return out


__all__ = ["Engine", "Evaluation"]


def _github(url: str | None) -> dict[str, str]:
    """The index of every ecosystem whose facts come from the GitHub API, when given."""
    from chaingate.ecosystems.github.session import GithubRegistry

    if url is None:
        return {}
    from chaingate.ecosystems import default_ecosystems

    return {e.name: url for e in default_ecosystems() if isinstance(e.registry, GithubRegistry)}
