"""The terminal report, read the way a person reads it: top to bottom, at 100 and 80 columns."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from msgspec.structs import replace
from rich.console import Console

from chaingate.core.facts import Account, ProjectFacts
from chaingate.core.findings import Finding, Severity
from chaingate.core.refs import PackageRef
from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import render
from chaingate.report.formats.text import key_evidence, print_to


def text_of(result: ScanResult, **options: object) -> str:
    return render(ScanDocument(result), "text", **options)


def lines_of(result: ScanResult, width: int = 100) -> list[str]:
    return text_of(result, width=width).splitlines()


def position(lines: list[str], text: str) -> int:
    return next(i for i, line in enumerate(lines) if text in line)


def test_first_the_picture_of_whom_the_project_trusts(scan: ScanResult) -> None:
    lines = lines_of(scan)
    assert lines[0] == "/home/dev/shop"
    assert lines[1] == (
        "5 packages (3 direct, 2 transitive), 5 distinct maintainer accounts, "
        "4 distinct email domains"
    )
    assert lines[2] == "index https://pypi.org/simple/, resolver uv 0.5.11"


def test_pinned_input_says_no_resolver_ran(build: Callable[..., ScanResult]) -> None:
    result = build()
    result = build(inventory=replace(result.inventory, resolved_with=None))
    assert "resolver none (versions as pinned)" in lines_of(result)[2]


def test_accounts_table_lists_the_biggest_holders_first(scan: ScanResult) -> None:
    lines = lines_of(scan)
    title = position(lines, "Accounts holding the most packages")
    assert lines[title + 1].split() == ["account", "packages", "examples"]
    assert lines[title + 3].split() == ["sethmlarson", "2", "requests,", "urllib3"]
    assert title < position(lines, "CRITICAL")


def test_organisations_are_in_the_picture_with_the_accounts_named_beside(
    build: Callable[..., ScanResult],
) -> None:
    template = build().facts[PackageRef("pypi", "certifi")]
    facts = {
        PackageRef("pypi", name): replace(template, name=name, owners=(), organization="pallets")
        for name in ("click", "jinja2", "werkzeug")
    }
    facts[PackageRef("pypi", "click-repl")] = replace(
        template,
        name="click-repl",
        owners=(Account("auvipy", "Maintainer"),),
        organization="pallets-eco",
    )
    lines = lines_of(build(facts=facts), width=120)
    title = position(lines, "2 organisations owning packages (members not public)")
    assert lines[title + 1].split() == [
        "organisation",
        "packages",
        "examples",
        "named",
        "beside",
        "it",
    ]
    pallets = lines[position(lines, "pallets ")]
    assert pallets.split()[:2] == ["pallets", "3"]
    assert "click, jinja2, werkzeug" in pallets
    assert "none named (members not public)" in pallets
    eco = lines[position(lines, "pallets-eco")]
    assert "click-repl" in eco and "auvipy (Maintainer)" in eco
    assert "No maintainer accounts known." not in lines


def test_accounts_table_stops_at_ten(build: Callable[..., ScanResult]) -> None:
    facts: dict[PackageRef, ProjectFacts] = {}
    template = build().facts[PackageRef("pypi", "certifi")]
    for i in range(15):
        name = f"pkg-{i:02d}"
        owners = (Account(f"user-{i:02d}", "Owner"), Account("bigholder", "Owner"))
        facts[PackageRef("pypi", name)] = replace(template, name=name, owners=owners)
    lines = lines_of(build(facts=facts))
    assert lines[position(lines, "bigholder")].split()[:2] == ["bigholder", "15"]
    assert "pkg-00, pkg-01, pkg-02, …" in lines[position(lines, "bigholder")]
    assert "… and 6 more accounts" in lines
    assert sum(1 for line in lines if line.strip().startswith("user-")) == 9


@pytest.mark.parametrize("width", [100, 80])
def test_long_names_cut_the_examples_never_the_count(
    build: Callable[..., ScanResult], width: int
) -> None:
    template = build().facts[PackageRef("pypi", "certifi")]
    facts = {}
    for i in range(3):
        name = f"a-rather-long-package-name-number-{i:02d}"
        owners = (Account("someone-with-a-very-long-account-name", "Owner"),)
        facts[PackageRef("pypi", name)] = replace(template, name=name, owners=owners)
    lines = lines_of(build(facts=facts), width)
    row = lines[position(lines, "someone-with")]
    assert " 3 " in row
    assert row.endswith("…")
    assert len(row) <= width


def test_no_accounts_known(build: Callable[..., ScanResult]) -> None:
    assert "No maintainer accounts known." in lines_of(build(facts={}))


def test_unavailable_checks_come_before_the_findings(scan: ScanResult) -> None:
    lines = lines_of(scan)
    checks = position(lines, "Checks unavailable:")
    assert lines[checks] == (
        "Checks unavailable: email-domains (the resolver answers NXDOMAIN for gmail.com)"
    )
    assert checks < position(lines, "CRITICAL (1)")


def test_no_checks_line_when_every_check_ran(build: Callable[..., ScanResult]) -> None:
    text = text_of(build(checks={}))
    assert "Checks unavailable" not in text


def test_findings_grouped_by_severity_worst_first(scan: ScanResult) -> None:
    lines = lines_of(scan)
    headings = [
        line for line in lines if line.split(" (")[0] in {"CRITICAL", "HIGH", "MEDIUM", "LOW"}
    ]
    assert headings == ["CRITICAL (1)", "HIGH (1)", "MEDIUM (2)", "LOW (1)"]
    critical = position(lines, "CRITICAL (1)")
    assert lines[critical + 1 : critical + 4] == [
        "  email-domain-registered-after-release  ctx==0.2.6",
        "    The owner's email domain figmm.com was registered after the last release.",
        "    domain=figmm.com, registered=2022-05-14T18:40:00Z, last_release=2014-12-19",
    ]
    assert "  owner-concentration  (project)" in lines


def test_incomplete_packages_after_the_findings(scan: ScanResult) -> None:
    lines = lines_of(scan)
    heading = position(lines, "Incomplete:")
    assert lines[heading] == "Incomplete: 1 package not analysed (not clean)"
    assert lines[heading + 1] == "  mylib  installed from git: not on the index, not analysed"
    assert heading > position(lines, "LOW (1)")


def test_ignored_findings_are_listed_with_their_reason(scan: ScanResult) -> None:
    lines = lines_of(scan, width=120)
    heading = position(lines, "Ignored by exceptions (1)")
    assert lines[heading + 1] == (
        "  unpinned-source  mylib  Our own library, built from our own repository "
        "(pyproject.toml:12, until 2026-01-31)"
    )
    assert heading > position(lines, "LOW (1)")


def test_notes_come_before_the_summary(scan: ScanResult) -> None:
    lines = lines_of(scan, width=200)
    assert lines[-3] == f"Note: {scan.notes[0]}"


def test_last_line_sums_it_up(scan: ScanResult) -> None:
    assert lines_of(scan)[-1] == (
        "1 critical, 1 high, 2 medium, 1 low findings (1 ignored); 1 package incomplete"
    )


def test_a_clean_scan(build: Callable[..., ScanResult]) -> None:
    lines = lines_of(build(findings=(), incomplete=(), ignored=(), notes=()))
    assert "No findings." in lines
    assert lines[-1] == "no findings"
    assert not any(line.startswith("Incomplete") for line in lines)


@pytest.mark.parametrize("width", [100, 80])
def test_lines_fit_the_terminal(
    build: Callable[..., ScanResult],
    width: int,
) -> None:
    long_message = "The release was uploaded by a token never seen before on this project. " * 4
    findings = (
        Finding(
            "token-upload",
            Severity.HIGH,
            "ctx",
            "0.2.6",
            long_message,
            {"tokens": ["a" * 60, "b" * 60], "detail": {"k": "v" * 200}},
        ),
    )
    text = text_of(build(findings=findings), width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert not any(line != line.rstrip() for line in text.splitlines())
    # The long message wraps under its indent; the evidence stays one line, cut with an ellipsis.
    message_lines = [line for line in text.splitlines() if "token never seen" in line]
    assert all(line.startswith("    ") for line in message_lines)
    evidence = next(line for line in text.splitlines() if line.startswith("    tokens="))
    assert evidence.endswith("…")


def test_plain_text_has_no_escape_codes_and_color_has_some(scan: ScanResult) -> None:
    assert "\x1b[" not in text_of(scan)
    colored = text_of(scan, color=True)
    assert "\x1b[" in colored
    incomplete = next(line for line in colored.splitlines() if "installed from git" in line)
    assert "\x1b[33" in incomplete  # yellow


def test_metadata_cannot_restyle_the_report_or_become_emoji(
    build: Callable[..., ScanResult],
) -> None:
    finding = Finding("odd", Severity.LOW, "ctx", "0.2.6", "[bold red]hidden[/] :warning:")
    text = text_of(build(findings=(finding,)))
    assert "    [bold red]hidden[/] :warning:" in text.splitlines()


def test_print_to_writes_on_the_callers_console(scan: ScanResult) -> None:
    buffer = io.StringIO()
    print_to(Console(file=buffer, width=100, force_terminal=False), ScanDocument(scan))
    assert "CRITICAL (1)" in buffer.getvalue()
    assert "sethmlarson" in buffer.getvalue()


def test_key_evidence_is_one_line() -> None:
    assert key_evidence({"a": "x\ny", "b": [1, 2], "c": {"d": 1}, "e": None}) == (
        'a=x y, b=1,2, c={"d": 1}, e=null'
    )
    assert key_evidence({}) == ""


def test_info_findings_are_one_line_per_id(build: Callable[..., ScanResult]) -> None:
    info = tuple(
        Finding(
            "single-owner", Severity.INFO, name, "1.0", f"Only the account x can publish {name}."
        )
        for name in ("alpha", "beta", "gamma")
    )
    high = Finding("typosquat", Severity.HIGH, "reqeusts", "1.0", "looks like requests")
    out = text_of(build(findings=(high, *info)), width=100)
    assert "single-owner (3): alpha, beta, gamma" in out
    assert "Only the account x can publish" not in out  # the long form is for JSON
    assert out.index("HIGH (1)") < out.index("INFO (3)")
    assert "looks like requests" in out
