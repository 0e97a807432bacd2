"""The policy: what each finding means for a gate (block, warn, ignore), and why.

Read from `[tool.chaingate]` in the scanned project's pyproject.toml, or the top level of a
chaingate.toml beside it, or a file given with `--policy`. Every key is documented in
docs/policy.md, which also gives the order in which the parts of a policy are consulted.
A policy that cannot be read exactly as written is an error naming the file, line and key:
an unknown key is a typo, and a typo must never quietly weaken a gate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import tomli as tomllib
from msgspec.structs import fields
from packaging.version import InvalidVersion, Version

from chaingate.core.facts import ProjectFacts
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Package
from chaingate.core.parsing import beyond_limits
from chaingate.core.refs import PackageRef
from chaingate.policy import ignore
from chaingate.policy.ignore import Ignore
from chaingate.policy.interface import Action, Decision, Judged, PolicyError, did_you_mean
from chaingate.policy.keys import PackageKey, split
from chaingate.signals import catalog as sigreg

if TYPE_CHECKING:
    import celpy
    from packaging.specifiers import SpecifierSet

DENY_ID = "policy-deny"  # the finding a deny list raises; not a signal, never excepted

DEFAULT_SEVERITY: Mapping[Severity, Action] = {
    Severity.CRITICAL: Action.BLOCK,
    Severity.HIGH: Action.BLOCK,
    Severity.MEDIUM: Action.WARN,
    Severity.LOW: Action.WARN,
    Severity.INFO: Action.IGNORE,
}


class PackageEntry(msgspec.Struct, frozen=True):
    """One allow/deny list entry for packages: a name, optionally with an ecosystem and
    versions (`"urllib3"`, `"pypi:urllib3"`, `"ctx<0.2"`); see policy/keys.py."""

    key: PackageKey
    specifier: SpecifierSet
    text: str

    def matches(
        self, ecosystem: str | None, name: str, version: str | None, *, unknown_version: bool
    ) -> bool:
        """Whether the package is covered; `unknown_version` is the answer when the entry
        has versions but the package's version is unknown or not PEP 440."""
        if not self.key.matches(ecosystem, name):
            return False
        if not str(self.specifier):
            return True
        try:
            return self.specifier.contains(Version(version or ""), prereleases=True)
        except InvalidVersion:
            return unknown_version


class Lists(msgspec.Struct, frozen=True):
    """An allow or deny list: packages, registry accounts, registry organisations, email
    domains, and where each list is written (for the rule named in a decision)."""

    packages: tuple[PackageEntry, ...] = ()
    accounts: frozenset[str] = frozenset()  # casefolded
    organizations: frozenset[str] = frozenset()  # casefolded
    domains: tuple[str, ...] = ()  # lowercase; an entry also covers its subdomains
    where: Mapping[str, str] = msgspec.field(default_factory=dict)  # "accounts" -> "file:line"

    def package(self, ecosystem: str | None, name: str, version: str | None, *, deny: bool) -> str:
        """The first entry covering the package, or "" (deny lists match unknown versions)."""
        for e in self.packages:
            if e.matches(ecosystem, name, version, unknown_version=deny):
                return e.text
        return ""

    def domain(self, domain: str) -> str:
        """The entry covering an email domain (itself or a parent domain), or ""."""
        domain = domain.lower()
        return next((d for d in self.domains if domain == d or domain.endswith("." + d)), "")


@dataclass(frozen=True)
class Rule:
    """A custom rule: when the CEL condition `expr` holds for a finding, `action` applies."""

    name: str
    expr: str
    action: Action
    reason: str | None
    where: str  # "file:line"
    program: celpy.Runner = field(compare=False, repr=False)  # policy/cel.py

    def describe(self) -> str:
        text = f"rule {self.name!r} ({self.where})"
        return f"{text}: {self.reason}" if self.reason else text


class Cooldown(msgspec.Struct, frozen=True):
    """`[gate] min_release_age` (hours; 0: none), `min_release_age_exclude` (packages exempt,
    like pnpm's minimumReleaseAgeExclude) and `fail_closed`: which versions whose facts are
    unavailable are refused -- "young" (default: those inside the cooldown, every one when
    there is none), "all", or "none"."""

    min_release_age: float = 0.0
    exclude: tuple[PackageKey, ...] = ()
    fail_closed: str = "young"

    def exempt(self, ecosystem: str, name: str) -> bool:
        return any(k.matches(ecosystem, name) for k in self.exclude)


FAIL_CLOSED = ("young", "all", "none")


class Policy(msgspec.Struct, frozen=True):
    """A loaded policy. `Policy()` is the default: critical and high block, medium and low
    warn, info is ignored (listed, never gating); no lists, rules or exceptions."""

    severity: Mapping[Severity, Action] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_SEVERITY)
    )
    actions: Mapping[str, Action] = msgspec.field(default_factory=dict)  # by signal id
    thresholds: sigreg.Thresholds = msgspec.field(default_factory=sigreg.Thresholds)
    allow: Lists = msgspec.field(default_factory=Lists)
    deny: Lists = msgspec.field(default_factory=Lists)
    rules: tuple[Rule, ...] = ()
    ignores: tuple[Ignore, ...] = ()
    # [resolve] build: may resolution (scan, check, diff) and the install guards build
    # source distributions, running their build backends before anything is judged?
    build: bool = False
    # [gate] allow_incomplete: may check, diff and the install guards pass a package that
    # could not be analysed? (False: they fail closed, exit 3.)
    allow_incomplete: bool = False
    # [gate] min_release_age (hours), min_release_age_exclude, fail_closed: the proxy's
    # cooldown (a version younger than this is not offered), the packages exempt from it,
    # and which versions it refuses when their facts are unavailable (proxy/decisions.py).
    cooldown: Cooldown = msgspec.field(default_factory=lambda: Cooldown())
    # [sources]: PyPI names pinned to one index (canonical name -> index URL): the install
    # guards take such a name from that index only, and a second source offering it is no
    # `dependency-confusion` finding.
    sources: Mapping[str, str] = msgspec.field(default_factory=dict)
    # [scopes]: scope (runtime, extra:<name>, a dependency group) -> the most a finding on a
    # package pulled in only by such scopes can do (the strongest of its scopes' actions).
    scopes: Mapping[str, Action] = msgspec.field(default_factory=dict)
    source: str | None = None  # the file it came from; None for the default policy
    # "severity.high", "actions.typosquat" -> "file:line", for the rule named in a decision
    where: Mapping[str, str] = msgspec.field(default_factory=dict)


# --- loading ---------------------------------------------------------------------------------


def load_policy(project: Path, explicit: Path | None = None) -> Policy:
    """The policy for the project at `project` (a directory, or a file whose directory is
    used): `[tool.chaingate]` in its pyproject.toml or a chaingate.toml beside it, never
    both. `explicit` (`--policy FILE`, chaingate.toml form; a file named pyproject.toml is
    read from its `[tool.chaingate]`) replaces both. No policy anywhere: `Policy()`."""
    if explicit is not None:
        return file_policy((str(explicit), _read(explicit)), explicit.name == "pyproject.toml")
    base = project if project.is_dir() else project.parent
    pyproject, standalone = base / "pyproject.toml", base / "chaingate.toml"
    return project_policy(
        (str(pyproject), _read(pyproject)) if pyproject.is_file() else None,
        (str(standalone), _read(standalone)) if standalone.is_file() else None,
    )


PolicyText = tuple[str, str]  # a policy file: its name as messages say it, and its text


def file_policy(file: PolicyText, pyproject: bool) -> Policy:
    """The policy of one file (`--policy`): chaingate.toml form, or the `[tool.chaingate]`
    of a pyproject.toml (`pyproject`)."""
    name, text = file
    doc = _toml(name, text)
    if pyproject:
        return _parse(name, text, _tool_table(name, text, doc), ("tool", "chaingate"))
    return _parse(name, text, *_standalone(name, text, doc))


def project_policy(pyproject: PolicyText | None, standalone: PolicyText | None) -> Policy:
    """The policy of a project from its pyproject.toml and chaingate.toml (None: no such
    file): the one of the two that holds a policy; both is an error; neither, `Policy()`."""
    found: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = []
    if pyproject is not None:
        name, text = pyproject
        doc = _toml(name, text)
        tool = doc.get("tool")
        if isinstance(tool, dict) and "chaingate" in tool:
            found.append((name, text, _tool_table(name, text, doc), ("tool", "chaingate")))
    if standalone is not None:
        found.append((*standalone, *_standalone(*standalone, _toml(*standalone))))
    if pyproject is not None and standalone is not None and len(found) > 1:
        raise PolicyError(
            standalone[0],
            None,
            f"a policy is also in {pyproject[0]} ([tool.chaingate]); keep one of the two",
        )
    return _parse(*found[0]) if found else Policy()


def _standalone(
    name: str, text: str, doc: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A chaingate.toml's policy table and where it sits: its top level, or the
    `[tool.chaingate]` table when that is all the file holds (pyproject's form, pasted as
    it is from the README)."""
    tool = doc.get("tool")
    if set(doc) == {"tool"} and isinstance(tool, dict) and set(tool) == {"chaingate"}:
        return _tool_table(name, text, doc), ("tool", "chaingate")
    return doc, ()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), None, f"cannot read: {exc}") from None


def _toml(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise PolicyError(name, int(m.group(1)) if m else None, str(exc)) from None
    except (RecursionError, ValueError) as exc:  # nesting, or digits, beyond the limits
        raise PolicyError(name, *beyond_limits(text, exc)) from None


def _tool_table(name: str, text: str, doc: dict[str, Any]) -> dict[str, Any]:
    tool = doc.get("tool", {})
    table = tool.get("chaingate", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        line = _Lines(text).line(("tool", "chaingate"))
        raise PolicyError(name, line, "tool.chaingate must be a table")
    return table


_TOP = (
    "severity", "actions", "thresholds", "allow", "deny", "rules", "ignore", "resolve", "gate",
    "sources", "scopes",
)  # fmt: skip
_RESOLVE_KEYS = ("build",)
_GATE_KEYS = ("allow_incomplete", "min_release_age", "min_release_age_exclude", "fail_closed")
_LIST_KEYS = ("packages", "accounts", "organizations", "domains")
_RULE_KEYS = ("name", "expr", "action", "reason")
_ACTIONS = tuple(a.value for a in Action)


class _Source:
    """One policy file being read: turns a key path into `file:line` and errors."""

    def __init__(self, name: str, text: str, base: tuple[str, ...]) -> None:
        self.file, self.base, self.lines = name, base, _Lines(text)

    def key(self, *path: str | int) -> str:
        out = ""
        for part in (*self.base, *path):
            out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
        return out

    def line(self, *path: str | int) -> int | None:
        return self.lines.line((*self.base, *path))

    def where(self, *path: str | int) -> str:
        line = self.line(*path)
        return f"{self.file}:{line}" if line else self.file

    def error(self, path: Sequence[str | int], what: str) -> PolicyError:
        return PolicyError(self.file, self.line(*path), f"{self.key(*path)}: {what}")

    def table(self, value: object, *path: str | int) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(path, f"must be a table, not {_kind(value)}")
        return value

    def known(self, table: Mapping[str, object], keys: Iterable[str], *path: str | int) -> None:
        keys = tuple(keys)
        for k in table:
            if k not in keys:
                did = did_you_mean(k, keys)
                raise self.error((*path, k), f"unknown key{did}; known: {', '.join(keys)}")

    def action(self, value: object, *path: str | int) -> Action:
        if not isinstance(value, str) or value not in _ACTIONS:
            raise self.error(path, f"{_show(value)} is not an action (block, warn, ignore)")
        return Action(value)


def _parse(name: str, text: str, doc: Mapping[str, Any], base: tuple[str, ...]) -> Policy:
    src = _Source(name, text, base)
    src.known(doc, _TOP)
    where: dict[str, str] = {}
    severity = dict(DEFAULT_SEVERITY)
    for k, v in src.table(doc.get("severity", {}), "severity").items():
        try:
            sev = Severity.parse(k)
        except ValueError as exc:
            raise src.error(("severity", k), str(exc)) from None
        severity[sev] = src.action(v, "severity", k)
        where[f"severity.{sev.label}"] = src.where("severity", k)
    sigreg.load_all()
    actions: dict[str, Action] = {}
    for k, v in src.table(doc.get("actions", {}), "actions").items():
        if k not in sigreg.load_catalog():
            did = did_you_mean(k, sigreg.SIGNALS)
            raise src.error(("actions", k), f"unknown signal id{did}; see docs/signals.md")
        actions[k] = src.action(v, "actions", k)
        where[f"actions.{k}"] = src.where("actions", k)
    ignores = ignore.entries(Path(name), doc.get("ignore", []), src.key("ignore"), text=text)
    return Policy(
        severity=severity,
        actions=actions,
        thresholds=_thresholds(src, doc.get("thresholds", {})),
        allow=_lists(src, doc.get("allow", {}), "allow"),
        deny=_lists(src, doc.get("deny", {}), "deny"),
        rules=_rules(src, doc.get("rules", [])),
        ignores=tuple(ignores),
        build=_resolve_build(src, doc.get("resolve", {})),
        allow_incomplete=_allow_incomplete(src, doc.get("gate", {})),
        cooldown=_cooldown(src, doc.get("gate", {})),
        sources=_sources(src, doc.get("sources", {})),
        scopes=_scopes(src, doc.get("scopes", {}), where),
        source=name,
        where=where,
    )


def _scopes(src: _Source, value: object, where: dict[str, str]) -> dict[str, Action]:
    """`[scopes]`: a scope as the inventory names it (`runtime`, `extra:socks`, `docs`;
    normalised like the names of extras and groups) -> an action."""
    from chaingate.core.scopes import normalize_scope

    out: dict[str, Action] = {}
    for k, v in src.table(value, "scopes").items():
        scope = normalize_scope(k)
        out[scope] = src.action(v, "scopes", k)
        where[f"scopes.{scope}"] = src.where("scopes", k)
    return out


def _resolve_build(src: _Source, value: object) -> bool:
    """`[resolve] build`: true lets resolution and the install guards build source
    distributions (run their build code); false, the default, forbids it."""
    table = src.table(value, "resolve")
    src.known(table, _RESOLVE_KEYS, "resolve")
    build = table.get("build", False)
    if not isinstance(build, bool):
        raise src.error(("resolve", "build"), f"must be true or false, not {_show(build)}")
    return build


def _allow_incomplete(src: _Source, value: object) -> bool:
    """`[gate] allow_incomplete`: true lets a gate pass what could not be analysed."""
    table = src.table(value, "gate")
    src.known(table, _GATE_KEYS, "gate")
    allow = table.get("allow_incomplete", False)
    if not isinstance(allow, bool):
        raise src.error(("gate", "allow_incomplete"), f"must be true or false, not {_show(allow)}")
    return allow


def _cooldown(src: _Source, value: object) -> Cooldown:
    """`[gate] min_release_age`, `min_release_age_exclude`, `fail_closed` (the proxy's)."""
    table = src.table(value, "gate")
    hours = table.get("min_release_age", 0)
    path = ("gate", "min_release_age")
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not math.isfinite(hours):
        raise src.error(path, f"must be a number of hours, not {_show(hours)}")
    if not 0 <= hours <= MAX_HOURS:
        raise src.error(path, f"must be between 0 and {MAX_HOURS} hours, not {hours:g}")
    names = table.get("min_release_age_exclude", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
        raise src.error(("gate", "min_release_age_exclude"), "must be an array of package names")
    mode = table.get("fail_closed", "young")
    if mode not in FAIL_CLOSED:
        raise src.error(
            ("gate", "fail_closed"), f"{_show(mode)} is not one of {', '.join(FAIL_CLOSED)}"
        )
    keys = tuple(PackageKey(*split(n)) for n in names)
    return Cooldown(min_release_age=float(hours), exclude=keys, fail_closed=mode)


def _sources(src: _Source, value: object) -> dict[str, str]:
    """`[sources]`: a PyPI package name (`"corp-lib"` or `"pypi:corp-lib"`) -> the one
    index it may come from (`https://pypi.corp.example/simple/`)."""
    from urllib.parse import urlsplit

    from packaging.utils import canonicalize_name

    out: dict[str, str] = {}
    for k, v in src.table(value, "sources").items():
        ecosystem, name = split(k)
        if ecosystem not in (None, "pypi") or not re.fullmatch(
            r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", name
        ):
            raise src.error(("sources", k), "must be a PyPI package name (like 'corp-lib')")
        if not isinstance(v, str):
            raise src.error(("sources", k), f"must be an index URL, not {_kind(v)}")
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https", "file") or not (parts.netloc or parts.path):
            raise src.error(
                ("sources", k), f"{v!r} is not an index URL (like 'https://pypi.org/simple/')"
            )
        out[canonicalize_name(name)] = v.strip()
    return out


# Lower bounds; a number must also be finite. Shares are at most 1.
_MINIMUM = {"burst_min_releases": 2, "concentration_min_packages": 1}
# A century is past any sensible window (and `timedelta` overflows on 1e300 hours).
MAX_HOURS, MAX_DAYS, MAX_COUNT = 100 * 365 * 24, 100 * 365, 1_000_000


def _maximum(key: str) -> float:
    if key.endswith("_hours"):
        return MAX_HOURS
    return MAX_DAYS if key.endswith("_days") else MAX_COUNT


def _thresholds(src: _Source, value: object) -> sigreg.Thresholds:
    table = src.table(value, "thresholds")
    kinds = {f.name: f.type for f in fields(sigreg.Thresholds)}
    src.known(table, kinds, "thresholds")
    values: dict[str, Any] = {}
    for k, v in table.items():
        path = ("thresholds", k)
        if kinds[k] in ("int", int):
            if isinstance(v, bool) or not isinstance(v, int):
                raise src.error(path, f"must be a whole number, not {_kind(v)}")
        elif isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise src.error(path, f"must be a number, not {_show(v)}")
        low = _MINIMUM.get(k, 0)
        if v < low or (k.endswith("_share") and not 0 < v <= 1):
            rng = "between 0 (excluded) and 1" if k.endswith("_share") else f"at least {low}"
            raise src.error(path, f"must be {rng}, not {v}")
        if v > _maximum(k):
            raise src.error(path, f"must be at most {_maximum(k)}, not {v:g}")
        values[k] = float(v) if kinds[k] in ("float", float) else v
    return sigreg.Thresholds(**values)


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9-]{2,63}$")


def _lists(src: _Source, value: object, which: str) -> Lists:
    table = src.table(value, which)
    src.known(table, _LIST_KEYS, which)
    items: dict[str, list[str]] = {}
    for k in _LIST_KEYS:
        v = table.get(k, [])
        if not isinstance(v, list) or not all(isinstance(s, str) and s.strip() for s in v):
            raise src.error((which, k), "must be an array of non-empty strings")
        items[k] = [s.strip() for s in v]
    packages = []
    if items["packages"]:
        from packaging.requirements import InvalidRequirement, Requirement
    for text in items["packages"]:
        ecosystem, requirement = split(text)
        try:
            req = Requirement(requirement)
        except InvalidRequirement as exc:
            raise src.error((which, "packages"), f"{text!r}: {exc}") from None
        if req.url or req.marker or req.extras:
            raise src.error(
                (which, "packages"),
                f"{text!r}: give a name and optionally versions (no extras, URL or marker)",
            )
        packages.append(PackageEntry(PackageKey(ecosystem, req.name), req.specifier, text))
    domains = []
    for text in items["domains"]:
        d = text.lower().removeprefix("@").rstrip(".")
        if not _DOMAIN.match(d):
            raise src.error(
                (which, "domains"),
                f"{text!r} is not a domain (like 'example.com'; an entry covers its subdomains)",
            )
        domains.append(d)
    return Lists(
        packages=tuple(packages),
        accounts=frozenset(a.casefold() for a in items["accounts"]),
        organizations=frozenset(o.casefold() for o in items["organizations"]),
        domains=tuple(domains),
        where={k: src.where(which, k) for k in _LIST_KEYS if k in table},
    )


def _rules(src: _Source, value: object) -> tuple[Rule, ...]:
    if not isinstance(value, list):
        raise src.error(("rules",), "must be an array of tables ([[rules]])")
    out: list[Rule] = []
    for i, item in enumerate(value):
        table = src.table(item, "rules", i)
        src.known(table, _RULE_KEYS, "rules", i)
        for k in ("name", "expr", "action"):
            if k not in table:
                raise src.error(("rules", i), f"{k!r} is required")
        for k in ("name", "expr", "reason"):
            if k in table and not (isinstance(table[k], str) and table[k].strip()):
                raise src.error(("rules", i, k), "must be a non-empty string")
        name, expr = table["name"].strip(), table["expr"]
        if any(r.name == name for r in out):
            raise src.error(("rules", i, "name"), f"another rule is already named {name!r}")
        action = src.action(table["action"], "rules", i, "action")
        reason = table.get("reason")
        if action is Action.IGNORE and reason is None:
            raise src.error(
                ("rules", i),
                f"'reason' is required for an ignore rule ({name}): say why its findings are safe",
            )
        from chaingate.policy import cel  # the CEL interpreter, only for a policy with rules

        try:
            program = cel.compile_condition(expr)
        except cel.CelError as exc:
            raise src.error(("rules", i, "expr"), str(exc)) from None
        out.append(
            Rule(
                name,
                expr,
                action,
                reason.strip() if reason else None,
                src.where("rules", i),
                program,
            )
        )
    return tuple(out)


# --- deciding --------------------------------------------------------------------------------


def decide(result: Judged, policy: Policy, today: date) -> list[Decision]:
    """One decision per finding of `result` (those an exception silenced included, as
    IGNORE with the exception) and one BLOCK per deny-list hit, blocks first.

    Precedence, first that speaks wins: deny lists, exceptions, custom rules (in file
    order), then `actions` by id or else `severity`, which an allow list lowers from block
    to warn. A rule that cannot be evaluated on a finding blocks it, saying why."""
    by_name = {p.name: p for p in result.packages}
    by_ref = {(p.ecosystem, p.name): p for p in result.packages}
    scopes: dict[tuple[str, str], set[str]] = {}
    for pkg in result.packages:  # every version's scopes
        scopes.setdefault((pkg.ecosystem, pkg.name), set()).update(pkg.scopes)
    applied = ignore.apply(result.findings, list(policy.ignores), today)
    out = [_excepted(i.finding, i.by) for i in (*result.ignored, *applied.ignored)]
    for f in applied.kept:
        p = None
        if f.package:
            p = by_ref.get((f.ecosystem, f.package)) if f.ecosystem else by_name.get(f.package)
        facts = result.facts.get(PackageRef(p.ecosystem, p.name)) if p else None
        in_scopes = scopes[(p.ecosystem, p.name)] if p is not None else set()
        out.append(_decide(f, p, facts, policy, in_scopes))
    out += _denials(result, policy)
    order = {Action.BLOCK: 0, Action.WARN: 1, Action.IGNORE: 2}
    out.sort(key=lambda d: (order[d.action], d.finding.sort_key()))
    return out


_STRENGTH = {Action.IGNORE: 0, Action.WARN: 1, Action.BLOCK: 2}

# Findings a scope cap never lowers: known malware in a docs or dev tool still runs on
# developers' machines and in CI, next to their credentials. `actions.<id>` still can.
_UNCAPPED = frozenset({"known-malicious", "project-quarantined"})


def _scope_cap(decision: Decision, scopes: set[str], pol: Policy) -> Decision:
    """`decision` lowered to the action of the package's scopes when every one of them has
    one in `[scopes]` (the strongest of them: a package also in an unlisted scope, such
    as runtime, is not lowered). Custom rules come first and are never lowered; nor is
    known malware (`_UNCAPPED`)."""
    if decision.finding.id in _UNCAPPED:
        return decision
    caps = [(pol.scopes[s], s) for s in sorted(scopes) if s in pol.scopes]
    if not scopes or len(caps) < len(scopes):
        return decision
    cap, scope = max(caps, key=lambda c: _STRENGTH[c[0]])
    if _STRENGTH[cap] >= _STRENGTH[decision.action]:
        return decision
    where = pol.where.get(f"scopes.{scope}", "default")
    rule = f"{decision.rule}, lowered to {cap} by scopes.{scope} = {cap} ({where})"
    return Decision(decision.finding, cap, rule, decision.exception)


def blocked(decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions that fail the gate."""
    return [d for d in decisions if d.action is Action.BLOCK]


def _excepted(f: Finding, by: Ignore) -> Decision:
    until = f", until {by.expires}" if by.expires else ""
    return Decision(f, Action.IGNORE, f"exception ({by.where()}{until}): {by.reason}", by)


def _decide(
    f: Finding, p: Package | None, facts: ProjectFacts | None, pol: Policy, scopes: set[str]
) -> Decision:
    if pol.rules:
        from chaingate.policy import cel

        for r in pol.rules:
            holds = cel.holds(r.program, f, p, facts)
            if holds is True:
                return Decision(f, r.action, r.describe())
            if holds is False:
                continue
            why = holds
            return Decision(
                f,
                Action.BLOCK,
                f"{r.describe()} could not be evaluated ({why}); blocked "
                "rather than guessed (guard fields with has() or &&)",
            )
    if f.id in pol.actions:
        action = pol.actions[f.id]
        rule = f"actions.{f.id} = {action} ({pol.where.get(f'actions.{f.id}', 'default')})"
    else:
        action = pol.severity[f.severity]
        key = f"severity.{f.severity.label}"
        rule = f"{key} = {action} ({pol.where.get(key, 'default')})"
    if action is Action.BLOCK:
        allowed = _allowed(f, p, facts, pol.allow)
        if allowed:
            action, rule = Action.WARN, f"{rule}, lowered to warn: {allowed}"
    return _scope_cap(Decision(f, action, rule), scopes, pol)


def _allowed(f: Finding, p: Package | None, facts: ProjectFacts | None, allow: Lists) -> str:
    """Why the finding's package is allow-listed, or "". A list never covers a package it
    cannot see: no owners known means not allow-listed by account."""
    if f.package is None:
        return ""
    ecosystem = p.ecosystem if p else f.ecosystem
    entry = allow.package(ecosystem, f.package, p.version if p else f.version, deny=False)
    if entry:
        return f"{entry!r} is on allow.packages ({allow.where['packages']})"
    if facts is None:
        return ""
    owners = {a.user.casefold() for a in facts.owners}
    if allow.accounts and facts.has_ownership and owners and owners <= allow.accounts:
        names = ", ".join(sorted(a.user for a in facts.owners))
        return f"every owner ({names}) is on allow.accounts ({allow.where['accounts']})"
    org = facts.organization
    if allow.organizations and org and org.casefold() in allow.organizations:
        # The organisation's owners decide who else holds a role: trusting it covers them.
        return f"its organisation {org} is on allow.organizations ({allow.where['organizations']})"
    domains = {person.domain for person in facts.people}
    if allow.domains and domains and all(allow.domain(d) for d in domains):
        return f"every email domain ({', '.join(sorted(domains))}) is on allow.domains " + (
            f"({allow.where['domains']})"
        )
    return ""


def _denials(result: Judged, pol: Policy) -> list[Decision]:
    deny, out = pol.deny, []
    for p in result.packages:
        facts = result.facts.get(PackageRef(p.ecosystem, p.name))
        hits: list[tuple[str, list[str]]] = []
        entry = deny.package(p.ecosystem, p.name, p.version, deny=True)
        if entry:
            hits.append(("packages", [entry]))
        if facts is not None:
            accounts = sorted({a.user for a in facts.owners if a.user.casefold() in deny.accounts})
            if accounts:
                hits.append(("accounts", accounts))
            org = facts.organization
            if org and org.casefold() in deny.organizations:
                hits.append(("organizations", [org]))
            emails = sorted({x.email for x in facts.people if deny.domain(x.domain)})
            if emails:
                hits.append(("domains", emails))
        for which, matched in hits:
            what = {
                "packages": "the package",
                "accounts": "owner",
                "organizations": "organisation",
                "domains": "email",
            }[which]
            message = (
                f"{p.name} is denied by the policy: {what} {', '.join(matched)} on deny.{which}."
            )
            finding = Finding(
                DENY_ID,
                Severity.HIGH,
                p.name,
                p.version,
                message,
                {"list": f"deny.{which}", "matched": matched},
                p.ecosystem,
            )
            rule = f"deny.{which} ({deny.where[which]})"
            out.append(Decision(finding, Action.BLOCK, rule))
    return out


# --- where keys are written ------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*'"
_DOTTED = rf"(?:{_BARE})(?:\s*\.\s*(?:{_BARE}))*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*({_DOTTED})\s*=(?!=)")
_PART = re.compile(_BARE)


class _Lines:
    """The line of each key and table in a TOML text, as a path of keys (array-of-tables
    entries by index). Enough for error messages; the parser is the authority on values."""

    def __init__(self, text: str) -> None:
        self.at: dict[tuple[str | int, ...], int] = {}
        counts: dict[tuple[str | int, ...], int] = {}
        table: tuple[str | int, ...] = ()
        multiline: str | None = None
        for n, line in enumerate(text.splitlines(), 1):
            if multiline:
                if line.count(multiline) % 2:
                    multiline = None
                continue
            m = _HEADER.match(line)
            if m:
                path: tuple[str | int, ...] = _split(m.group(2))
                if m.group(1) == "[[":
                    counts[path] = counts.get(path, -1) + 1
                    path = (*path, counts[path])
                table = path
                self.at.setdefault(table, n)
                continue
            m = _ASSIGN.match(line)
            if m:
                self.at.setdefault((*table, *_split(m.group(1))), n)
                rest = line[m.end() :]
                multiline = next((q for q in ('"""', "'''") if rest.count(q) % 2), None)

    def line(self, path: tuple[str | int, ...]) -> int | None:
        """The line of `path`, else of its closest enclosing key or table."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.at:
                return self.at[path[:end]]
        return None


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip("\"'") for p in _PART.findall(dotted))


def _kind(value: object) -> str:
    names = {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), f"a {type(value).__name__}")


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else _kind(value)
