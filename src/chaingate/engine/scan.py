"""The pure middle of a scan: facts in, findings, checks and incomplete entries out.

No I/O here (the `Engine` fetches, remembers and hands over), so tests feed these functions
hand-built facts. `ScanOptions` and `run_scan` are the one-shot form of the engine for a
caller that scans once and exits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from chaingate.analysis.interface import CodeReport
from chaingate.core.facts import Person, ProjectFacts
from chaingate.core.findings import Finding
from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus, Incomplete
from chaingate.facts.advisories import AdvisorySettings
from chaingate.facts.asof import AS_OF_NOW, as_of, first_upload
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
    as_of: datetime | None = None  # the time machine: the facts of then (facts/asof.py)
    thresholds: sigreg.Thresholds = msgspec.field(default_factory=sigreg.Thresholds)
    ignores: tuple[Ignore, ...] = ()
    domains: DomainOptions | None = None  # None: no email-domain intelligence
    deep: bool = False  # read every package's code (analysis/deep.py)
    advisories: AdvisorySettings | None = None  # None: the registry's vulnerability lists only
    # The GitHub REST API for actions and hooks; None: CHAINGATE_GITHUB_API_URL or GitHub's.
    github_api_url: str | None = None


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
    out["provenance"] = _provenance_check(inventory, fetched)
    if not has_store:
        out["ownership-change"] = CheckStatus("unavailable", "no database (--no-db)")
    else:
        out["ownership-change"] = CheckStatus("ok")
    out.update(_fact_checks(inventory, fetched, has_store))
    return out


def _fact_checks(inventory: Inventory, fetched: Fetched, has_store: bool) -> dict[str, CheckStatus]:
    """The checks an ecosystem's signals can make only from its registry's facts
    (`catalog.FACT_CHECKS`): unavailable by name when the registry could not be asked for
    some of its packages, or (git refs) when a commit's history could not be told."""
    why: dict[str, list[str]] = {}
    asked: set[str] = set()
    for eco, sids in sigreg.FACT_CHECKS.items():
        mine = [
            p for p in inventory.packages if p.ecosystem == eco and p.origin.value == "registry"
        ]
        if not mine:
            continue
        asked |= sids
        missing = [p for p in mine if PackageRef(eco, p.name) in fetched.incomplete]
        if missing:
            first = fetched.incomplete[PackageRef(eco, missing[0].name)]
            for sid in sids:
                why.setdefault(sid, []).append(
                    f"{eco}: no facts for {len(missing)} package(s) ({first})"
                )
        untold = [
            f"{r.name}@{g.ref}: {g.why}"
            for r, f in fetched.facts.items()
            if r.ecosystem == eco
            for g in f.refs
            if g.kind == "commit" and g.own is None
        ]
        if untold and "action-impostor-commit" in sids:
            why.setdefault("action-impostor-commit", []).append("; ".join(untold[:3]))
    if not has_store and "action-ref-moved" in asked:
        why.setdefault("action-ref-moved", []).append("no database (--no-db): no earlier tags")
    return {
        sid: CheckStatus("unavailable", "; ".join(why[sid])) if sid in why else CheckStatus("ok")
        for sid in sorted(asked)
    }


def _provenance_check(inventory: Inventory, fetched: Fetched) -> CheckStatus:
    """Unavailable for projects whose index serves no PEP 740 provenance, and for attested
    versions in use whose publisher the Integrity API did not tell (`publisher-change`
    cannot judge them): absence of data is never a pass."""
    served_none = sorted(r.name for r, f in fetched.facts.items() if f.provenance is None)
    unknown = []
    for p in inventory.packages:
        f = fetched.facts.get(PackageRef(p.ecosystem, p.name))
        used = f.release(p.version) if f is not None and f.provenance else None
        if f is None or f.provenance is None or used is None:
            continue
        mine = next((x for x in f.provenance if x.version == used.version), None)
        if mine is not None and mine.attested and not mine.publishers:
            unknown.append(p.key)
    reasons = []
    if served_none and len(served_none) == len(fetched.facts):  # the index serves none at all
        reasons.append(
            "the index serves no PEP 740 provenance: provenance-regression and "
            "publisher-change cannot be judged"
        )
    elif served_none:
        reasons.append(
            f"the index serves no PEP 740 provenance for {len(served_none)} package(s) "
            f"({_first_names(served_none)}): provenance-regression and publisher-change "
            "cannot be judged for them"
        )
    if unknown:
        reasons.append(
            f"the Integrity API did not name the publisher of {len(unknown)} attested "
            f"version(s) in use ({_first_names(sorted(unknown))}): publisher-change cannot "
            "be judged for them"
        )
    return CheckStatus("unavailable", "; ".join(reasons)) if reasons else CheckStatus("ok")


def _first_names(names: list[str]) -> str:
    """Up to five names of a list, for a reason: `a, b, c, d, e, ...`."""
    return ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")


def code_checks(deep: DeepResult | None, as_of: datetime | None = None) -> dict[str, CheckStatus]:
    if deep is None:
        return {}
    if not deep.failed and as_of is not None:
        return {
            "artifact-analysis": CheckStatus(
                "as-of-now",
                f"as of now, not as of {as_of:%Y-%m-%dT%H:%M:%SZ}: the file read is the one "
                "today's index offers for each pin (files uploaded later may be chosen)",
            )
        }
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


def then(fetched: Fetched, when: datetime) -> Fetched:
    """`fetched` as the registries stood at `when` (facts/asof.py), for `--as-of`."""
    return replace(fetched, facts={r: as_of(f, when) for r, f in fetched.facts.items()})


def unpublished(
    inventory: Inventory, today: Mapping[PackageRef, ProjectFacts], when: datetime
) -> dict[PackageRef, datetime]:
    """The pinned versions that exist today but were first uploaded after `when`, with
    that first upload: as of `when` they did not exist yet."""
    out: dict[PackageRef, datetime] = {}
    for p in inventory.packages:
        facts = today.get(PackageRef(p.ecosystem, p.name))
        if facts is None or p.version is None:
            continue
        first = first_upload(facts, p.version)
        if first is not None and first > when:
            out[p.ref] = first
    return out


def with_observed(
    fetched: Fetched, then: Mapping[PackageRef, tuple[Observation, Observation | None]]
) -> Fetched:
    """`--as-of`: the owners, organisation and maintainer emails of each project as the
    store observed them last at or before then, in place of today's."""
    if not then:
        return fetched
    facts = dict(fetched.facts)
    for project, (obs, _) in then.items():
        if project in facts:
            facts[project] = replace(
                facts[project],
                owners=obs.owners or (),
                organization=obs.organization,
                has_ownership=obs.owners is not None,
                people=tuple(Person(email) for email in obs.emails),
            )
    return replace(fetched, facts=facts)


def as_of_checks(
    when: datetime,
    projects: Sequence[PackageRef],
    then: Mapping[PackageRef, tuple[Observation, Observation | None]],
    domains: bool,
    has_store: bool,
) -> dict[str, CheckStatus]:
    """What an `--as-of` answer took from today rather than from `when` (the store had no
    observation of a project by then): listed, never mixed in silently."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    unseen = [p.name for p in projects if p not in then]
    out = {"release-history": CheckStatus("ok", f"releases and files uploaded <= {stamp}")}
    for check, what in AS_OF_NOW.items():
        if check == "email-domains" and not domains:
            continue
        if check in ("ownership", "email-addresses") and not unseen:
            continue  # every project's were observed by then
        if check in ("ownership", "email-addresses") and len(unseen) < len(projects):
            what += f" for {len(unseen)} package(s) ({_first_names(unseen)})"
        out[check] = CheckStatus("as-of-now", f"as of now, not as of {stamp}: {what}")
    if not unseen and projects:
        out["ownership"] = CheckStatus(
            "ok", f"owners as the store observed them at or before {stamp}"
        )
    if not has_store:
        out["ownership-change"] = CheckStatus("unavailable", "no database (--no-db)")
    elif not then:
        out["ownership-change"] = CheckStatus(
            "unavailable", f"the store holds no observation at or before {stamp}"
        )
    else:
        out["ownership-change"] = CheckStatus(
            "ok", f"the last observation at or before {stamp} against the one before it"
        )
    return out


def incomplete(
    inventory: Inventory,
    fetched: Fetched,
    deep: DeepResult | None,
    later: Mapping[PackageRef, datetime] | None = None,
    when: datetime | None = None,
) -> list[Incomplete]:
    """Every package that could not be (fully) analysed, with the reason. `later`: the
    pins first uploaded after `when` (`--as-of`), reported as not yet published then."""
    later = later or {}
    out = [Incomplete(m, None, why) for m in inventory.manifests for why in inventory.unresolved]
    # A scope that did not resolve on its own is named, not its file: the rest resolved.
    out += [Incomplete(f"scope {f.scope}", None, f.reason) for f in inventory.unresolved_scopes]
    out += [Incomplete(what, None, f"{why} ({m})") for m, what, why in inventory.unanalysed]
    for p in inventory.packages:
        project = PackageRef(p.ecosystem, p.name)
        if project in fetched.incomplete:
            out.append(Incomplete(p.name, p.version, fetched.incomplete[project], p.ecosystem))
    for p in inventory.packages:
        facts = fetched.facts.get(PackageRef(p.ecosystem, p.name))
        if p.ref in later and when is not None:
            out.append(
                Incomplete(
                    p.name,
                    p.version,
                    f"version {p.version} was not yet published as of "
                    f"{when.strftime('%Y-%m-%dT%H:%M:%SZ')} (first uploaded "
                    f"{later[p.ref].strftime('%Y-%m-%dT%H:%M:%SZ')})",
                    p.ecosystem,
                )
            )
        elif facts is not None and p.version is not None and facts.release(p.version) is None:
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
