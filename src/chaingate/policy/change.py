"""A pull request cannot relax its own gate (`chaingate diff --base REF`).

The policy lives in the repository (`[tool.chaingate]`, a chaingate.toml, a `--policy` file
in the repository), so the change under review could edit it: an ignore of every id, high
findings no longer blocking, an allow-list entry. A diff is therefore judged with the
*base* revision's policy, and a change to the effective policy is itself a finding,
`policy-change` (high: it blocks unless the base's own policy says otherwise), that shows
the reviewer what changed. A `--policy` file outside the repository belongs to the
workflow, not to the change: it judges both sides as it is. docs/ci.md says so.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

from msgspec.structs import fields

from chaingate.core.findings import Finding, Severity
from chaingate.inventory.gitbase import BaseFile, files_at, is_file_base
from chaingate.policy.interface import PolicyError
from chaingate.policy.policy import (
    Lists,
    Policy,
    file_policy,
    load_policy,
    project_policy,
)
from chaingate.signals.gate import POLICY_CHANGE

_SHOWN = 8  # changes named in the message; the evidence has them all


def judged_with(base: str, project: Path, explicit: Path | None) -> tuple[Policy, Finding | None]:
    """The policy `diff --base base` of `project` is judged with, and the `policy-change`
    finding when the change edits it (None when it does not). `explicit` is `--policy`.

    With a git ref, the base revision's policy: its pyproject.toml / chaingate.toml beside
    the project, or the `--policy` file as the base has it (when the base has no policy,
    the default one). With an older file as the base (no revision), the head's policy."""
    head = load_policy(project, explicit)
    if is_file_base(base):
        return head, None
    if explicit is not None:
        (file,) = files_at(base, project, [explicit])
        text = _text(file)
        old = Policy() if text is None else file_policy(text, explicit.name == "pyproject.toml")
    else:
        folder = project if project.is_dir() else project.parent
        pyproject, standalone = files_at(
            base, project, [folder / "pyproject.toml", folder / "chaingate.toml"]
        )
        old = project_policy(_text(pyproject), _text(standalone))
    return old, policy_change(old, head, base)


def _text(file: BaseFile) -> tuple[str, str] | None:
    if file.text is None:
        return None
    try:
        return file.name, file.text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(file.name, None, f"cannot read: {exc}") from None


def policy_change(base: Policy, head: Policy, label: str) -> Finding | None:
    """The `policy-change` finding for a change from `base` to `head` (the base named
    `label`), or None when the two do the same. Only what the gate does counts: comments,
    order, line numbers and the wording of reasons do not."""
    old, new = settings(base), settings(head)
    changes = [
        f"{key}: {old.get(key, 'unset')} -> {new.get(key, 'unset')}"
        for key in sorted(old.keys() | new.keys(), key=_order)
        if old.get(key) != new.get(key)
    ]
    old_members, new_members = members(base), members(head)
    for key in sorted(old_members.keys() | new_members.keys(), key=_order):
        was, now = old_members.get(key, []), new_members.get(key, [])
        changes += [f"{key}: - {m}" for m in was if m not in now]
        changes += [f"{key}: + {m}" for m in now if m not in was]
    if not changes:
        return None
    before = base.source or f"{label} (none: the default policy)"
    after = head.source or "none (the default policy)"
    shown = "; ".join(changes[:_SHOWN]) + ("; ..." if len(changes) > _SHOWN else "")
    message = (
        f"This change edits the policy that judges it ({before} -> {after}): {shown}. "
        f"The change is judged with the policy of {label}; its own applies once merged. "
        "Review the policy change; the base's policy can lower policy-change to warn."
    )
    diff = difflib.unified_diff(lines(base), lines(head), before, after, lineterm="")
    evidence = {
        "base": base.source,
        "head": head.source,
        "changes": changes,
        "diff": "\n".join(diff),
    }
    return Finding(POLICY_CHANGE, Severity.HIGH, None, None, message, evidence)


_SECTIONS = (
    "severity", "actions", "thresholds", "allow", "deny", "rules", "ignore", "resolve", "gate",
    "sources", "scopes",
)  # fmt: skip


def _order(key: str) -> tuple[int, str]:
    top = key.split(".", 1)[0].split("[", 1)[0]
    return (_SECTIONS.index(top) if top in _SECTIONS else len(_SECTIONS), key)


def settings(pol: Policy) -> dict[str, str]:
    """The policy's single-valued settings, each as `key -> value` in its TOML spelling."""
    out = {f"severity.{s.label}": pol.severity[s].value for s in sorted(Severity, reverse=True)}
    out |= {f"actions.{sid}": action.value for sid, action in pol.actions.items()}
    out |= {
        f"thresholds.{f.name}": json.dumps(getattr(pol.thresholds, f.name))
        for f in fields(pol.thresholds)
    }
    out["resolve.build"] = json.dumps(pol.build)
    out["gate.allow_incomplete"] = json.dumps(pol.allow_incomplete)
    out["gate.min_release_age"] = json.dumps(pol.cooldown.min_release_age)
    out["gate.fail_closed"] = json.dumps(pol.cooldown.fail_closed)
    out |= {f"sources.{json.dumps(name)}": json.dumps(url) for name, url in pol.sources.items()}
    out |= {f"scopes.{json.dumps(scope)}": action.value for scope, action in pol.scopes.items()}
    return out


def members(pol: Policy) -> dict[str, list[str]]:
    """The policy's collections: allow and deny lists, rules (in order: the first that
    holds decides) and exceptions (without their reasons, which decide nothing)."""
    out: dict[str, list[str]] = {}
    for which, lists in (("allow", pol.allow), ("deny", pol.deny)):
        for key, items in _list_items(lists).items():
            if items:
                out[f"{which}.{key}"] = items
    out["gate.min_release_age_exclude"] = sorted({json.dumps(str(k)) for k in pol.cooldown.exclude})
    out["rules"] = [
        f"[{i}] {json.dumps(r.name)}: {r.action.value} when {json.dumps(r.expr)}"
        for i, r in enumerate(pol.rules)
    ]
    exceptions = []
    for e in pol.ignores:
        text = f"id={json.dumps(e.id)}"
        text += f" package={json.dumps(e.package)}" if e.package is not None else ""
        text += f" version={json.dumps(e.version)}" if e.version is not None else ""
        text += f" expires={e.expires.isoformat()}" if e.expires is not None else ""
        exceptions.append(text)
    out["ignore"] = sorted(set(exceptions))
    return {k: v for k, v in out.items() if v}


def _list_items(lists: Lists) -> dict[str, list[str]]:
    return {
        "packages": sorted({json.dumps(e.text) for e in lists.packages}),
        "accounts": sorted(json.dumps(a) for a in lists.accounts),
        "organizations": sorted(json.dumps(o) for o in lists.organizations),
        "domains": sorted({json.dumps(d) for d in lists.domains}),
    }


def lines(pol: Policy) -> list[str]:
    """The effective policy, normalised: one line per setting and per member, in a fixed
    order (what `evidence.diff` compares)."""
    out = [f"{k} = {v}" for k, v in sorted(settings(pol).items(), key=lambda kv: _order(kv[0]))]
    for key, items in sorted(members(pol).items(), key=lambda kv: _order(kv[0])):
        out += [f"{key} += {m}" for m in items]
    return out


__all__ = ["judged_with", "lines", "members", "policy_change", "settings"]
