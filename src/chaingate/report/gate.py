"""What `chaingate check` prints: for every blocked finding one screen that says what was
found, why it matters, the evidence, which rule of the policy blocked it, and how to fix it
or except it with a reason. The other formats carry the same decisions."""

from __future__ import annotations

import io
import json
from typing import Any

from msgspec.structs import replace
from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from chaingate.core.findings import Finding
from chaingate.engine.result import ScanResult
from chaingate.policy.interface import Action, Decision

SCHEMA = "chaingate/check/v1"

# How to fix, per signal id; the exception snippet is always offered as the alternative.
_FIX = {
    "typosquat": "Check the spelling in your manifest; replace it with the package you meant.",
    "not-on-registry": "Register the name on the public index as a placeholder, or install "
    "it from a pinned URL with a hash.",
    "new-release": "Pin the previous release until this one is older than the cooldown.",
    "new-package": "Confirm this is the project you meant before depending on it.",
    "yanked-version": "Move to a release that is not yanked.",
    "known-vulnerability": "Upgrade to a fixed version.",
    "dormant-then-release": "Pin the last release before the dormancy, and compare the new "
    "ones with the source repository.",
    "release-burst": "Pin a release from before the burst and compare the new ones with the "
    "source repository.",
    "ownership-change": "Confirm the new account with the project (its issue tracker, "
    "changelog) before upgrading.",
    "email-domain-unregistered": "Ask the maintainer to change the address; until then pin "
    "and review this package.",
    "email-domain-expired": "Ask the maintainer to renew or change the address; pin and "
    "review this package.",
    "email-domain-reregistered": "Confirm with the maintainer that they still own the "
    "domain; pin the last release from before the registration.",
    "unpinned-source": "Pin the dependency to a commit hash or a URL with a sha256 hash.",
    "policy-deny": "Remove the dependency, or change the deny list in the policy.",
}


def exception_snippet(f: Finding) -> str:
    lines = ["[[tool.chaingate.ignore]]", f'id = "{f.id}"']
    if f.package:
        lines.append(f'package = "{f.package}"')
    lines.append('reason = "why this is acceptable"')
    lines.append('expires = "YYYY-MM-DD"  # optional')
    return "\n".join(lines)


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    out = []
    for key, value in evidence.items():
        if isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value[:8]) + (" ..." if len(value) > 8 else "")
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False, default=str)
        else:
            shown = str(value)
        out.append(f"{key}: {' '.join(shown.split())}"[:160])
    return out[:10]


def render_text(result: ScanResult, decisions: list[Decision], width: int = 100) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None)
    print_gate(console, result, decisions)
    return buf.getvalue()


def print_gate(console: Console, result: ScanResult, decisions: list[Decision]) -> None:
    blocks = [d for d in decisions if d.action is Action.BLOCK]
    warns = [d for d in decisions if d.action is Action.WARN]
    console.print(
        Text(
            f"chaingate check: {len(result.packages)} packages, {len(blocks)} blocked, "
            f"{len(warns)} warning(s), {len(result.incomplete)} incomplete",
            style="bold",
        )
    )
    for check_name, check in sorted(result.checks.items()):
        if check.status != "ok":
            console.print(Text(f"unavailable: {check_name} ({check.reason})", style="yellow"))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    for d in blocks:
        f = d.finding
        where = f"{f.package}=={f.version}" if f.package and f.version else f.package or "project"
        console.print()
        console.print(
            Text.assemble(
                ("BLOCKED ", "bold red"), (f.id, "bold"), f"  {where}  ({f.severity.label})"
            )
        )
        console.print(Padding(Text(f.message), (0, 0, 0, 2)))
        evidence = _evidence_lines(f.evidence)
        if evidence:
            console.print(Padding(Text("evidence:", style="dim"), (0, 0, 0, 2)))
            for line in evidence:
                console.print(Padding(Text(line, style="dim"), (0, 0, 0, 4)))
        console.print(Padding(Text(f"blocked by: {d.rule}"), (0, 0, 0, 2)))
        fix = _FIX.get(f.id)
        if fix:
            console.print(Padding(Text(f"fix: {fix}"), (0, 0, 0, 2)))
        console.print(
            Padding(Text("or except it, with a reason, in pyproject.toml:"), (0, 0, 0, 2))
        )
        console.print(Padding(Text(exception_snippet(f), style="dim"), (0, 0, 0, 4)))
    if warns:
        console.print()
        console.print(Text(f"warnings ({len(warns)}):", style="yellow"))
        for d in warns:
            f = d.finding
            where = (
                f"{f.package}=={f.version}" if f.package and f.version else f.package or "project"
            )
            console.print(Padding(Text(f"{f.id}  {where}: {f.message}"[:200]), (0, 0, 0, 2)))
    if result.incomplete:
        console.print()
        console.print(Text("incomplete (not analysed, not clean):", style="yellow"))
        for i in result.incomplete:
            console.print(Padding(Text(f"{i.package}: {i.reason}"[:200]), (0, 0, 0, 2)))
    console.print()
    console.print(
        Text(
            "result: BLOCKED" if blocks else "result: passed",
            style="bold red" if blocks else "bold green",
        )
    )


def as_document(result: ScanResult, decisions: list[Decision]) -> dict[str, object]:
    from chaingate.report.json import as_document as scan_document
    from chaingate.report.json import finding_json

    def one(d: Decision) -> dict[str, object]:
        return {
            "action": d.action.value,
            "rule": d.rule,
            **finding_json(d.finding),
            "exception": None
            if d.exception is None
            else {"reason": d.exception.reason, "expires": str(d.exception.expires or "") or None},
        }

    return {
        "schema": SCHEMA,
        "passed": not any(d.action is Action.BLOCK for d in decisions),
        "blocked": [one(d) for d in decisions if d.action is Action.BLOCK],
        "warned": [one(d) for d in decisions if d.action is Action.WARN],
        "ignored": [one(d) for d in decisions if d.action is Action.IGNORE],
        "scan": scan_document(result),
    }


def gated_result(result: ScanResult, decisions: list[Decision]) -> ScanResult:
    """The scan result with only the findings the gate acts on (block, warn): what SARIF and
    Markdown show for `check`."""
    kept = tuple(d.finding for d in decisions if d.action is not Action.IGNORE)
    return replace(result, findings=kept)
