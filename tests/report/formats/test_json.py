"""The JSON report: the chaingate/scan/v1 document, its schema, and its documentation."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaingate.core.findings import Finding, Severity
from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import ReportError, formats_for
from chaingate.report.formats import render as render_as
from chaingate.report.formats.json import json_schema

DOCS = Path(__file__).parents[3] / "docs" / "json-schema.md"


def render(result: ScanResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render_as(ScanDocument(result), "json"))
    return document


def validate(document: object) -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def test_document_validates_against_the_shipped_schema(scan: ScanResult) -> None:
    validate(render(scan))


def test_an_empty_scan_validates_too(build: Callable[..., ScanResult]) -> None:
    from chaingate.core.inventory import Inventory

    empty = build(
        inventory=Inventory(root=".", packages=(), manifests=()),
        facts={},
        findings=(),
        incomplete=(),
        checks={},
    )
    document = render(empty)
    validate(document)
    assert document["summary"]["packages"] == 0
    assert document["findings"] == []


def test_the_schema_rejects_an_undocumented_field(scan: ScanResult) -> None:
    document = render(scan)
    document["packages"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_top_level_fields_in_documented_order(scan: ScanResult) -> None:
    document = render(scan)
    assert list(document) == [
        "schema",
        "tool",
        "scanned_at",
        "as_of",
        "root",
        "index_url",
        "resolved_with",
        "manifests",
        "scope_notes",
        "summary",
        "packages",
        "maintainers",
        "organizations",
        "email_domains",
        "findings",
        "ignored",
        "incomplete",
        "checks",
        "notes",
    ]
    assert document["schema"] == "chaingate/scan/v1"
    assert document["tool"]["name"] == "chaingate"
    assert document["scanned_at"] == "2025-06-01T12:00:05.250000Z"
    assert document["root"] == "/home/dev/shop"
    assert document["resolved_with"] == "uv 0.5.11"
    assert document["manifests"] == ["requirements.txt"]


def test_summary_counts_the_tree(scan: ScanResult) -> None:
    assert render(scan)["summary"] == {
        "packages": 5,
        "direct": 3,
        "transitive": 2,
        "maintainers": 5,
        "organizations": 1,
        "email_domains": 4,
        "findings_by_severity": {"critical": 1, "high": 1, "medium": 2, "low": 1, "info": 0},
        "incomplete": 1,
        "ignored": 1,
        # every package of this tree is runtime (scopes: tests/report/test_scopes.py)
        "scopes": {
            "runtime": {
                "packages": 5,
                "direct": 3,
                "maintainers": 5,
                "organizations": 1,
                "email_domains": 4,
            }
        },
    }


def test_a_package_carries_its_registry_facts(scan: ScanResult) -> None:
    packages = {p["name"]: p for p in render(scan)["packages"]}
    assert list(packages) == ["certifi", "ctx", "mylib", "requests", "urllib3"]
    assert packages["requests"] == {
        "ecosystem": "pypi",
        "name": "requests",
        "version": "2.31.0",
        "ref": "pypi:requests==2.31.0",
        "direct": True,
        "paths": [["requests"]],
        "origin": "registry",
        "url": None,
        "declared_in": [{"file": "requirements.txt", "line": 3}],
        "scopes": ["runtime"],
        "owners": [
            {"account": "nateprewitt", "role": "Owner"},
            {"account": "sethmlarson", "role": "Maintainer"},
        ],
        "organization": "psf",
        "emails": ["me@kennethreitz.org"],
        "repository": "https://github.com/psf/requests",
        "latest_version": "2.32.3",
        "release_date": "2023-05-22T15:12:42Z",
        "first_release_date": "2011-02-14T05:30:00Z",
    }
    assert packages["urllib3"]["paths"] == [["requests", "urllib3"]]
    assert packages["urllib3"]["declared_in"] == []


def test_a_package_without_facts_is_unknown_not_empty(scan: ScanResult) -> None:
    mylib = next(p for p in render(scan)["packages"] if p["name"] == "mylib")
    assert mylib["origin"] == "vcs"
    assert mylib["url"] == "git+https://git.example.com/team/mylib.git"
    assert mylib["owners"] is None
    assert mylib["emails"] is None
    assert mylib["release_date"] is None


def test_release_dates_are_utc_with_z(build: Callable[..., ScanResult]) -> None:
    east = timezone(timedelta(hours=2))
    document = render(build(finished_at=datetime(2025, 6, 1, 14, 0, tzinfo=east)))
    assert document["scanned_at"] == "2025-06-01T12:00:00Z"


def test_an_organisation_is_listed_with_its_packages_and_the_named_roles_beside_it(
    scan: ScanResult,
) -> None:
    assert render(scan)["organizations"] == [
        {
            "name": "psf",
            "packages": ["requests"],
            "roles": [
                {"account": "nateprewitt", "role": "Owner", "packages": ["requests"]},
                {"account": "sethmlarson", "role": "Maintainer", "packages": ["requests"]},
            ],
        }
    ]


def test_maintainers_most_packages_first(scan: ScanResult) -> None:
    maintainers = render(scan)["maintainers"]
    assert maintainers[0] == {
        "account": "sethmlarson",
        "roles": ["Maintainer", "Owner"],
        "packages": ["requests", "urllib3"],
    }
    assert [m["account"] for m in maintainers[1:]] == [
        "aydinnyunus",
        "lukasa",
        "nateprewitt",
        "pquentin",
    ]


def test_email_domains_list_the_packages_behind_them(scan: ScanResult) -> None:
    assert render(scan)["email_domains"] == [
        {"domain": "figmm.com", "packages": ["ctx"]},
        {"domain": "gmail.com", "packages": ["urllib3"]},
        {"domain": "kennethreitz.com", "packages": ["certifi"]},
        {"domain": "kennethreitz.org", "packages": ["requests"]},
    ]


def test_findings_worst_first_then_package_then_id(scan: ScanResult) -> None:
    findings = render(scan)["findings"]
    assert [(f["severity"], f["package"], f["id"]) for f in findings] == [
        ("critical", "ctx", "email-domain-registered-after-release"),
        ("high", "ctx", "dormant-then-release"),
        ("medium", None, "owner-concentration"),
        ("medium", "urllib3", "new-release"),
        ("low", "certifi", "single-owner"),
    ]
    assert findings[0]["evidence"]["domain"] == "figmm.com"


def test_incomplete_and_checks_are_reported(scan: ScanResult) -> None:
    document = render(scan)
    assert document["incomplete"] == [
        {
            "ecosystem": "pypi",
            "package": "mylib",
            "version": None,
            "ref": "pypi:mylib",
            "reason": "installed from git: not on the index, not analysed",
        }
    ]
    assert document["checks"] == {
        "email-domains": {
            "status": "unavailable",
            "reason": "the resolver answers NXDOMAIN for gmail.com",
        },
        "registry": {"status": "ok", "reason": ""},
    }


def test_ignored_findings_keep_the_exceptions_reason(scan: ScanResult) -> None:
    document = render(scan)
    assert document["ignored"] == [
        {
            "finding": {
                "id": "unpinned-source",
                "severity": "medium",
                "ecosystem": "pypi",
                "package": "mylib",
                "version": None,
                "ref": "pypi:mylib",
                "message": "mylib comes from git and bypasses the index.",
                "evidence": {"url": "git+https://git.example.com/team/mylib.git"},
                "scopes": ["runtime"],
            },
            "reason": "Our own library, built from our own repository",
            "expires": "2026-01-31",
            "file": "/home/dev/shop/pyproject.toml",
            "line": 12,
        }
    ]
    assert all(f["id"] != "unpinned-source" for f in document["findings"])
    assert document["notes"][0].startswith("exception for typosquat reqeusts")


def test_output_is_deterministic_and_keeps_unicode(build: Callable[..., ScanResult]) -> None:
    finding = Finding("odd-name", Severity.INFO, "ctx", "0.2.6", "Ünïcode stays readable")
    result = build(findings=(finding,))
    shuffled = build(findings=(finding,), checks=dict(reversed(list(result.checks.items()))))
    text = render_as(ScanDocument(result), "json")
    assert text == render_as(ScanDocument(shuffled), "json")
    assert "Ünïcode" in text
    assert text.endswith("}\n")


def test_evidence_that_is_not_json_does_not_break_the_report(
    build: Callable[..., ScanResult],
) -> None:
    when = datetime(2022, 5, 14, 18, 40, tzinfo=UTC)
    finding = Finding("x", Severity.LOW, "ctx", "0.2.6", "m", {"seen": when, "set": {"b", "a"}})
    document = render(build(findings=(finding,)))
    assert document["findings"][0]["evidence"] == {
        "seen": "2022-05-14T18:40:00Z",
        "set": ["a", "b"],
    }


def test_a_scan_renders_in_every_format() -> None:
    assert formats_for(ScanDocument) == ("text", "json", "sarif", "markdown")


def test_a_bad_format_or_option_is_explained(scan: ScanResult) -> None:
    with pytest.raises(ReportError, match=r"unknown output format 'xml' \(choose from text, json"):
        render_as(ScanDocument(scan), "xml")
    with pytest.raises(ReportError, match="format 'json'"):
        render_as(ScanDocument(scan), "json", width=80)


# The documentation must keep up with the schema.


def _properties(schema: dict[str, Any]) -> Iterator[str]:
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            yield from value
        if isinstance(value, dict):
            yield from _properties(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield from _properties(item)


def test_docs_mention_every_field_of_the_schema() -> None:
    docs = DOCS.read_text()
    missing = sorted({name for name in _properties(json_schema()) if f"`{name}`" not in docs})
    assert missing == []


def test_docs_example_validates() -> None:
    match = re.search(r"## Example.*?```json\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert match is not None
    validate(json.loads(match.group(1)))
