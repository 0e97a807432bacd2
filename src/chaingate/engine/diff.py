"""`chaingate diff`: what a change introduces -- new packages, new versions, new findings.

A pull request is judged on its own risk: the base (a git ref, or an older copy of a
manifest) and the head are scanned with the same options, and only what the head adds is
reported. Reading the base (a git ref or an older file) is `inventory/gitbase.py`'s job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.core.status import Incomplete
from chaingate.engine.result import ScanResult
from chaingate.policy.ignore import Ignore, Ignored, apply

if TYPE_CHECKING:
    from chaingate.engine.scan import Progress, ScanOptions

# --- the comparison ------------------------------------------------------------------------

FindingKey = tuple[str, str | None, str | None, str]


class DiffResult(msgspec.Struct, frozen=True):
    """What the head introduces over the base.

    `added`: packages whose name (in their ecosystem) is not in the base. `changed`: a
    package of the base at a version the base does not have, with the base's version.
    `removed`: packages of the base found nowhere in the head (versions replaced by a
    change are not repeated).
    `new_findings`: head findings the base did not have (same signal, package and version;
    for project-level findings, same signal and same accounts or message).
    `incomplete`: what could not be analysed among the introduced packages, and whatever
    could not be analysed about the tree as a whole.
    """

    head: ScanResult
    base_packages: frozenset[PackageRef]
    added: tuple[Package, ...]
    changed: tuple[tuple[Package, str | None], ...]
    removed: tuple[PackageRef, ...]
    new_findings: tuple[Finding, ...]
    unchanged_findings: int
    new_ignored: tuple[Ignored, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    base_label: str = "base"
    base_commit: str | None = None
    notes: tuple[str, ...] = ()

    def worst(self) -> Severity | None:
        """The worst new finding: what `--fail-on` compares against."""
        return max((f.severity for f in self.new_findings), default=None)

    @property
    def introduced(self) -> tuple[Package, ...]:
        """Added and changed packages, by name and version."""
        both = [*self.added, *(p for p, _ in self.changed)]
        return tuple(sorted(both, key=lambda p: (p.name, p.version or "")))

    def is_introduced(
        self, name: str | None, version: str | None, ecosystem: str | None = None
    ) -> bool:
        """Whether the change brings in this package at this version (added or changed),
        in `ecosystem` (any, when None); e.g. to keep only the deny-list hits a policy
        raises on introduced packages."""
        return any(
            p.name == name and p.version == version and ecosystem in (None, p.ecosystem)
            for p in self.introduced
        )

    def with_finding(self, finding: Finding, ignores: Sequence[Ignore], today: date) -> DiffResult:
        """The result with one more new finding about the change itself (`policy-change`,
        which no scan raises): among the new findings, or among the new exceptions when one
        of `ignores` (the policy the diff is judged with) covers it."""
        applied = apply([finding], list(ignores), today)
        return replace(
            self,
            new_findings=(*applied.kept, *self.new_findings),
            new_ignored=(*applied.ignored, *self.new_ignored),
        )

    def as_scan_result(self) -> ScanResult:
        """The head scan restricted to what the change introduces (new findings, their
        exceptions, the incomplete entries above), for formats that render a ScanResult
        (SARIF). The inventory stays whole, so findings keep their manifest locations."""
        return replace(
            self.head,
            findings=self.new_findings,
            ignored=self.new_ignored,
            incomplete=self.incomplete,
            notes=(*self.head.notes, *self.notes),
        )


def finding_key(finding: Finding) -> FindingKey:
    """What makes a finding the same at the base and the head: signal, package and version;
    a project-level finding (no package) by the accounts and organisations its evidence
    names, or else its message, so one account or organisation reaching more packages is
    new."""
    if finding.package is not None:
        return (finding.id, finding.package, finding.version, finding.ecosystem or "")
    accounts = finding.evidence.get("accounts")
    organizations = finding.evidence.get("organizations")
    if organizations:
        principals: object = {"accounts": accounts, "organizations": organizations}
    else:
        principals = accounts
    detail = finding.message if principals is None else json.dumps(principals, sort_keys=True)
    return (finding.id, None, None, detail)


def _about(entry: Incomplete, refs: set[PackageRef] | frozenset[PackageRef]) -> bool:
    """Whether an incomplete entry is about one of `refs` (by name and version alone when
    the entry does not say its ecosystem)."""
    if entry.ref is not None:
        return entry.ref in refs
    return any(r.name == entry.package and r.version == entry.version for r in refs)


def diff_scans(
    base: ScanResult,
    head: ScanResult,
    *,
    base_label: str = "base",
    base_commit: str | None = None,
) -> DiffResult:
    """Compare two scans. Pure: no I/O."""

    def order(ref: PackageRef) -> tuple[str, str, str]:
        return (ref.name, ref.version or "", ref.ecosystem)

    base_keys = frozenset(p.ref for p in base.packages)
    base_versions: dict[PackageRef, list[str | None]] = {}
    for ref in sorted(base_keys, key=order):
        base_versions.setdefault(ref.project, []).append(ref.version)
    head_keys = {p.ref for p in head.packages}

    added: list[Package] = []
    changed: list[tuple[Package, str | None]] = []
    replaced: set[PackageRef] = set()
    for pkg in head.packages:
        if pkg.ref in base_keys:
            continue
        project = pkg.ref.project
        olds = base_versions.get(project)
        if olds is None:
            added.append(pkg)
            continue
        # Several base versions of one name (two files pin differently): prefer one the
        # head no longer has, i.e. the version this one replaced.
        gone = [v for v in olds if replace(project, version=v) not in head_keys]
        old = (gone or olds)[-1]
        replaced.add(replace(project, version=old))
        changed.append((pkg, old))
    removed = tuple(
        ref for ref in sorted(base_keys, key=order) if ref not in head_keys and ref not in replaced
    )

    seen = {finding_key(f) for f in base.findings}
    seen |= {finding_key(i.finding) for i in base.ignored}
    new = tuple(f for f in head.findings if finding_key(f) not in seen)
    new_ignored = tuple(i for i in head.ignored if finding_key(i.finding) not in seen)

    # Entries about a package are kept for the introduced ones; entries about the tree
    # (a manifest that could not be resolved) are kept whatever they name.
    introduced = {p.ref for p in added} | {p.ref for p, _ in changed}
    names = {p.name for p in head.packages}
    # ...except a dependency no adapter reads (a hook's npm package) that the base named
    # the same way: not news, and would fail every change's gate
    already = {i for i in base.incomplete if i.package not in head.inventory.manifests}
    incomplete = tuple(
        i
        for i in head.incomplete
        if _about(i, introduced) or (i.package not in names and i not in already)
    )
    # What the base could not see about packages the head still has, or about its tree:
    # findings there cannot be told old, so they count as new (never hidden).
    base_names = {ref.name for ref in base_keys}
    unseen = sorted(
        {i.package for i in base.incomplete if _about(i, head_keys) or i.package not in base_names}
    )
    notes: list[str] = []
    if unseen:
        shown = ", ".join(unseen[:5]) + (", ..." if len(unseen) > 5 else "")
        notes.append(
            f"the base could not be fully analysed ({shown}): findings it could not see are "
            "reported as new"
        )
    return DiffResult(
        head=head,
        base_packages=base_keys,
        added=tuple(added),
        changed=tuple(changed),
        removed=removed,
        new_findings=new,
        unchanged_findings=len(head.findings) - len(new),
        new_ignored=new_ignored,
        incomplete=incomplete,
        base_label=base_label,
        base_commit=base_commit,
        notes=tuple(notes),
    )


def run_diff(
    base_inventory: Inventory,
    head_inventory: Inventory,
    opts: ScanOptions,
    progress: Progress | None = None,
    *,
    base_label: str = "base",
    base_commit: str | None = None,
) -> DiffResult:
    """Scan the base, then the head, with the same options and the same `now`, and compare.

    The head scan finds most documents in the cache the base scan just filled. The base is
    scanned first so that, with a database, it is compared with the history as it was;
    the head then sees the base's facts as the previous observation, which only hides
    changes the base already showed.
    """
    from chaingate.engine import Engine

    with Engine.from_options(opts) as engine:
        return engine.diff(
            base_inventory, head_inventory, progress, base_label=base_label, base_commit=base_commit
        )


__all__ = ["DiffResult", "diff_scans", "finding_key", "run_diff"]
