"""`chaingate scan`: inventory -> facts -> findings, with the store remembering each run.

This module wires the stages; each stage lives in its own package. The registry documents
are fetched concurrently (`registry/collect.py`) on one event loop behind the plain function
`run_scan`.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec

from chaingate.analysis.interface import CodeReport
from chaingate.core.findings import Finding
from chaingate.core.inventory import Inventory, Origin, Package
from chaingate.core.status import CheckStatus, Incomplete
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.engine.result import ScanResult
from chaingate.facts.collect import Fetched, collect, collect_from_cache
from chaingate.facts.collect import Progress as Progress
from chaingate.facts.intel.interface import DomainReport
from chaingate.facts.intel.run import DomainOptions as DomainOptions
from chaingate.facts.intel.run import check_domains, domain_checks, nothing_known, preflight
from chaingate.net.http import HttpSettings
from chaingate.policy.ignore import Ignore, apply
from chaingate.signals import catalog as sigreg
from chaingate.signals.combine import combine
from chaingate.store.interface import (
    Observation,
    RecordedMarker,
    ScanRecord,
    ScanStore,
    StoreError,
    content_hash,
)

if TYPE_CHECKING:
    from chaingate.analysis.deep import DeepResult


class ScanOptions(msgspec.Struct, frozen=True):
    index_url: str
    http: HttpSettings
    db_url: str | None  # None: keep no history (ownership-change is then unavailable)
    now: datetime | None = None  # pinned by tests and replays
    thresholds: sigreg.Thresholds = msgspec.field(default_factory=sigreg.Thresholds)
    ignores: tuple[Ignore, ...] = ()
    domains: DomainOptions | None = None  # None: no email-domain intelligence
    deep: bool = False  # read every package's code (artifacts/deep.py)


def _fetch_all(
    packages: tuple[Package, ...],
    opts: ScanOptions,
    progress: Progress | None,
    started: datetime,
    on_network: Callable[[], None] | None = None,
) -> Fetched:
    """Facts for every registry package, and the email-domain sources' canaries alongside
    when nothing is known about them yet. From the cache alone when it holds everything
    (no event loop); else concurrently, on asyncio."""
    wanted: dict[str, set[str]] = {p.name: set() for p in packages if p.origin is Origin.REGISTRY}
    for p in packages:
        if p.version is not None and p.name in wanted:
            wanted[p.name].add(p.version)
    canaries = opts.domains is not None and nothing_known(opts.http, opts.db_url)
    if not canaries:
        cached = collect_from_cache(wanted, opts.index_url, opts.http, progress=progress)
        if cached is not None:
            return cached
    import asyncio

    async def fetch() -> Fetched:
        also = []
        if canaries and opts.domains is not None:
            also.append(preflight(opts.http, opts.domains, started))
        return await collect(
            wanted, opts.index_url, opts.http, progress=progress, on_network=on_network, also=also
        )

    return asyncio.run(fetch())


def _dependents(inventory: Inventory) -> dict[str, int]:
    """For each name, how many other packages of the tree pull it in (directly or not):
    its ancestors in the dependency graph. Without a graph, the packages on its recorded
    paths (the shortest few, so a lower bound)."""
    users: dict[str, set[str]] = defaultdict(set)
    if inventory.graph:
        parents: dict[str, set[str]] = defaultdict(set)
        for parent, children in inventory.graph.items():
            for child in children:
                parents[child].add(parent)
        for pkg in inventory.packages:
            seen: set[str] = set()
            todo = list(parents.get(pkg.name, ()))
            while todo:
                n = todo.pop()
                if n not in seen and n != pkg.name:
                    seen.add(n)
                    todo.extend(parents.get(n, ()))
            users[pkg.name] = seen
        return {name: len(u) for name, u in users.items()}
    for pkg in inventory.packages:
        for path in pkg.paths:
            users[pkg.name].update(n for n in path[:-1] if n != pkg.name)
    return {name: len(u) for name, u in users.items()}


def evaluate(
    inventory: Inventory,
    fetched: Fetched,
    previous: dict[str, Observation],
    now: datetime,
    thresholds: sigreg.Thresholds,
    domains: DomainReport | None = None,
    email_first_seen: Mapping[str, datetime] | None = None,
    code: Mapping[tuple[str, str], CodeReport] | None = None,
) -> list[Finding]:
    """Run every signal. Pure: no I/O, so tests feed it hand-built facts."""
    sigreg.load_all()
    dependents = _dependents(inventory)
    findings: list[Finding] = []
    size = len(inventory.packages)
    for pkg in inventory.packages:
        ctx = sigreg.PackageContext(
            now=now,
            package=pkg,
            facts=fetched.facts.get(pkg.name),
            not_found=pkg.name in fetched.not_found,
            previous=previous.get(pkg.name),
            dependents=dependents.get(pkg.name, 0),
            tree_size=size,
            vulnerabilities=fetched.vulns.get((pkg.name, pkg.version)) if pkg.version else None,
            thresholds=thresholds,
            domains=domains.domains if domains else {},
            dns_ok=domains is not None and domains.dns.status == "ok",
            rdap_ok=domains is not None and domains.rdap.status == "ok",
            email_first_seen=email_first_seen or {},
            code=(code or {}).get((pkg.name, pkg.version)) if pkg.version else None,
        )
        for fn in sigreg.PACKAGE_SIGNALS:
            findings.extend(fn(ctx))
    tree = sigreg.TreeContext(now, inventory.packages, fetched.facts, thresholds)
    for tree_fn in sigreg.TREE_SIGNALS:
        findings.extend(tree_fn(tree))
    combined = combine(findings)
    combined.sort(key=Finding.sort_key)
    return combined


def _checks(
    inventory: Inventory, fetched: Fetched, opts: ScanOptions, index: str
) -> dict[str, CheckStatus]:
    checks: dict[str, CheckStatus] = {}
    unknown = [
        p.key
        for p in inventory.packages
        if p.name in fetched.facts and p.version and (p.name, p.version) not in fetched.vulns
    ]
    if unknown:
        why = (
            f"{index} does not serve per-version documents (/pypi/<name>/<version>/json)"
            if fetched.version_docs_unsupported
            else "per-version documents could not be fetched"
        )
        checks["known-vulnerability"] = CheckStatus(
            "unavailable",
            f"{why}; vulnerabilities are known only for packages at their latest version "
            f"({len(unknown)} package(s) not checked)",
        )
    else:
        checks["known-vulnerability"] = CheckStatus("ok")
    no_owners = sorted(n for n, f in fetched.facts.items() if not f.has_ownership)
    if no_owners:
        checks["ownership"] = CheckStatus(
            "unavailable",
            f"the index publishes no ownership data for {len(no_owners)} package(s)",
        )
    else:
        checks["ownership"] = CheckStatus("ok")
    undated = sorted(
        n
        for n, f in fetched.facts.items()
        if f.releases and not any(r.uploaded_at for r in f.releases)
    )
    if undated:
        checks["release-history"] = CheckStatus(
            "unavailable",
            f"the index gives no upload times for {len(undated)} package(s) "
            f"({', '.join(undated[:5])}{', ...' if len(undated) > 5 else ''}): dormancy, "
            "burst, new-release and new-package cannot be judged for them",
        )
    else:
        checks["release-history"] = CheckStatus("ok")
    if opts.db_url is None:
        checks["ownership-change"] = CheckStatus("unavailable", "no database (--no-db)")
    else:
        checks["ownership-change"] = CheckStatus("ok")
    return checks


def _code_checks(deep: DeepResult | None) -> dict[str, CheckStatus]:
    if deep is None:
        return {}
    if not deep.failed:
        return {"artifact-analysis": CheckStatus("ok")}
    return {
        "artifact-analysis": CheckStatus(
            "unavailable",
            f"the code of {len(deep.failed)} package(s) could not be read: "
            + "; ".join(f"{n}=={v}" for n, v in sorted(deep.failed)[:5])
            + (", ..." if len(deep.failed) > 5 else ""),
        )
    }


class _StoreStarter:
    """The store, in a child process (`store/worker.py`) started before it is needed: once
    the scan has gone to the network and 80% of the projects are in, so that its start-up
    (importing SQLAlchemy, opening the database: ~0.2 s of a core) overlaps the download's
    tail, when the cores wait for the last large documents, and not its busy middle, when
    they decode. A scan whose answers all come from the cache, and which the store already
    holds, never starts it. Once started, it is asked at once for the previous observations
    of `names` (the registry projects), so they are ready when the download ends."""

    TAIL = 0.8

    def __init__(self, url: str | None, progress: Progress | None, names: Iterable[str]) -> None:
        self.url = url
        self.names = tuple(names)  # StoreProcess.prefetch sorts them
        self.store: ScanStore | None = None
        self._progress = progress
        self._networked = False
        self._tail = False

    def network(self) -> None:
        """Called at the scan's first network request."""
        self._networked = True
        if self._tail:
            self.start()

    def progress(self, done: int, total: int) -> None:
        if done >= self.TAIL * total:
            self._tail = True
            if self._networked:
                self.start()
        if self._progress is not None:
            self._progress(done, total)

    def start(self) -> None:
        if self.url is not None and self.store is None:
            from chaingate.store.worker import StoreProcess

            self.store = StoreProcess(self.url)
            self.store.prefetch("pypi", self.names)

    def open(self) -> ScanStore | None:
        self.start()
        return self.store

    def close(self) -> None:
        if self.store is not None:
            store, self.store = self.store, None
            store.close()


def run_scan(
    inventory: Inventory, opts: ScanOptions, progress: Progress | None = None
) -> ScanResult:
    """Fetch facts for every package of `inventory`, evaluate, remember, and report."""
    names = {p.name for p in inventory.packages if p.origin is Origin.REGISTRY}
    starter = _StoreStarter(opts.db_url, progress, names)
    try:
        result = _scan(inventory, opts, starter)
    except BaseException:
        with contextlib.suppress(StoreError):
            starter.close()
        raise
    starter.close()  # waits for the writes: a failed one raises StoreError here
    return result


def _scan(inventory: Inventory, opts: ScanOptions, starter: _StoreStarter) -> ScanResult:
    started = datetime.now(UTC)
    now = opts.now or started
    fetched = _fetch_all(
        inventory.packages, opts, starter.progress, started, on_network=starter.network
    )
    deep = None
    if opts.deep:
        from chaingate.analysis.deep import deep_inspect

        deep = deep_inspect(inventory.packages, opts.index_url, opts.http)
    store = None
    marker = RecordedMarker(opts.http.cache_dir, opts.db_url) if opts.db_url else None
    hashes = {name: content_hash(f) for name, f in fetched.facts.items()}
    unchanged = fetched.network_requests == 0 and marker is not None and marker.covers(hashes)
    if not unchanged:
        store = starter.open()
    domains = None
    if opts.domains is not None:
        domains = check_domains(fetched.facts, opts.http, opts.domains, now, started, store)
        if domains.queries and store is None:
            store = starter.open()  # new lookups are observations to record
    # When unchanged, the store's latest observations are exactly these facts: nothing to
    # compare against, so no previous observations are needed.
    previous = store.latest("pypi", fetched.facts) if store else {}
    first_seen = store.email_first_seen("pypi", fetched.facts) if store else {}
    if store is not None:
        # Written while the signals run: the store answers in order, so what was read above
        # is the previous state whatever is written now.
        if (
            domains is not None
            and domains.queries
            and domains.dns.status == "ok"
            and domains.rdap.status == "ok"
        ):
            # Only believable answers: one made while a source failed its canaries says nothing.
            store.record_domains(domains.domains.values())
        store.record(list(fetched.facts.values()), now)
    applied = apply(
        evaluate(
            inventory,
            fetched,
            previous,
            now,
            opts.thresholds,
            domains,
            first_seen,
            deep.reports if deep else None,
        ),
        list(opts.ignores),
        now.date(),
    )
    findings = applied.kept
    notes = tuple(
        f"exception for {i.id}{' ' + i.package if i.package else ''} ({i.where()}) expired on "
        f"{i.expires}; it no longer applies (reason was: {i.reason})"
        for i in applied.expired
    )

    incomplete = [
        Incomplete(m, None, why) for m in inventory.manifests for why in inventory.unresolved
    ]
    incomplete += [
        Incomplete(p.name, p.version, fetched.incomplete[p.name])
        for p in inventory.packages
        if p.name in fetched.incomplete
    ]
    for p in inventory.packages:
        facts = fetched.facts.get(p.name)
        if facts is not None and p.version is not None and facts.release(p.version) is None:
            incomplete.append(
                Incomplete(p.name, p.version, f"version {p.version} is not on the index")
            )
    if deep is not None:
        incomplete += [
            Incomplete(name, version, f"artifact analysis: {why}")
            for (name, version), why in sorted(deep.failed.items())
        ]
    finished = datetime.now(UTC)
    index = IndexUrls.parse(opts.index_url).base
    if store is not None:
        store.record_scan(
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
        starter.close()  # every write answered, or StoreError
        if marker is not None:
            marker.save(hashes)
    return ScanResult(
        inventory=inventory,
        facts=fetched.facts,
        findings=findings,
        incomplete=tuple(incomplete),
        index_url=index,
        started_at=started,
        finished_at=finished,
        checks={
            **_checks(inventory, fetched, opts, index),
            **domain_checks(domains),
            **_code_checks(deep),
        },
        domains=domains.domains if domains else {},
        ignored=applied.ignored,
        notes=notes,
    )
