"""The install guard's core: plan -> evaluate -> decide -> install, for any installer.

1. plan: the installer adapter's dry run says exactly what it would install
   (`Installer.plan`); the guard turns that set into the scan's input (`Plan.inventory`).
2. evaluate: one seam, `Evaluate(inventory, progress) -> ScanResult` (by default today's
   `run_scan` with the caller's `ScanOptions`, `scan_with`). Meanwhile the installer may
   fetch the planned files (`Installer.fetch`); nothing is installed yet.
3. decide: a policy gives one decision per finding (`Decide`; by default `severity_gate`).
   Any block, or with `fail_incomplete` any package that could not be analysed, stops the
   install. The verdict is announced (`explain`) before the installer prints anything.
4. install: exactly the planned set, pinned (`Installer.install`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, ParamSpec

import msgspec
from msgspec.structs import replace

from chaingate.core.findings import Severity
from chaingate.core.inventory import Inventory, Location, Origin, Package
from chaingate.core.status import Incomplete
from chaingate.core.text import escaped
from chaingate.ecosystems.installer import Installer, P, PlannedPackage, Wording
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import Progress, ScanOptions, run_scan
from chaingate.inventory.build import shortest_paths
from chaingate.policy.interface import Action, Decision

A = ParamSpec("A")
_MAX_PATHS = 3
_SHOWN = 8  # items named in the explanation's first line

Evaluate = Callable[[Inventory, Progress | None], ScanResult]
"""The scan of the planned set: findings and the packages that could not be analysed."""

Decide = Callable[[ScanResult], Sequence[Decision]]
"""A policy: one decision per finding of a scan (the policy engine's `decide`, bound to a
policy and a date)."""


def scan_with(options: ScanOptions) -> Evaluate:
    """The default evaluation: `run_scan` with these options."""
    return lambda inventory, progress: run_scan(inventory, options, progress)


def severity_gate(fail_on: Severity = Severity.HIGH) -> Decide:
    """The default policy: block a finding at or above `fail_on`, warn about the others
    from low up, ignore informational ones."""
    rule_block = f"default: severity {fail_on.label} or above blocks"
    rule_warn = f"default: below {fail_on.label} warns"

    def decide(result: ScanResult) -> list[Decision]:
        decisions = []
        for f in result.findings:
            if f.severity >= fail_on:
                decisions.append(Decision(f, Action.BLOCK, rule_block))
            elif f.severity >= Severity.LOW:
                decisions.append(Decision(f, Action.WARN, rule_warn))
            else:
                decisions.append(Decision(f, Action.IGNORE, "default: informational"))
        return decisions

    return decide


# --- plan ----------------------------------------------------------------------------------


class Plan(msgspec.Struct, Generic[P], frozen=True):
    """What the installer would install: its own answer (`proposal`), and the same set as
    the scan's input (`inventory`)."""

    proposal: P
    inventory: Inventory

    @property
    def items(self) -> Sequence[PlannedPackage]:
        return self.proposal.items

    @property
    def built(self) -> Sequence[str]:
        return self.proposal.built


def plan_of(proposal: P) -> Plan[P]:
    """The installer's answer with its inventory: requested items are direct, the others
    carry the chains of names that pull them in (or just their own name when the parent is
    already installed, or the installer gives no graph)."""
    items = proposal.items
    graph = {name: tuple(children) for name, children in proposal.graph.items()}
    paths = shortest_paths(sorted(i.name for i in items if i.requested), graph, _MAX_PATHS)
    where = (Location(proposal.manifest),)
    packages = tuple(
        Package(
            ecosystem=proposal.ecosystem,
            name=i.name,
            version=i.version or None,
            direct=i.requested,
            paths=tuple(paths.get(i.name) or [(i.name,)]),
            origin=i.origin,
            url=i.source or (i.url if i.origin is not Origin.REGISTRY else None),
            locations=where,
        )
        for i in sorted(items, key=lambda i: i.name)
    )
    inventory = Inventory(
        root=os.getcwd(),
        packages=packages,
        manifests=(proposal.manifest,),
        resolved_with=proposal.resolved_with,
        graph=graph,
    )
    return Plan(proposal, inventory)


def with_inventory(make: Callable[A, P]) -> Callable[A, Plan[P]]:
    """An adapter's planning function (`plan`, `plan_from_report`, ...) returning the
    guard's `Plan` (`plan_of` its answer)."""

    @functools.wraps(make)
    def planned(*args: A.args, **kwargs: A.kwargs) -> Plan[P]:
        return plan_of(make(*args, **kwargs))

    return planned


# --- the outcome ---------------------------------------------------------------------------


class GuardOutcome(msgspec.Struct, frozen=True):
    """What the guard did. `exit_code` is the installer's exit code of the install, or None
    when nothing was installed because the verdict blocked; `result` is None when the
    installer had nothing to install (no scan was needed)."""

    plan: Plan[Any]
    result: ScanResult | None
    decisions: tuple[Decision, ...]
    exit_code: int | None
    fail_incomplete: bool = False

    @property
    def blocked(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.action is Action.BLOCK)

    @property
    def warnings(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.action is Action.WARN)

    @property
    def incomplete(self) -> tuple[Incomplete, ...]:
        return self.result.incomplete if self.result else ()

    @property
    def allowed(self) -> bool:
        """The verdict: True when the planned set may be installed."""
        return not self.blocked and not (self.fail_incomplete and self.incomplete)

    @property
    def installed(self) -> bool:
        return self.exit_code == 0 and bool(self.plan.items)


def guard(
    installer: Installer[P],
    args: Sequence[str],
    *,
    evaluate: Evaluate,
    decide: Decide | None = None,
    fail_incomplete: bool = False,
    announce: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> GuardOutcome:
    """Plan, evaluate, decide, and install only when nothing blocks.

    `decide` replaces the default `severity_gate()`. With `fail_incomplete`, a package that
    could not be analysed blocks too. `announce` receives the explanation (`explain`) once
    the verdict is known and before the installer installs anything, so the user reads the
    verdict above the installer's output. The installer's errors propagate.
    """
    the_plan = plan_of(installer.plan(args))
    if not the_plan.items:
        outcome = GuardOutcome(the_plan, None, (), 0, fail_incomplete)
        if announce:
            announce(explain(outcome, installer.wording))
        return outcome
    with ThreadPoolExecutor(1) as background:
        # The files download while the scan runs; they are not installed unless allowed.
        fetching = background.submit(installer.fetch, the_plan.proposal)
        result = evaluate(the_plan.inventory, progress)
        proposal = the_plan.proposal
        if proposal.findings or proposal.incomplete:  # what the installer's sources show
            result = replace(
                result,
                findings=(*result.findings, *proposal.findings),
                incomplete=(*result.incomplete, *proposal.incomplete),
            )
        decisions = tuple((decide or severity_gate())(result))
        outcome = GuardOutcome(the_plan, result, decisions, None, fail_incomplete)
        if announce:
            announce(explain(outcome, installer.wording))
        files = fetching.result()
    if not outcome.allowed:
        return outcome
    return replace(outcome, exit_code=installer.install(the_plan.proposal, files))


# --- the explanation -----------------------------------------------------------------------


def explain(outcome: GuardOutcome, wording: Wording) -> str:
    """The verdict in words: what the installer would install, what blocks it and why,
    what warns, what could not be analysed. Text from the index is shown escaped."""
    outcome = escaped(outcome)
    p = outcome.plan
    said = f"{wording.installer} would install"
    if not p.items:
        return f"chaingate: {said} nothing (every requirement is already satisfied)."
    shown = ", ".join(_label(i) for i in p.items[:_SHOWN])
    shown += f" and {len(p.items) - _SHOWN} more" if len(p.items) > _SHOWN else ""
    count = f"{len(p.items)} package(s)"
    lines: list[str] = []
    if outcome.blocked:
        lines.append(
            f"chaingate: blocked: {said} {count} ({shown}); "
            f"{len(outcome.blocked)} finding(s) block it. Nothing was installed."
        )
        lines += [_decision_lines(d, p.inventory) for d in outcome.blocked]
    elif not outcome.allowed:
        lines.append(
            f"chaingate: blocked: {said} {count} ({shown}), but "
            f"{len(outcome.incomplete)} could not be analysed. Nothing was installed: what "
            "was not judged is not installed (--allow-incomplete, or [gate] allow_incomplete "
            "= true in the policy, installs it anyway)."
        )
    else:
        lines.append(
            f"chaingate: checked the {count} {said} ({shown}): nothing blocks. "
            "Installing exactly these, pinned to the files that were checked."
        )
    for d in outcome.warnings:
        f = d.finding
        lines.append(f"  warning: {_who(d, p.inventory)}: {f.id} ({f.severity.label}): {f.message}")
    for inc in outcome.incomplete:
        version = f" {inc.version}" if inc.version else ""
        lines.append(f"  not analysed: {inc.package}{version}: {inc.reason}")
    if p.built:
        lines.append(f"  note: {wording.built_note.format(packages=', '.join(p.built))}")
    return "\n".join(lines)


def _label(item: PlannedPackage) -> str:
    """`name version`, or `name @ url` when the installer gives no version."""
    return f"{item.name} {item.version or f'@ {item.source or item.url}'}"


def _who(d: Decision, inventory: Inventory) -> str:
    """`name version`, and the chain that pulls it in when the user did not ask for it."""
    f = d.finding
    who = f"{f.package} {f.version}" if f.package and f.version else f.package or "the set"
    pkg = next((x for x in inventory.packages if x.name == f.package), None)
    if pkg is not None and not pkg.direct and pkg.paths and len(pkg.paths[0]) > 1:
        who += f" (pulled in by {' -> '.join(pkg.paths[0])})"
    return who


def _decision_lines(d: Decision, inventory: Inventory) -> str:
    f = d.finding
    who = _who(d, inventory)
    return f"  {who}: {f.id} ({f.severity.label})\n    {f.message}\n    rule: {d.rule}"
