"""One document per command, every format one module: the registry that renders them, which
format applies to which command, and the ecosystem and ref every JSON and SARIF entry names."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from chaingate.analysis.inspect import Inspection
from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.run import InspectOutcome, Side
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Location, Package
from chaingate.core.status import Incomplete
from chaingate.engine.diff import diff_scans
from chaingate.engine.result import ScanResult
from chaingate.policy.interface import Action
from chaingate.policy.policy import Policy, decide
from chaingate.report.documents import (
    CheckDocument,
    DiffDocument,
    Document,
    DomainsDocument,
    InspectDocument,
    ScanDocument,
)
from chaingate.report.formats import FORMATS, ReportError, formats_for, render

DOCUMENT_TYPES = (ScanDocument, CheckDocument, DiffDocument, DomainsDocument, InspectDocument)


def check_of(scan: ScanResult) -> CheckDocument:
    policy = Policy()
    policy = replace(policy, severity={**policy.severity, Severity.MEDIUM: Action.BLOCK})
    return CheckDocument(scan, tuple(decide(scan, policy, date(2025, 6, 1))))


def diff_of(scan: ScanResult) -> DiffDocument:
    base = replace(
        scan,
        inventory=replace(scan.inventory, packages=scan.inventory.packages[:2]),
        findings=scan.findings[:1],
    )
    return DiffDocument(diff_scans(base, scan, base_label="HEAD~1"))


def inspect_of(tmp_path: Path) -> InspectDocument:
    finding = CodeFinding("install-hook", Severity.HIGH, "setup.py", 3, "runs at install", "x()")
    inspection = Inspection(str(tmp_path), Severity.HIGH, (finding,), files=1, bytes_read=10)
    side = Side(str(tmp_path), tmp_path, inspection)
    return InspectDocument(InspectOutcome(side, (finding,), Severity.HIGH))


@pytest.fixture
def documents(scan: ScanResult, tmp_path: Path) -> list[Document]:
    return [
        ScanDocument(scan),
        check_of(scan),
        diff_of(scan),
        DomainsDocument(scan),
        inspect_of(tmp_path),
    ]


def test_each_command_offers_the_formats_it_offered_before() -> None:
    assert formats_for(ScanDocument) == ("text", "json", "sarif", "markdown")
    assert formats_for(CheckDocument) == ("text", "json", "sarif", "markdown")
    assert formats_for(DiffDocument) == ("text", "json", "sarif", "markdown")
    assert formats_for(DomainsDocument) == ("text", "json")
    assert formats_for(InspectDocument) == ("text", "json", "sarif")


def test_every_declared_format_renders_its_documents(documents: list[Document]) -> None:
    for document in documents:
        for name in formats_for(type(document)):
            text = render(document, name)
            assert text.strip(), (document.kind, name)
            if name in ("json", "sarif"):
                json.loads(text)


def test_a_format_module_has_a_renderer_per_declared_document() -> None:
    for module_name, kinds in FORMATS.values():
        module = importlib.import_module(module_name)
        for kind in kinds:
            assert callable(getattr(module, f"render_{kind}")), (module_name, kind)
    assert {t.kind for t in DOCUMENT_TYPES} == {"scan", "check", "diff", "domains", "inspect"}


def test_an_unknown_or_inapplicable_format_is_a_report_error(
    scan: ScanResult, tmp_path: Path
) -> None:
    with pytest.raises(ReportError, match=r"unknown output format 'xml' \(choose from text, json"):
        render(ScanDocument(scan), "xml")
    with pytest.raises(
        ReportError,
        match=r"output format 'markdown' does not apply to inspect \(choose from text, json, "
        r"sarif\)",
    ):
        render(inspect_of(tmp_path), "markdown")
    with pytest.raises(ReportError, match="does not apply to domains"):
        render(DomainsDocument(scan), "sarif")


def test_an_option_the_format_does_not_take_is_a_report_error(scan: ScanResult) -> None:
    with pytest.raises(ReportError, match="format 'json'"):
        render(ScanDocument(scan), "json", width=80)
    with pytest.raises(ReportError, match="format 'text'"):
        render(DomainsDocument(scan), "text", color=True)
    with pytest.raises(ReportError, match="at most 65536"):
        render(diff_of(scan), "markdown", max_chars=100_000)


def test_options_reach_the_format(scan: ScanResult) -> None:
    narrow = render(ScanDocument(scan), "text", width=60)
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert "\x1b[" in render(diff_of(scan), "text", color=True)
    assert len(render(ScanDocument(scan), "markdown", max_chars=3_000)) <= 3_000


def test_a_json_run_does_not_import_rich(scan: ScanResult) -> None:
    code = (
        "import sys\n"
        "from tests.report.conftest import make_result\n"
        "from chaingate.report.documents import ScanDocument\n"
        "from chaingate.report.formats import render\n"
        "render(ScanDocument(make_result()), 'json')\n"
        "render(ScanDocument(make_result()), 'sarif')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    )
    root = Path(__file__).parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_check_sarif_and_markdown_show_what_the_gate_acts_on(scan: ScanResult) -> None:
    check = check_of(scan)
    assert render(check, "sarif") == render(ScanDocument(check.gated()), "sarif")
    assert render(check, "markdown") == render(ScanDocument(check.gated()), "markdown")
    ignored = [d.finding.id for d in check.decisions if d.action is Action.IGNORE]
    assert ignored and all(f not in ignored for f in (f.id for f in check.gated().findings))


# --- ecosystem and ref ---------------------------------------------------------------------


def as_json(document: Document) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render(document, "json"))
    return parsed


def test_every_package_finding_and_incomplete_entry_names_its_ref(scan: ScanResult) -> None:
    doc = as_json(ScanDocument(scan))
    packages = {p["name"]: p for p in doc["packages"]}
    assert packages["requests"]["ref"] == "pypi:requests==2.31.0"
    assert packages["mylib"]["ref"] == "pypi:mylib"  # no version known
    refs = [(f["ecosystem"], f["ref"]) for f in doc["findings"]]
    assert refs == [
        ("pypi", "pypi:ctx==0.2.6"),
        ("pypi", "pypi:ctx==0.2.6"),
        (None, None),  # owner-concentration: the project as a whole
        ("pypi", "pypi:urllib3==2.0.0"),
        ("pypi", "pypi:certifi==2024.2.2"),
    ]
    assert doc["ignored"][0]["finding"]["ref"] == "pypi:mylib"
    assert doc["incomplete"][0]["ref"] == "pypi:mylib"


def test_a_findings_own_ecosystem_wins_over_the_inventorys(
    build: Callable[..., ScanResult],
) -> None:
    """Two ecosystems with the same name: each finding keeps the ecosystem its signal set,
    and one that sets none takes its package's; SARIF places each on its own package's
    line."""
    packages = (
        Package("pypi", "debug", "1.0", True, (("debug",),), locations=(Location("a.txt", 2),)),
        Package("toy", "debug", "4.3", True, (("debug",),), locations=(Location("toy.lock", 7),)),
    )
    findings = (
        Finding("single-owner", Severity.LOW, "debug", "4.3", "m", ecosystem="toy"),
        Finding("single-owner", Severity.LOW, "debug", "1.0", "m"),
    )
    incomplete = (Incomplete("debug", "4.3", "HTTP 500", ecosystem="toy"),)
    result = build(
        inventory=Inventory(root=".", packages=packages, manifests=()),
        findings=findings,
        incomplete=incomplete,
        ignored=(),
    )
    doc = as_json(ScanDocument(result))
    assert [p["ref"] for p in doc["packages"]] == ["pypi:debug==1.0", "toy:debug==4.3"]
    assert sorted(f["ref"] for f in doc["findings"]) == ["pypi:debug==1.0", "toy:debug==4.3"]
    assert doc["incomplete"][0]["ecosystem"] == "toy"
    assert doc["incomplete"][0]["ref"] == "toy:debug==4.3"
    sarif = json.loads(render(ScanDocument(result), "sarif"))
    where = {
        r["properties"]["ref"]: r["locations"][0]["physicalLocation"]
        for r in sarif["runs"][0]["results"]
    }
    assert where["pypi:debug==1.0"]["artifactLocation"]["uri"] == "a.txt"
    assert where["toy:debug==4.3"]["artifactLocation"]["uri"] == "toy.lock"
    assert where["toy:debug==4.3"]["region"] == {"startLine": 7}
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    (note,) = [n for n in notes if "debug" in n["message"]["text"]]
    assert note["properties"]["ref"] == "toy:debug==4.3"


def test_sarif_results_carry_the_ref_except_for_the_project(scan: ScanResult) -> None:
    sarif = json.loads(render(ScanDocument(scan), "sarif"))
    by_id = {r["ruleId"]: r["properties"] for r in sarif["runs"][0]["results"]}
    assert by_id["single-owner"]["ref"] == "pypi:certifi==2024.2.2"
    assert "ref" not in by_id["owner-concentration"]


def test_check_json_decisions_carry_the_ref(scan: ScanResult) -> None:
    doc = as_json(check_of(scan))
    assert doc["schema"] == "chaingate/check/v1"
    blocked = {(b["id"], b["ref"]) for b in doc["blocked"]}
    assert ("dormant-then-release", "pypi:ctx==0.2.6") in blocked
    assert ("owner-concentration", None) in blocked
    assert doc["scan"]["packages"][0]["ref"] == "pypi:certifi==2024.2.2"


def test_diff_json_packages_carry_the_ref(scan: ScanResult) -> None:
    head = replace(scan, inventory=replace(scan.inventory, packages=scan.inventory.packages[1:]))
    doc = as_json(DiffDocument(diff_scans(scan, head)))
    assert doc["removed"] == [
        {
            "ecosystem": "pypi",
            "name": "requests",
            "version": "2.31.0",
            "ref": "pypi:requests==2.31.0",
        }
    ]
    doc = as_json(diff_of(scan))
    assert [p["ref"] for p in doc["added"]] == [
        "pypi:certifi==2024.2.2",
        "pypi:ctx==0.2.6",
        "pypi:mylib",
    ]
    assert all("ref" in f and "ecosystem" in f for f in doc["findings"])


def test_a_reason_many_packages_share_is_printed_once(build: Callable[..., ScanResult]) -> None:
    """A source down (OSV unreachable) makes every pin incomplete with the same reason: the
    text report says it once, with the packages, not once per package; a reason of its own
    stays on the package's line. `check` lists them the same way, without cutting words."""
    down = "known advisories unavailable: OSV: https://osv.example.invalid: refused"
    items = tuple(Incomplete(f"pkg{i}", "1.0", down) for i in range(5))
    result = build(incomplete=(*items, Incomplete("solo", "2.0", "503 from the index")))
    for document in (ScanDocument(result), check_of(result)):
        text = render(document, "text", width=250)
        assert text.count(down) == 1, text
        assert "pkg0" in text and "pkg4" in text
        assert "503 from the index" in text


def test_scan_and_domains_count_email_domains_alike(scan: ScanResult) -> None:
    """One notion of an email domain, the registrable domain: an address at a mail host of
    a domain already listed is not a second domain in the scan's picture (issue 13: scan
    counted 131 host names where `domains` counted 130 registrable domains)."""
    (ref, facts), *_ = scan.facts.items()
    person = facts.people[0]
    sub = replace(person, email=person.email.replace("@", "@mail."))
    more = replace(scan, facts={**scan.facts, ref: replace(facts, people=(*facts.people, sub))})
    assert sorted(more.email_domains()) == sorted(scan.email_domains())
    assert len(more.email_domains()) == len(DomainsDocument(more).rows())
