"""JSON for scripts and dashboards: one document per command, each named by its `schema`.

`chaingate/scan/v1` is documented field by field in docs/json-schema.md, and its JSON Schema
ships as `chaingate/report/scan-v1.schema.json`. `chaingate/check/v1` is the scan document
with the policy's decisions; `chaingate/diff/v1` what a change introduces (its packages,
findings and incomplete entries have the scan document's shapes); `chaingate/domains/v1`
and `chaingate/inspect/v1` are the documents of those commands. Every package, finding and
incomplete entry names its `ecosystem` and its `ref` (`pypi:requests==2.32.3`). Field order
and list order are fixed, so two runs over the same tree give the same text apart from times.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from chaingate import __version__
from chaingate.core.facts import ProjectFacts
from chaingate.core.findings import Finding
from chaingate.core.inventory import Package
from chaingate.core.status import Incomplete
from chaingate.engine.result import ScanResult
from chaingate.facts.intel.interface import DISAGREEMENTS, dns_json, rdap_json
from chaingate.policy.interface import Action, Decision
from chaingate.report.documents import (
    CheckDocument,
    DiffDocument,
    DomainsDocument,
    InspectDocument,
    ScanDocument,
    domain_time,
    verdict_label,
)
from chaingate.report.summary import (
    Refs,
    Summary,
    iso_utc,
    sorted_findings,
    sorted_ignored,
    sorted_incomplete,
)

if TYPE_CHECKING:
    from chaingate.analysis.run import Side

SCAN_SCHEMA: Final = "chaingate/scan/v1"
SCHEMA_FILE: Final = "scan-v1.schema.json"
CHECK_SCHEMA: Final = "chaingate/check/v1"
DIFF_SCHEMA: Final = "chaingate/diff/v1"
DOMAINS_SCHEMA: Final = "chaingate/domains/v1"
INSPECT_SCHEMA: Final = "chaingate/inspect/v1"


def pretty_json(document: object) -> str:
    """`document` as JSON indented by two, non-ASCII kept, `jsonable` for anything else.

    The same text `json.dumps(indent=2)` writes, made by the C encoder (which `json` uses
    only without `indent`) and reindented by msgspec: 5x faster on a 150-package report."""
    import msgspec

    compact = json.dumps(document, ensure_ascii=False, default=jsonable)
    return msgspec.json.format(compact, indent=2)


def jsonable(value: object) -> Any:
    """`json.dumps(default=...)` for evidence: a stray datetime or set must not crash a report."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every `chaingate/scan/v1` document conforms to."""
    from importlib.resources import files  # (25 ms to import; a scan does not need it)

    text = files("chaingate.report").joinpath(SCHEMA_FILE).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


# --- scan ----------------------------------------------------------------------------------


def render_scan(document: ScanDocument) -> str:
    return pretty_json(scan_document(document.result)) + "\n"


def scan_document(result: ScanResult) -> dict[str, Any]:
    """The `chaingate/scan/v1` document as plain Python values."""
    summary = Summary.of(result)
    refs = Refs(result)
    inventory = result.inventory
    packages = sorted(result.packages, key=lambda p: (p.name, p.version or ""))
    domains = sorted(result.email_domains().items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return {
        "schema": SCAN_SCHEMA,
        "tool": {"name": "chaingate", "version": __version__},
        "scanned_at": iso_utc(result.finished_at),
        "as_of": iso_utc(result.as_of) if result.as_of else None,
        "root": inventory.root,
        "index_url": result.index_url,
        "resolved_with": inventory.resolved_with,
        "manifests": list(inventory.manifests),
        "scope_notes": list(inventory.scope_notes),
        "summary": {
            "packages": summary.packages,
            "direct": summary.direct,
            "transitive": summary.transitive,
            "maintainers": summary.maintainers,
            "organizations": summary.organizations,
            "email_domains": summary.email_domains,
            "findings_by_severity": {
                sev.label: n for sev, n in summary.findings_by_severity.items()
            },
            "incomplete": summary.incomplete,
            "ignored": summary.ignored,
            "scopes": {
                c.scope: {
                    "packages": c.packages,
                    "direct": c.direct,
                    "maintainers": c.maintainers,
                    "organizations": c.organizations,
                    "email_domains": c.email_domains,
                }
                for c in result.scope_counts()
            },
        },
        "packages": [_package(p, result.facts_of(p)) for p in packages],
        "maintainers": [
            {"account": m.account, "roles": list(m.roles), "packages": list(m.packages)}
            for m in result.maintainers()
        ],
        "organizations": [
            {
                "name": o.name,
                "packages": list(o.packages),
                "roles": [
                    {"account": r.account, "role": r.role, "packages": list(r.packages)}
                    for r in o.roles
                ],
            }
            for o in result.organizations()
        ],
        "email_domains": [
            {"domain": domain, "packages": sorted(names)} for domain, names in domains
        ],
        "findings": [finding_json(f, refs) for f in sorted_findings(result)],
        "ignored": [
            {
                "finding": finding_json(i.finding, refs),
                "reason": i.by.reason,
                "expires": i.by.expires.isoformat() if i.by.expires else None,
                "file": i.by.file,
                "line": i.by.line,
            }
            for i in sorted_ignored(result)
        ],
        "incomplete": [_incomplete(i, refs) for i in sorted_incomplete(result)],
        "checks": {
            name: {"status": check.status, "reason": check.reason}
            for name, check in sorted(result.checks.items())
        },
        "notes": list(result.notes),
    }


def finding_json(f: Finding, refs: Refs) -> dict[str, Any]:
    """A finding as every JSON document shows it; `ref` is null for a project-level one."""
    ref = refs.of(f)
    return {
        "id": f.id,
        "severity": f.severity.label,
        "ecosystem": ref.ecosystem if ref else f.ecosystem,
        "package": f.package,
        "version": f.version,
        "ref": str(ref) if ref else None,
        "message": f.message,
        "evidence": f.evidence,
        "scopes": list(scopes) if (scopes := refs.scopes(f)) is not None else None,
    }


def _incomplete(item: Incomplete, refs: Refs) -> dict[str, Any]:
    ref = refs.of(item)
    return {
        "ecosystem": ref.ecosystem if ref else item.ecosystem,
        "package": item.package,
        "version": item.version,
        "ref": str(ref) if ref else None,
        "reason": item.reason,
    }


def _package(pkg: Package, facts: ProjectFacts | None) -> dict[str, Any]:
    # Without facts the registry-derived fields are null ("unknown"), never empty lists
    # ("known to be none"); the package is then listed under `incomplete` too.
    out: dict[str, Any] = {
        "ecosystem": pkg.ecosystem,
        "name": pkg.name,
        "version": pkg.version,
        "ref": str(pkg.ref),
        "direct": pkg.direct,
        "paths": [list(path) for path in pkg.paths],
        "origin": pkg.origin.value,
        "url": pkg.url,
        "declared_in": [{"file": loc.file, "line": loc.line} for loc in pkg.locations],
        "scopes": list(pkg.scopes),
        "owners": None,
        "organization": None,
        "emails": None,
        "repository": None,
        "latest_version": None,
        "release_date": None,
        "first_release_date": None,
    }
    if facts is None:
        return out
    release = facts.release(pkg.version)
    first = min((r.uploaded_at for r in facts.releases if r.uploaded_at), default=None)
    out.update(
        owners=[{"account": a.user, "role": a.role} for a in facts.owners],
        organization=facts.organization,
        emails=sorted({p.email for p in facts.people}),
        repository=facts.repository,
        latest_version=facts.latest_version,
        release_date=iso_utc(release.uploaded_at) if release else None,
        first_release_date=iso_utc(first),
    )
    return out


# --- check ---------------------------------------------------------------------------------


def render_check(document: CheckDocument) -> str:
    return pretty_json(check_document(document))


def check_document(document: CheckDocument) -> dict[str, Any]:
    """`chaingate/check/v1`: whether the gate passed, each decision with its finding, and
    the whole scan."""
    refs = Refs(document.result)

    def one(d: Decision) -> dict[str, Any]:
        return {
            "action": d.action.value,
            "rule": d.rule,
            **finding_json(d.finding, refs),
            "exception": None
            if d.exception is None
            else {"reason": d.exception.reason, "expires": str(d.exception.expires or "") or None},
        }

    return {
        "schema": CHECK_SCHEMA,
        "passed": document.passed,
        "blocked": [one(d) for d in document.acted(Action.BLOCK)],
        "warned": [one(d) for d in document.acted(Action.WARN)],
        "ignored": [one(d) for d in document.acted(Action.IGNORE)],
        "scan": scan_document(document.result),
    }


# --- diff ----------------------------------------------------------------------------------


def render_diff(document: DiffDocument) -> str:
    return pretty_json(diff_document(document)) + "\n"


def diff_document(document: DiffDocument) -> dict[str, Any]:
    """`chaingate/diff/v1`: `base` (ref, commit, package count), `head` (the head scan's
    summary), `summary` (counts of the change), `added` / `changed` / `removed` packages,
    `findings` (new only), `ignored` (new findings silenced by an exception),
    `unchanged_findings`, `incomplete`, `checks` and `notes`."""
    diff = document.diff
    view = document.view()
    scan_doc = scan_document(view)
    by_ref = {p["ref"]: p for p in scan_doc["packages"]}
    head = Summary.of(diff.head)
    new = Summary.of(view)
    return {
        "schema": DIFF_SCHEMA,
        "tool": {"name": "chaingate", "version": __version__},
        "scanned_at": iso_utc(diff.head.finished_at),
        "root": diff.head.inventory.root,
        "index_url": diff.head.index_url,
        "base": {
            "ref": diff.base_label,
            "commit": diff.base_commit,
            "packages": len(diff.base_packages),
        },
        "head": {
            "packages": head.packages,
            "direct": head.direct,
            "transitive": head.transitive,
            "findings_by_severity": {sev.label: n for sev, n in head.findings_by_severity.items()},
            "incomplete": head.incomplete,
            "ignored": head.ignored,
        },
        "summary": {
            "added": len(diff.added),
            "changed": len(diff.changed),
            "removed": len(diff.removed),
            "new_findings_by_severity": {
                sev.label: n for sev, n in new.findings_by_severity.items()
            },
            "unchanged_findings": diff.unchanged_findings,
            "incomplete": len(diff.incomplete),
        },
        "added": [by_ref[str(p.ref)] for p in diff.added],
        "changed": [{**by_ref[str(p.ref)], "previous_version": old} for p, old in diff.changed],
        "removed": _removed(document),
        "findings": scan_doc["findings"],
        "ignored": scan_doc["ignored"],
        "incomplete": scan_doc["incomplete"],
        "checks": scan_doc["checks"],
        "notes": scan_doc["notes"],
    }


def _removed(document: DiffDocument) -> list[dict[str, Any]]:
    return [
        {"ecosystem": r.ecosystem, "name": r.name, "version": r.version, "ref": str(r)}
        for r in document.diff.removed
    ]


# --- domains -------------------------------------------------------------------------------


def render_domains(document: DomainsDocument) -> str:
    return pretty_json(domains_document(document))


def domains_document(document: DomainsDocument) -> dict[str, Any]:
    """`chaingate/domains/v1`: each domain's status, DNS and RDAP answers, and who is
    behind it; with the dns and rdap checks."""
    result = document.result
    out = []
    for row in document.rows():
        f = row.facts
        out.append(
            {
                "domain": row.domain,
                "status": document.status(row),
                "findings": sorted(row.findings),
                "dns": dns_json(f.dns) if f else None,
                "rdap": rdap_json(f.rdap) if f else None,
                "disagreement": DISAGREEMENTS[split] if f and (split := f.disagreement) else None,
                "errors": {k: v for k, v in (("dns", f.dns_error), ("rdap", f.rdap_error)) if v}
                if f
                else {},
                "checked_at": domain_time(f.checked_at) if f else None,
                "emails": sorted(row.emails),
                "accounts": sorted(row.accounts, key=str.lower),
                "organizations": sorted(row.organizations, key=str.lower),
                "packages": sorted(row.packages),
            }
        )
    return {
        "schema": DOMAINS_SCHEMA,
        "tool": {"name": "chaingate", "version": __version__},
        "root": result.inventory.root,
        "checks": {
            k: {"status": v.status, "reason": v.reason}
            for k, v in result.checks.items()
            if k in ("dns", "rdap")
        },
        "domains": out,
    }


# --- inspect -------------------------------------------------------------------------------


def render_inspect(document: InspectDocument) -> str:
    return pretty_json(inspect_document(document))


def inspect_document(document: InspectDocument) -> dict[str, Any]:
    """`chaingate/inspect/v1`: the release read, its verdict and findings; with a previous
    release, that release and which findings are new."""
    outcome = document.outcome
    doc: dict[str, Any] = {"schema": INSPECT_SCHEMA, **_side(outcome.side)}
    doc["verdict"] = verdict_label(outcome.verdict)
    findings = [
        {
            "id": f.id,
            "severity": f.severity.label,
            "path": f.path,
            "line": f.line,
            "message": f.message,
            "excerpt": f.excerpt,
        }
        for f in outcome.findings
    ]
    if outcome.against is not None and outcome.comparison is not None:
        doc["against"] = {**_side(outcome.against), "patch_release": outcome.comparison.patch}
        for i, f in enumerate(findings):
            f["new"] = i in outcome.new
    if outcome.note:
        doc["note"] = outcome.note
    doc["findings"] = findings
    return doc


def _side(side: Side) -> dict[str, Any]:
    out: dict[str, Any] = {
        "target": side.label,
        "verdict": verdict_label(side.inspection.verdict),
        "files": side.inspection.files,
        "bytes": side.inspection.bytes_read,
        "incomplete": list(side.inspection.incomplete),
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
