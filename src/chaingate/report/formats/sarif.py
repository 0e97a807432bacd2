"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers: `scan`, `check` (the
findings the gate acts on), `diff` (the new findings only, so an upload from a pull request
carries the new alerts only) and `inspect`.

Rules take their text and default level from the signal registry. A finding is placed where
the user can act on it: the manifest line that declares the package, or, for a transitive
package, the line of the direct dependency that pulls it in. Project-level findings point at
the first manifest. Findings silenced by an exception stay in the log as suppressed results
carrying the exception's reason. Packages that could not be analysed and checks that could
not run are tool notifications, so a clean-looking upload is never mistaken for a complete
one. A result about a package names it in `properties.ref` (`pypi:requests==2.32.3`).

`inspect` locations are paths inside the package (an sdist's top directory included),
relative to the `PACKAGE` base id, whose URI is the archive or directory inspected: a viewer
shows the file and line even though they live in an archive, not in the repository scanned.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from chaingate import __version__
from chaingate.analysis.interface import FINDING_IDS
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Location, Package
from chaingate.engine.result import ScanResult
from chaingate.policy.ignore import Ignore
from chaingate.report.documents import (
    CheckDocument,
    DiffDocument,
    InspectDocument,
    ScanDocument,
    verdict_label,
)
from chaingate.report.formats.json import pretty_json
from chaingate.report.summary import (
    Refs,
    find_package,
    iso_utc,
    package_key,
    sorted_findings,
    sorted_ignored,
    sorted_incomplete,
)
from chaingate.signals.catalog import SIGNALS, SignalInfo, load_all

if TYPE_CHECKING:
    from chaingate.analysis.run import InspectOutcome

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://github.com/chaingate/chaingate"
SIGNAL_DOCS: Final = "https://github.com/chaingate/chaingate/blob/main/docs/signals.md#"
CODE_DOCS: Final = "https://github.com/chaingate/chaingate/blob/main/docs/artifacts.md#"
SRCROOT: Final = "%SRCROOT%"
FINGERPRINT: Final = "chaingate/v1"

LEVELS: Final = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity onto its own critical/high/medium/low bands.
SECURITY_SEVERITY: Final = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def render_scan(document: ScanDocument) -> str:
    """One SARIF log with one run; one rule per finding id present."""
    return pretty_json(as_sarif(document.result)) + "\n"


def render_check(document: CheckDocument) -> str:
    return pretty_json(as_sarif(document.gated())) + "\n"


def render_diff(document: DiffDocument) -> str:
    return pretty_json(as_sarif(document.view())) + "\n"


def as_sarif(result: ScanResult) -> dict[str, Any]:
    """The SARIF log of a scan result as plain Python values."""
    refs = Refs(result)
    findings = sorted_findings(result)
    ignored = sorted_ignored(result)
    everything = findings + [i.finding for i in ignored]
    rule_ids = sorted({f.id for f in everything})
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    results = [_result(f, rule_index[f.id], result, refs) for f in findings]
    for item in ignored:
        out = _result(item.finding, rule_index[item.finding.id], result, refs)
        out["suppressions"] = [_suppression(item.by, result)]
        results.append(out)
    run: dict[str, Any] = {
        "tool": tool([_rule(rule_id, everything) for rule_id in rule_ids]),
        "invocations": [_invocation(result, refs)],
        "results": results,
    }
    root_uri = _root_uri(result.inventory.root)
    if root_uri is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root_uri}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def tool(rules: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's `tool`: chaingate with these rules."""
    driver = {"name": "chaingate", "version": __version__, "informationUri": INFORMATION_URI}
    return {"driver": {**driver, "rules": rules}}


def rule_name(rule_id: str) -> str:
    """`owner-email-expired` -> `OwnerEmailExpired`."""
    return "".join(part[:1].upper() + part[1:] for part in rule_id.replace("_", "-").split("-"))


def fingerprint(finding: Finding) -> str:
    """Stable across runs: the same id, package and version give the same alert."""
    text = "\0".join((finding.id, finding.package or "", finding.version or ""))
    return hashlib.sha256(text.encode()).hexdigest()


def _rule(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    info = signal_info(rule_id)
    # GitHub ranks an alert by its rule's security-severity, so that is the worst severity
    # seen in this run (a combination can raise a finding above its signal's default).
    worst = max(f.severity for f in findings if f.id == rule_id)
    default = info.severity if info else worst
    summary = info.summary if info else rule_id.replace("-", " ").capitalize()
    help_uri = SIGNAL_DOCS + rule_id
    return {
        "id": rule_id,
        "name": rule_name(rule_id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{summary}. What it means and what to do: {help_uri}"},
        "helpUri": help_uri,
        "defaultConfiguration": {"level": LEVELS[default]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[worst],
            "tags": ["security", "supply-chain"],
        },
    }


def signal_info(rule_id: str) -> SignalInfo | None:
    """What the signal registry says about `rule_id` (None for an id it does not know)."""
    load_all()
    return SIGNALS.get(rule_id)


def _suppression(by: Ignore, result: ScanResult) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "external", "status": "accepted"}
    expires = f" (until {by.expires.isoformat()})" if by.expires else ""
    out["justification"] = by.reason + expires
    if by.file:
        physical: dict[str, Any] = {"artifactLocation": _artifact(by.file, result.inventory.root)}
        if by.line:
            physical["region"] = {"startLine": by.line}
        out["location"] = {"physicalLocation": physical}
    return out


def _result(finding: Finding, index: int, result: ScanResult, refs: Refs) -> dict[str, Any]:
    ref = refs.of(finding)
    ecosystem = ref.ecosystem if ref else None
    pkg = find_package(result, finding.package, finding.version, ecosystem)
    out: dict[str, Any] = {
        "ruleId": finding.id,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding, pkg)},
    }
    location = _location(pkg, result)
    if location is not None:
        out["locations"] = [location]
    out["partialFingerprints"] = {FINGERPRINT: fingerprint(finding)}
    out["properties"] = {"evidence": finding.evidence}
    if ref is not None:
        out["properties"]["ref"] = str(ref)
    return out


def _message(finding: Finding, pkg: Package | None) -> str:
    # The location may be another package's line, so the message names the package.
    if finding.package is None:
        return finding.message
    via = ""
    if pkg is not None and not pkg.direct and pkg.paths:
        via = f" (via {pkg.paths[0][0]})"
    return f"{package_key(finding.package, finding.version)}{via}: {finding.message}"


def _location(pkg: Package | None, result: ScanResult) -> dict[str, Any] | None:
    where = _declared_at(pkg, result)
    if where is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": _artifact(where.file, result.inventory.root)}
    if where.line is not None and where.line >= 1:
        physical["region"] = {"startLine": where.line}
    return {"physicalLocation": physical}


def _declared_at(pkg: Package | None, result: ScanResult) -> Location | None:
    """The manifest line of `pkg`, of the direct dependency that pulls it in, or else the
    first manifest."""
    if pkg is not None:
        if not pkg.direct and pkg.paths:
            direct = find_package(result, pkg.paths[0][0], None, pkg.ecosystem)
            if direct is not None and direct.locations:
                return direct.locations[0]
        if pkg.locations:
            return pkg.locations[0]
    if result.inventory.manifests:
        return Location(result.inventory.manifests[0])
    return None


def _artifact(file: str, root: str) -> dict[str, str]:
    """A URI relative to %SRCROOT% where the file lies below the root, else a file: URI."""
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(file)
        if path.is_absolute():
            try:
                relative = path.relative_to(flavour(root))
            except ValueError:
                return {"uri": path.as_uri()}
            return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}
    return {"uri": quote(file.replace("\\", "/")), "uriBaseId": SRCROOT}


def _root_uri(root: str) -> str | None:
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(root)
        if path.is_absolute():
            return path.as_uri().rstrip("/") + "/"
    return None


def _invocation(result: ScanResult, refs: Refs) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    for name, check in sorted(result.checks.items()):
        if check.status != "ok":
            notes.append(
                {
                    "level": "warning",
                    "message": {
                        "text": f"check {name}: {check.reason}"
                        if check.status == "as-of-now"  # the reason says "as of now, not as of"
                        else f"check {name} unavailable: {check.reason}"
                    },
                    "properties": {"check": name},
                }
            )
    for note in result.notes:
        notes.append({"level": "note", "message": {"text": note}})
    for item in sorted_incomplete(result):
        key = package_key(item.package, item.version)
        properties: dict[str, Any] = {"package": item.package, "version": item.version}
        ref = refs.of(item)
        if ref is not None:
            properties["ref"] = str(ref)
        notes.append(
            {
                "level": "warning",
                "message": {"text": f"{key} not analysed: {item.reason}"},
                "properties": properties,
            }
        )
    out: dict[str, Any] = {
        "executionSuccessful": True,
        "startTimeUtc": iso_utc(result.started_at),
        "endTimeUtc": iso_utc(result.finished_at),
    }
    if notes:
        out["toolExecutionNotifications"] = notes
    return out


# --- inspect ---------------------------------------------------------------------------------


def _uri(path: Path) -> str:
    return path.resolve().as_uri() + ("/" if path.is_dir() else "")


def render_inspect(document: InspectDocument) -> str:
    return pretty_json(inspect_sarif(document.outcome))


def inspect_sarif(outcome: InspectOutcome) -> dict[str, Any]:
    """The SARIF log of an inspection as plain Python values."""
    rule_ids = sorted({f.id for f in outcome.findings})
    index = {r: i for i, r in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        worst = max(f.severity for f in outcome.findings if f.id == rule_id)
        summary = FINDING_IDS.get(rule_id, rule_id.replace("-", " ").capitalize())
        rules.append(
            {
                "id": rule_id,
                "name": rule_name(rule_id),
                "shortDescription": {"text": summary},
                "helpUri": CODE_DOCS + rule_id,
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
        "properties": {"verdict": verdict_label(outcome.verdict), "target": outcome.side.label},
    }
    if outcome.incomplete:  # what was beyond the analyser's bounds: not analysed, not clean
        notes = [
            {"level": "warning", "message": {"text": f"not analysed: {why}"}}
            for why in outcome.incomplete
        ]
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notes}]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
