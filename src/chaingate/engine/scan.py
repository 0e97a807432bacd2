"""The pure middle of a scan: facts in, findings, checks and incomplete entries out.

No I/O here (the `Engine` fetches, remembers and hands over), so tests feed these functions
hand-built facts. `ScanOptions` and `run_scan` are the one-shot form of the engine for a
caller that scans once and exits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from chaingate.analysis.interface import CodeReport
from chaingate.core.findings import Finding
from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus, Incomplete
from chaingate.facts.advisories import AdvisorySettings
from chaingate.facts.collect import Fetched
from chaingate.facts.collect import Progress as Progress  # part of run_scan's signature
from chaingate.facts.intel.interface import DomainReport
from chaingate.facts.intel.run import DomainOptions as DomainOptions  # part of ScanOptions
from chaingate.net.http import HttpSettings
from chaingate.policy.ignore import Ignore
from chaingate.signals import catalog as sigreg
from chaingate.signals.combine import combine
from chaingate.store.interface import Observation

if TYPE_CHECKING:
    from chaingate.analysis.deep import DeepResult
    from chaingate.engine.result import ScanResult
    from chaingate.signals.typosquat import PopularNames


class ScanOptions(msgspec.Struct, frozen=True):
    """Everything a one-shot scan needs (`run_scan`); a long-lived caller builds an `Engine`."""

    index_url: str
    http: HttpSettings
    db_url: str | None  # None: keep no history (ownership-change is then unavailable)
    now: datetime | None = None  # pinned by tests and replays
    thresholds: sigreg.Thresholds = msgspec.field(default_factory=sigreg.Thresholds)
    ignores: tuple[Ignore, ...] = ()
    domains: DomainOptions | None = None  # None: no email-domain intelligence
    deep: bool = False  # read every package's code (analysis/deep.py)
    advisories: AdvisorySettings | None = None  # None: the registry's vulnerability lists only


def run_scan(
    inventory: Inventory, opts: ScanOptions, progress: Progress | None = None
) -> ScanResult:
    """Scan `inventory` once with an engine made for it and closed after."""
    from chaingate.engine import Engine

    with Engine.from_options(opts) as engine:
        return engine.scan(inventory, progress)


def dependents(inventory: Inventory) -> dict[str, int]:
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


def package_context(
    pkg: Package,
    fetched: Fetched,
    previous: Mapping[PackageRef, Observation],
    now: datetime,
    thresholds: sigreg.Thresholds,
    *,
    dependents: int = 0,
    tree_size: int = 1,
    domains: DomainReport | None = None,
    email_first_seen: Mapping[str, datetime] | None = None,
    code: Mapping[PackageRef, CodeReport] | None = None,
    popular: PopularNames | None = None,
) -> sigreg.PackageContext:
    """What the per-package signals see of one package."""
    project = PackageRef(pkg.ecosystem, pkg.name)
    ref = pkg.ref
    return sigreg.PackageContext(
        now=now,
        package=pkg,
        facts=fetched.facts.get(project),
        not_found=project in fetched.not_found,
        previous=previous.get(project),
        dependents=dependents,
        tree_size=tree_size,
        vulnerabilities=fetched.vulns.get(ref) if pkg.version else None,
        thresholds=thresholds,
        domains=domains.domains if domains else {},
        dns_ok=domains is not None and domains.dns.status == "ok",
        rdap_ok=domains is not None and domains.rdap.status == "ok",
        email_first_seen=email_first_seen or {},
        code=(code or {}).get(ref) if pkg.version else None,
        popular=popular,
    )


def package_findings(ctx: sigreg.PackageContext) -> list[Finding]:
    """Every per-package signal on one package, each finding naming its ecosystem."""
    eco = ctx.package.ecosystem
    out: list[Finding] = []
    for fn in sigreg.PACKAGE_SIGNALS:
        for f in fn(ctx):
            out.append(f if f.ecosystem or f.package is None else replace(f, ecosystem=eco))
    return out


def evaluate(
    inventory: Inventory,
    fetched: Fetched,
    previous: Mapping[PackageRef, Observation],
    now: datetime,
    thresholds: sigreg.Thresholds,
    domains: DomainReport | None = None,
    email_first_seen: Mapping[str, datetime] | None = None,
    code: Mapping[PackageRef, CodeReport] | None = None,
    popular: Callable[[str], PopularNames | None] | None = None,
) -> list[Finding]:
    """Run every signal over the tree. Pure: no I/O, so tests feed it hand-built facts.
    `popular` gives the popular-names list of an ecosystem (look-alike names)."""
    sigreg.load_all()
    counts = dependents(inventory)
    findings: list[Finding] = []
    size = len(inventory.packages)
    for pkg in inventory.packages:
        ctx = package_context(
            pkg,
            fetched,
            previous,
            now,
            thresholds,
            dependents=counts.get(pkg.name, 0),
            tree_size=size,
            domains=domains,
            email_first_seen=email_first_seen,
            code=code,
            popular=popular(pkg.ecosystem) if popular else None,
        )
        findings.extend(package_findings(ctx))
    tree = sigreg.TreeContext(now, inventory.packages, fetched.facts, thresholds)
    for tree_fn in sigreg.TREE_SIGNALS:
        findings.extend(tree_fn(tree))
    combined = combine(findings)
    combined.sort(key=Finding.sort_key)
    return combined


def checks(inventory: Inventory, fetched: Fetched, has_store: bool) -> dict[str, CheckStatus]:
    """Which families of checks could run on this tree, and why not where they could not."""
    out: dict[str, CheckStatus] = {}
    if fetched.advisory_status is not None:
        out["known-vulnerability"] = fetched.advisory_status
        out["known-malicious"] = fetched.advisory_status
    unknown = [
        p.key
        for p in inventory.packages
        if PackageRef(p.ecosystem, p.name) in fetched.facts
        and p.version
        and p.ref not in fetched.vulns
    ]
    if "known-vulnerability" in out:
        pass  # the advisory source answers for every pin, or says why it could not
    elif unknown:
        notes = sorted(set(fetched.vulns_notes.values()))
        why = "; ".join(notes) if notes else "per-version documents could not be fetched"
        out["known-vulnerability"] = CheckStatus(
            "unavailable",
            f"{why}; vulnerabilities are known only for packages at their latest version "
            f"({len(unknown)} package(s) not checked)",
        )
    else:
        out["known-vulnerability"] = CheckStatus("ok")
    no_owners = sorted(str(r) for r, f in fetched.facts.items() if not f.has_ownership)
    unknown_owners = sorted(
        r.name
        for r, f in fetched.facts.items()
        if f.has_ownership and not f.owners and not f.organization
    )
    if no_owners or unknown_owners:
        reasons: list[str] = []
        if no_owners:
            reasons.append(f"the index publishes no ownership data for {len(no_owners)} package(s)")
        if unknown_owners:
            reasons.append(
                "the index lists no owner and no organisation for "
                f"{len(unknown_owners)} package(s) ({_first_names(unknown_owners)})"
            )
        out["ownership"] = CheckStatus("unavailable", "; ".join(reasons))
    else:
        out["ownership"] = CheckStatus("ok")
    undated = sorted(
        r.name
        for r, f in fetched.facts.items()
        if f.releases and not any(rel.uploaded_at for rel in f.releases)
    )
    if undated:
        out["release-history"] = CheckStatus(
            "unavailable",
            f"the index gives no upload times for {len(undated)} package(s) "
            f"({_first_names(undated)}): dormancy, "
            "burst, new-release and new-package cannot be judged for them",
        )
    else:
        out["release-history"] = CheckStatus("ok")
    if not has_store:
        out["ownership-change"] = CheckStatus("unavailable", "no database (--no-db)")
    else:
        out["ownership-change"] = CheckStatus("ok")
    return out


def _first_names(names: list[str]) -> str:
    """Up to five names of a list, for a reason: `a, b, c, d, e, ...`."""
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


def code_checks(deep: DeepResult | None) -> dict[str, CheckStatus]:
    if deep is None:
        return {}
    if not deep.failed:
        return {"artifact-analysis": CheckStatus("ok")}
    return {
        "artifact-analysis": CheckStatus(
            "unavailable",
            f"the code of {len(deep.failed)} package(s) could not be read: "
            + "; ".join(f"{r.name}=={r.version}" for r in sorted(deep.failed)[:5])
            + (", ..." if len(deep.failed) > 5 else ""),
        )
    }


def incomplete(inventory: Inventory, fetched: Fetched, deep: DeepResult | None) -> list[Incomplete]:
    """Every package that could not be (fully) analysed, with the reason."""
    out = [Incomplete(m, None, why) for m in inventory.manifests for why in inventory.unresolved]
    for p in inventory.packages:
        project = PackageRef(p.ecosystem, p.name)
        if project in fetched.incomplete:
            out.append(Incomplete(p.name, p.version, fetched.incomplete[project], p.ecosystem))
    for p in inventory.packages:
        facts = fetched.facts.get(PackageRef(p.ecosystem, p.name))
        if facts is not None and p.version is not None and facts.release(p.version) is None:
            out.append(
                Incomplete(
                    p.name, p.version, f"version {p.version} is not on the index", p.ecosystem
                )
            )
    status = fetched.advisory_status
    if status is not None and status.status == "unavailable":
        # Fail closed: a pin whose advisories could not be looked up is not clean.
        out += [
            Incomplete(p.name, p.version, f"known advisories unavailable: {status.reason}",
                       p.ecosystem)
            for p in inventory.packages
            if p.version and PackageRef(p.ecosystem, p.name) in fetched.facts
        ]  # fmt: skip
    if deep is not None:
        out += [
            Incomplete(ref.name, ref.version, f"artifact analysis: {why}", ref.ecosystem)
            for ref, why in sorted(deep.failed.items())
        ]
    return out


def expired_notes(expired: Iterable[Ignore]) -> tuple[str, ...]:
    return tuple(
        f"exception for {i.id}{' ' + i.package if i.package else ''} ({i.where()}) expired on "
        f"{i.expires}; it no longer applies (reason was: {i.reason})"
        for i in expired
    )
