"""`chaingate inspect` output: text for a person, JSON (`chaingate/inspect/v1`), SARIF 2.1.0.

SARIF locations are paths inside the package (an sdist's top directory included), relative
to the `PACKAGE` base id, whose URI is the archive or directory inspected: a viewer shows the
file and line even though they live in an archive, not in the repository being scanned.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from chaingate.analysis.interface import FINDING_IDS, CodeFinding
from chaingate.analysis.run import InspectOutcome, Side
from chaingate.core.findings import Severity
from chaingate.report.json import pretty_json
from chaingate.report.sarif import LEVELS, SARIF_SCHEMA, SECURITY_SEVERITY, tool
from chaingate.report.sarif import rule_name as _rule_name

SCHEMA = "chaingate/inspect/v1"
DOCS = "https://github.com/chaingate/chaingate/blob/main/docs/artifacts.md#"


def _label(severity: Severity | None) -> str:
    return severity.label if severity is not None else "none"


def _side(side: Side) -> dict[str, Any]:
    out: dict[str, Any] = {
        "target": side.label,
        "verdict": _label(side.inspection.verdict),
        "files": side.inspection.files,
        "bytes": side.inspection.bytes_read,
    }
    if side.artifact is not None:
        a = side.artifact
        out["artifact"] = {
            "name": a.pin.name,
            "version": a.pin.version,
            "filename": a.filename,
            "kind": a.kind,
            "url": a.url,
            "sha256": a.sha256,
            "verified": True,
        }
    return out


def _finding(f: CodeFinding) -> dict[str, Any]:
    return {
        "id": f.id,
        "severity": f.severity.label,
        "path": f.path,
        "line": f.line,
        "message": f.message,
        "excerpt": f.excerpt,
    }


def as_json(outcome: InspectOutcome) -> dict[str, Any]:
    doc: dict[str, Any] = {"schema": SCHEMA, **_side(outcome.side)}
    doc["verdict"] = _label(outcome.verdict)
    findings = [_finding(f) for f in outcome.findings]
    if outcome.against is not None and outcome.comparison is not None:
        doc["against"] = {**_side(outcome.against), "patch_release": outcome.comparison.patch}
        for i, f in enumerate(findings):
            f["new"] = i in outcome.new
    if outcome.note:
        doc["note"] = outcome.note
    doc["findings"] = findings
    return doc


def render_json(outcome: InspectOutcome) -> str:
    return pretty_json(as_json(outcome))


def render_text(outcome: InspectOutcome) -> str:
    ins = outcome.side.inspection
    head = (
        f"{outcome.side.label}: verdict {_label(outcome.verdict)} ({ins.files} files, "
        f"{ins.bytes_read / 1e6:.1f} MB uncompressed, nothing executed)"
    )
    lines = [head]
    if outcome.side.artifact is not None:
        a = outcome.side.artifact
        lines.append(f"  {a.filename}  sha256 {a.sha256[:16]}... verified against the index")
    if outcome.against is not None and outcome.comparison is not None:
        kind = "a patch release" if outcome.comparison.patch else "a release"
        new = len(outcome.new)
        lines.append(
            f"  compared with {outcome.against.label} "
            f"(verdict on its own {_label(outcome.against.inspection.verdict)}): {kind}; "
            f"{new} finding{'s' if new != 1 else ''} new in this release"
        )
    if outcome.note:
        lines.append(f"  {outcome.note}")
    for i, f in enumerate(outcome.findings):
        where = f"{f.path}:{f.line}" if f.line else f.path
        tag = "  NEW" if i in outcome.new else ""
        lines.append(f"  {f.severity.label.upper():8} {f.id}  {where}{tag}")
        lines.append(f"           {f.message}")
        if f.excerpt:
            lines.append(f"           > {f.excerpt}")
    return "\n".join(lines)


def _uri(path: Path) -> str:
    return path.resolve().as_uri() + ("/" if path.is_dir() else "")


def as_sarif(outcome: InspectOutcome) -> dict[str, Any]:
    rule_ids = sorted({f.id for f in outcome.findings})
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        worst = max(f.severity for f in outcome.findings if f.id == rule_id)
        summary = FINDING_IDS.get(rule_id, rule_id.replace("-", " ").capitalize())
        rules.append(
            {
                "id": rule_id,
                "name": _rule_name(rule_id),
                "shortDescription": {"text": summary},
                "helpUri": DOCS + rule_id,
                "defaultConfiguration": {"level": LEVELS[worst]},
                "properties": {
                    "security-severity": SECURITY_SEVERITY[worst],
                    "tags": ["security", "supply-chain", "malicious-code"],
                },
            }
        )
    results = []
    for i, f in enumerate(outcome.findings):
        physical: dict[str, Any] = {"artifactLocation": {"uri": f.path, "uriBaseId": "PACKAGE"}}
        if f.line:
            physical["region"] = {"startLine": f.line}
            if f.excerpt:
                physical["region"]["snippet"] = {"text": f.excerpt}
        key = "\0".join((f.id, f.path, " ".join(f.excerpt.split())))
        result: dict[str, Any] = {
            "ruleId": f.id,
            "ruleIndex": index[f.id],
            "level": LEVELS[f.severity],
            "message": {"text": f"{outcome.side.label}: {f.message}"},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {
                "chaingate/inspect/v1": hashlib.sha256(key.encode()).hexdigest()
            },
            "properties": {"severity": f.severity.label},
        }
        if outcome.comparison is not None:
            result["properties"]["new"] = i in outcome.new
        results.append(result)
    run: dict[str, Any] = {
        "tool": tool(rules),
        "originalUriBaseIds": {"PACKAGE": {"uri": _uri(outcome.side.path)}},
        "results": results,
        "properties": {"verdict": _label(outcome.verdict), "target": outcome.side.label},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(outcome: InspectOutcome) -> str:
    return pretty_json(as_sarif(outcome))
