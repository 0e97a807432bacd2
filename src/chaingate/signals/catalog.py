"""Every signal chaingate knows: its id, default severity, family and a one-line summary.

A signal module registers its functions with `@package_signal(...)` (one package at a time)
or `@tree_signal(...)` (the whole tree, e.g. owner-concentration). `docs/signals.md` has an
entry per id; tests/signals/test_registry.py keeps the two in step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from chaingate.analysis.interface import CodeReport
from chaingate.core.facts import ProjectFacts, Release, Vulnerability
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Package
from chaingate.core.refs import PackageRef
from chaingate.facts.intel.interface import DomainFacts
from chaingate.store.interface import Observation

if TYPE_CHECKING:
    from chaingate.signals.typosquat import PopularNames


class Thresholds(msgspec.Struct, frozen=True):
    """Tunable numbers of the release and ownership signals (policy can override them)."""

    cooldown_hours: float = 72.0
    dormancy_days: float = 365.0
    # Only runs that began this recently are reported: a release that has been public for
    # longer has outlived the hours-to-days in which hijacked releases are usually caught.
    recent_days: float = 90.0
    burst_window_days: float = 7.0
    burst_min_releases: int = 5
    burst_quiet_days: float = 90.0
    new_package_days: float = 30.0
    expiring_days: float = 30.0
    # A release this soon after a domain's (re-)registration is what ctx looked like.
    reregistered_release_days: float = 30.0
    concentration_min_packages: int = 5
    concentration_share: float = 0.10


class PackageContext(msgspec.Struct, frozen=True, dict=True):  # dict: for `dated`
    """Everything a per-package signal may look at. `facts` is None when the registry could
    not be asked (the package is then in `incomplete`, and registry signals stay silent)."""

    now: datetime
    package: Package
    facts: ProjectFacts | None
    not_found: bool = False
    previous: Observation | None = None
    dependents: int = 0  # packages of the tree that pull this one in, directly or not
    tree_size: int = 1
    # Vulnerabilities of the version in use; None when the registry could not say.
    vulnerabilities: tuple[Vulnerability, ...] | None = None
    thresholds: Thresholds = msgspec.field(default_factory=Thresholds)
    # Email-domain intelligence, by registrable domain; findings only from sources that
    # passed their canaries (dns_ok / rdap_ok).
    domains: Mapping[str, DomainFacts] = msgspec.field(default_factory=dict)
    dns_ok: bool = False
    rdap_ok: bool = False
    email_first_seen: Mapping[str, datetime] = msgspec.field(default_factory=dict)
    # What the package's code says (`scan --deep`); None when it was not read.
    code: CodeReport | None = None
    # The ecosystem's popular names, which a look-alike name imitates; None: no list.
    popular: PopularNames | None = None

    @functools.cached_property
    def dated(self) -> tuple[Release, ...]:
        """The releases with files, oldest first, leaving out any uploaded after `now`
        (replays); made once for the signals that read the history."""
        if self.facts is None:
            return ()
        now = self.now
        return tuple(r for r in self.facts.releases if r.uploaded_at and r.uploaded_at <= now)


class TreeContext(msgspec.Struct, frozen=True):
    now: datetime
    packages: tuple[Package, ...]
    facts: Mapping[PackageRef, ProjectFacts]  # by project (a ref without a version)
    thresholds: Thresholds = msgspec.field(default_factory=Thresholds)


PackageSignal = Callable[[PackageContext], Iterable[Finding]]
TreeSignal = Callable[[TreeContext], Iterable[Finding]]


class SignalInfo(msgspec.Struct, frozen=True):
    id: str
    severity: Severity  # the default; a finding may be raised or lowered by its evidence
    family: str
    summary: str


SIGNALS: dict[str, SignalInfo] = {}
PACKAGE_SIGNALS: list[PackageSignal] = []
TREE_SIGNALS: list[TreeSignal] = []


def _register(sid: str, severity: Severity, family: str, summary: str) -> None:
    if sid in SIGNALS:
        raise ValueError(f"signal id {sid!r} registered twice")
    SIGNALS[sid] = SignalInfo(sid, severity, family, summary)


def declare(sid: str, severity: Severity, family: str, summary: str) -> None:
    """Register an id produced by a function that emits more than one id (see `emits`)."""
    _register(sid, severity, family, summary)


def emits(*sids: str) -> Callable[[PackageSignal], PackageSignal]:
    """Register a package signal that emits several ids, each already `declare`d."""

    def wrap(fn: PackageSignal) -> PackageSignal:
        missing = [sid for sid in sids if sid not in SIGNALS]
        if missing:
            raise ValueError(f"declare {', '.join(missing)} before registering {fn.__name__}")
        PACKAGE_SIGNALS.append(fn)
        return fn

    return wrap


def package_signal(
    sid: str, severity: Severity, family: str, summary: str
) -> Callable[[PackageSignal], PackageSignal]:
    def wrap(fn: PackageSignal) -> PackageSignal:
        _register(sid, severity, family, summary)
        PACKAGE_SIGNALS.append(fn)
        return fn

    return wrap


def tree_signal(
    sid: str, severity: Severity, family: str, summary: str
) -> Callable[[TreeSignal], TreeSignal]:
    def wrap(fn: TreeSignal) -> TreeSignal:
        _register(sid, severity, family, summary)
        TREE_SIGNALS.append(fn)
        return fn

    return wrap


# ecosystem -> the signal ids that need its registry's facts: where the registry could not
# be asked for a package of it, the scan reports these checks unavailable by name.
FACT_CHECKS: dict[str, set[str]] = {}


def needs_facts(ecosystem: str, *sids: str) -> None:
    FACT_CHECKS.setdefault(ecosystem, set()).update(sids)


# ecosystem -> the service its accounts belong to, where several ecosystems share one
# (GitHub Actions and pre-commit hooks: GitHub accounts and organisations); else its own.
ACCOUNT_REALMS: dict[str, str] = {}


def account_realm(ecosystem: str) -> str:
    return ACCOUNT_REALMS.get(ecosystem, ecosystem)


_PENDING: list[Callable[[], None]] = []


def declared_later(declare_ids: Callable[[], None]) -> Callable[[PackageSignal], PackageSignal]:
    """Register a package signal whose ids are declared by `declare_ids` only when the whole
    catalog is read (`load_catalog`): the code signals' ids come from the code detectors,
    which a scan without `--deep` never needs to import."""

    def wrap(fn: PackageSignal) -> PackageSignal:
        _PENDING.append(declare_ids)
        PACKAGE_SIGNALS.append(fn)
        return fn

    return wrap


def load_catalog() -> dict[str, SignalInfo]:
    """Every signal id chaingate knows, declared-later ones included (policy validation,
    SARIF rules, the docs)."""
    load_all()
    while _PENDING:
        _PENDING.pop(0)()
    return SIGNALS


def load_all() -> None:
    """Import every signal module so their decorators run."""
    from chaingate.signals import (  # noqa: F401
        advisory,
        artifacts,
        authors,
        cicd,
        domains,
        gate,
        names,
        publishing,
        releases,
    )
