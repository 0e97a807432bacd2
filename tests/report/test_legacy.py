"""The entry points the CLI called before one document per command still answer, each as a
thin call into `report.formats`. Delete this file with those modules once the CLI calls
`report.formats.render` (get_report, report.gate, report.diff, report.domains,
report.inspect, report.text, report.json, report.sarif, report.markdown)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from msgspec.structs import replace
from rich.console import Console

from chaingate.core.findings import Severity
from chaingate.engine.diff import diff_scans
from chaingate.engine.result import ScanResult
from chaingate.policy.interface import Action
from chaingate.policy.policy import Policy, decide
from chaingate.report import diff, domains, gate, inspect, text
from chaingate.report.documents import (
    CheckDocument,
    DiffDocument,
    DomainsDocument,
    ScanDocument,
)
from chaingate.report.formats import render
from chaingate.report.formats import text as text_format
from chaingate.report.formats.json import check_document, pretty_json
from chaingate.report.interface import FORMATS, Report, ReportError, get_report
from chaingate.report.json import JsonReport
from chaingate.report.markdown import MarkdownReport
from chaingate.report.sarif import SarifReport
from chaingate.report.text import TextReport
from tests.report.test_formats import inspect_of


def test_get_report_knows_every_format() -> None:
    assert FORMATS == ("text", "json", "sarif", "markdown")
    for name in FORMATS:
        assert isinstance(get_report(name), Report)
    assert isinstance(get_report("json"), JsonReport)


def test_get_report_explains_a_bad_name_or_option() -> None:
    with pytest.raises(ReportError, match=r"unknown output format 'xml' \(choose from text, json"):
        get_report("xml")
    with pytest.raises(ReportError, match="format 'json'"):
        get_report("json", width=80)
    with pytest.raises(ReportError, match="at most 65536"):
        get_report("markdown", max_chars=100_000)
    assert isinstance(get_report("markdown", max_chars=20_000), MarkdownReport)


def test_the_report_classes_render_a_scan_document(scan: ScanResult) -> None:
    document = ScanDocument(scan)
    assert TextReport(width=60, color=True).render(scan) == render(
        document, "text", width=60, color=True
    )
    assert JsonReport().render(scan) == render(document, "json")
    assert SarifReport().render(scan) == render(document, "sarif")
    assert MarkdownReport(max_chars=3_000).render(scan) == render(
        document, "markdown", max_chars=3_000
    )


def test_print_to_prints_a_scan_or_a_diff(scan: ScanResult) -> None:
    def printed(show: Callable[[Console], None]) -> str:
        buffer = io.StringIO()
        show(Console(file=buffer, width=90, force_terminal=True, color_system="truecolor"))
        return buffer.getvalue()

    change = diff_scans(replace(scan, findings=()), scan)
    assert printed(lambda c: text.print_to(c, scan)) == printed(
        lambda c: text_format.print_to(c, ScanDocument(scan))
    )
    assert printed(lambda c: diff.print_to(c, change)) == printed(
        lambda c: text_format.print_to(c, DiffDocument(change))
    )


def test_gate_renders_a_check_document(scan: ScanResult) -> None:
    policy = replace(Policy(), severity={**Policy().severity, Severity.MEDIUM: Action.BLOCK})
    decisions = decide(scan, policy, date(2025, 6, 1))
    document = CheckDocument(scan, tuple(decisions))
    assert gate.render_text(scan, decisions, width=80) == render(document, "text", width=80)
    assert pretty_json(gate.as_document(scan, decisions)) == render(document, "json")
    assert gate.as_document(scan, decisions) == check_document(document)
    assert gate.gated_result(scan, decisions) == document.gated()


def test_diff_renders_a_diff_document(scan: ScanResult) -> None:
    change = diff_scans(replace(scan, findings=()), scan, base_label="HEAD~1")
    document = DiffDocument(change)
    assert diff.FORMATS == ("text", "json", "sarif", "markdown")
    assert diff.render_diff(change, "text", width=120, color=True) == render(
        document, "text", width=120, color=True
    )
    for name in ("json", "sarif", "markdown"):
        assert diff.render_diff(change, name) == render(document, name)
    assert diff.headline(change) == document.headline()
    assert diff.verdict(change) == document.verdict()
    with pytest.raises(ReportError, match="unknown output format 'xml'"):
        diff.render_diff(change, "xml")


def test_domains_and_inspect_render_their_documents(scan: ScanResult, tmp_path: Path) -> None:
    assert domains.render_domains_json(scan) == render(DomainsDocument(scan), "json")
    assert domains.render_domains_text(scan) == render(DomainsDocument(scan), "text")
    assert domains.render_domains_text(scan, width=70) == render(
        DomainsDocument(scan), "text", width=70
    )
    document = inspect_of(tmp_path)
    assert inspect.render_text(document.outcome) == render(document, "text")
    assert inspect.render_json(document.outcome) == render(document, "json")
    assert inspect.render_sarif(document.outcome) == render(document, "sarif")
