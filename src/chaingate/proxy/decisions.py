"""What the proxy offers of a project: one verdict per version, from the engine's
`evaluate`, the cooldown (`[gate] min_release_age`) and the page itself (PEP 792 status).

A verdict is computed once per upstream change of the page (its serial, or the body's
identity when the upstream gives no serial) and kept until that changes, a version leaves
its cooldown, or the engine's facts are due again (`ttl`): a warm request is a dict lookup.

Never fail open: a version whose facts are unavailable is refused when it is "young"
(`Cooldown.fail_closed`), and the page then answers 503 with the reason; a version whose
upload time the page does not say is young.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import msgspec

from chaingate.core.refs import PackageRef
from chaingate.engine import Engine, Evaluation
from chaingate.policy.interface import Action
from chaingate.policy.policy import Cooldown
from chaingate.proxy.pages import ProjectPage
from chaingate.store.interface import StoreError

if TYPE_CHECKING:
    from chaingate.store.db import Store

log = logging.getLogger("chaingate.proxy")

ALLOWED, WARNED, BLOCKED, COOLDOWN, UNAVAILABLE = (
    "allowed", "warned", "blocked", "cooldown", "unavailable"
)  # fmt: skip
# Signals that condemn the project, not one release: its page is refused (403).
PROJECT_SIGNALS = frozenset({"typosquat", "project-quarantined"})


class VersionVerdict(msgspec.Struct, frozen=True):
    """One version: offered or not (`state`), and why, in words for a person."""

    version: str
    state: str  # allowed, warned, blocked, cooldown, unavailable
    reasons: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()
    uploaded_at: datetime | None = None

    @property
    def offered(self) -> bool:
        return self.state in (ALLOWED, WARNED)


class ProjectVerdict(msgspec.Struct, frozen=True):
    """Every version of one project at one upstream serial. `refused`: the whole project is
    refused (403) and why; `unavailable`: the page cannot be judged (503) and why."""

    project: str
    serial: str
    decided_at: datetime
    valid_until: datetime
    versions: dict[str, VersionVerdict]
    refused: str | None = None
    unavailable: str | None = None

    def offered(self, version: str | None) -> bool:
        verdict = self.versions.get(version or "")
        return self.refused is None and verdict is not None and verdict.offered

    def why_not(self, version: str | None) -> str:
        """The reason a version's file is refused (a person reads it in a 403)."""
        if self.refused is not None:
            return self.refused
        verdict = self.versions.get(version or "")
        if verdict is None:
            return f"{self.project}: the file's version could not be told, so it is not judged"
        return f"{self.project} {verdict.version}: {'; '.join(verdict.reasons)}"


def _uploaded(page: ProjectPage) -> dict[str, datetime]:
    """The earliest upload time the page gives for each version (PEP 700 `upload-time`)."""
    out: dict[str, datetime] = {}
    for f in page.files:
        if f.version is None or f.upload_time is None:
            continue
        try:
            when = datetime.fromisoformat(f.upload_time.replace("Z", "+00:00"))
        except ValueError:
            continue
        if when.tzinfo is None:
            continue
        out[f.version] = min(when, out.get(f.version, when))
    return out


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{delta.total_seconds() / 60:.0f} min"


class Decider:
    """Verdicts for project pages from one engine and one cooldown, kept per project.

    `now` is the clock (tests pin it); `ttl` (seconds) bounds how long a verdict stands
    without a change of the page, so that a new advisory is seen (default: the engine's
    facts TTL)."""

    KEEP = 4096  # projects whose verdicts are kept in memory, least recent out

    def __init__(
        self,
        engine: Engine,
        cooldown: Cooldown,
        now: Callable[[], datetime],
        ttl: float | None = None,
        store: Store | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.cooldown = cooldown
        self.now = now
        self.ttl = timedelta(seconds=engine.facts_ttl if ttl is None else ttl)
        self._kept: OrderedDict[str, ProjectVerdict] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def kept(self, project: str, serial: str) -> ProjectVerdict | None:
        """The verdict for this serial of the page when one stands (a warm lookup)."""
        verdict = self._kept.get(project)
        if verdict is None or verdict.serial != serial or self.now() >= verdict.valid_until:
            return None
        self.hits += 1
        return verdict

    def latest(self, project: str) -> ProjectVerdict | None:
        """The last verdict made for a project, whatever its serial (for /-/decisions)."""
        return self._kept.get(project)

    def decide(self, page: ProjectPage, serial: str) -> ProjectVerdict:
        """Judge every version of `page` (synchronous: the engine's calls block; the app
        runs this in a worker thread) and keep the verdict."""
        now = self.now()
        verdict = self._stored(page.name, serial, now)
        if verdict is None:
            self.misses += 1
            verdict = self._judge(page, serial, now)
            self._store(verdict)
        self._kept[page.name] = verdict
        self._kept.move_to_end(page.name)
        while len(self._kept) > self.KEEP:
            self._kept.popitem(last=False)
        return verdict

    def _stored(self, project: str, serial: str, now: datetime) -> ProjectVerdict | None:
        """The store's verdict for this serial, when one stands (a restarted proxy)."""
        if self.store is None:
            return None
        try:
            kept = self.store.kept_verdict("pypi", project)
        except StoreError as exc:
            log.warning("verdicts are not read from the store: %s", exc)
            return None
        if kept is None or kept[0] != serial or now >= kept[1]:
            return None
        try:
            verdict = msgspec.convert(kept[2], ProjectVerdict, strict=False)
        except msgspec.ValidationError:
            return None  # written by another version of chaingate: judged anew
        self.hits += 1
        return verdict

    def _store(self, verdict: ProjectVerdict) -> None:
        if self.store is None:
            return
        doc = msgspec.to_builtins(verdict)
        try:
            self.store.keep_verdict(
                "pypi",
                verdict.project,
                verdict.serial,
                verdict.decided_at,
                verdict.valid_until,
                doc,
            )
        except StoreError as exc:
            log.warning("verdicts are not kept in the store: %s", exc)

    def _judge(self, page: ProjectPage, serial: str, now: datetime) -> ProjectVerdict:
        uploaded = _uploaded(page)
        window = timedelta(hours=self.cooldown.min_release_age)
        exempt = self.cooldown.exempt("pypi", page.name)
        until = now + self.ttl
        versions: dict[str, VersionVerdict] = {}
        refused: str | None = None
        if page.status == "quarantined":
            why = f" ({page.status_reason})" if page.status_reason else ""
            refused = (
                f"{page.name} is quarantined by the index (PEP 792){why}: it considers the "
                "project unsafe and offers none of its files"
            )
        judged = [
            PackageRef("pypi", page.name, v)
            for v in page.versions
            if not (window and not exempt and self._young(uploaded.get(v), now, window))
        ]
        if len(judged) > 1:
            self.engine.prepare(judged)  # one advisory query for the page, not one per version
        for version in page.versions:
            when = uploaded.get(version)
            young = self._young(when, now, window)
            if window and not exempt and young:
                if when is None:
                    reason = "the index does not say when it was uploaded, so its age is unknown"
                else:
                    ready = when + window
                    until = min(until, ready)
                    reason = (
                        f"released {_hours(now - when)} ago; min_release_age is "
                        f"{self.cooldown.min_release_age:g} h "
                        f"(offered from {ready:%Y-%m-%d %H:%M} UTC)"
                    )
                versions[version] = VersionVerdict(version, COOLDOWN, (reason,), (), when)
                continue
            ev = self.engine.evaluate(PackageRef("pypi", page.name, version))
            verdict = self._of(ev, version, when, young)
            versions[version] = verdict
            if refused is None:
                refused = _project_refusal(ev)
        unavailable = None
        gaps = [v for v in versions.values() if v.state == UNAVAILABLE]
        if gaps and refused is None:
            unavailable = (
                f"{page.name}: the facts needed to judge {', '.join(g.version for g in gaps)} "
                f"are unavailable ({gaps[0].reasons[0]}); the proxy fails closed "
                "([gate] fail_closed)"
            )
        malicious = [v for v in versions.values() if "known-malicious" in v.signals]
        if refused is None and versions and len(malicious) == len(versions):
            refused = f"{page.name} is known to be malicious: {malicious[-1].reasons[0]}"
        return ProjectVerdict(
            project=page.name,
            serial=serial,
            decided_at=now,
            valid_until=until,
            versions=versions,
            refused=refused,
            unavailable=unavailable,
        )

    @staticmethod
    def _young(when: datetime | None, now: datetime, window: timedelta) -> bool:
        """Inside the cooldown: uploaded within it, at an unknown time, or no cooldown."""
        return window.total_seconds() == 0 or when is None or now - when < window

    def _of(
        self, ev: Evaluation, version: str, when: datetime | None, young: bool
    ) -> VersionVerdict:
        if ev.incomplete is not None:
            mode = self.cooldown.fail_closed
            if mode == "all" or (mode == "young" and young):
                return VersionVerdict(version, UNAVAILABLE, (ev.incomplete,), (), when)
            return VersionVerdict(version, WARNED, (f"not judged: {ev.incomplete}",), (), when)
        blocking = [d for d in ev.decisions if d.action is Action.BLOCK]
        warning = [d for d in ev.decisions if d.action is Action.WARN]
        if blocking:
            reasons = tuple(f"{d.finding.id}: {d.finding.message}" for d in blocking)
            ids = tuple(d.finding.id for d in blocking)
            return VersionVerdict(version, BLOCKED, reasons, ids, when)
        if warning:
            reasons = tuple(f"{d.finding.id}: {d.finding.message}" for d in warning)
            return VersionVerdict(
                version, WARNED, reasons, tuple(d.finding.id for d in warning), when
            )
        return VersionVerdict(version, ALLOWED, (), (), when)


def _project_refusal(ev: Evaluation) -> str | None:
    """Why the whole project is refused, when a blocking finding is about the project (a
    typosquat: with "did you mean")."""
    for d in ev.decisions:
        if d.action is not Action.BLOCK or d.finding.id not in PROJECT_SIGNALS:
            continue
        if d.finding.id == "typosquat":
            target = d.finding.evidence.get("resembles")
            return (
                f"{ev.ref.name} looks like a typosquat of {target!r}: did you mean "
                f"{target!r}? ({d.finding.message})"
            )
        return f"{ev.ref.name}: {d.finding.message}"
    return None
