"""The Markdown report, as a reviewer sees it in a pull-request comment."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from chaingate.core.findings import Finding, Severity
from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import ReportError, render
from chaingate.report.formats.markdown import GITHUB_COMMENT_LIMIT, cell

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def markdown_of(result: ScanResult, **options: object) -> str:
    return render(ScanDocument(result), "markdown", **options)


def table_rows(text: str, header: str) -> list[str]:
    """The body rows of the table whose header line starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_heading_gives_the_verdict(scan: ScanResult) -> None:
    first = markdown_of(scan).splitlines()[0]
    assert first == (
        "## chaingate: 1 critical, 1 high, 2 medium, 1 low findings (1 ignored); "
        "1 package incomplete"
    )


def test_clean_scan_says_so(build: Callable[..., ScanResult]) -> None:
    text = markdown_of(build(findings=(), incomplete=(), ignored=()))
    assert text.splitlines()[0] == "## chaingate: no findings"
    assert "No findings." in text
    assert "| Severity |" not in text
    assert "could not be fully analysed" not in text


def test_summary_table(scan: ScanResult) -> None:
    text = markdown_of(scan)
    assert (
        "| Packages | Direct | Transitive | Maintainer accounts | Organisations | Email domains "
        "| Critical | High | Medium | Low | Info | Ignored | Incomplete |"
    ) in text
    assert table_rows(text, "| Packages") == [
        "| 5 | 3 | 2 | 5 | 1 | 4 | 1 | 1 | 2 | 1 | 0 | 1 | 1 |"
    ]
    assert "/home/dev/shop (requirements.txt) against https://pypi.org/simple/" in text


def test_unavailable_checks_are_called_out(scan: ScanResult) -> None:
    text = markdown_of(scan)
    assert (
        "**Checks unavailable:** email-domains (the resolver answers NXDOMAIN for gmail.com)"
    ) in text


def test_findings_table_worst_first(scan: ScanResult) -> None:
    rows = table_rows(markdown_of(scan), "| Severity")
    assert rows[0] == (
        "| critical | email-domain-registered-after-release | ctx==0.2.6 | "
        "The owner's email domain figmm.com was registered after the last release. |"
    )
    assert [row.split(" | ")[0] for row in rows] == [
        "| critical",
        "| high",
        "| medium",
        "| medium",
        "| low",
    ]
    assert "| medium | owner-concentration | (project) |" in rows[2]


def test_pipes_and_backticks_cannot_break_the_table(scan: ScanResult) -> None:
    rows = table_rows(markdown_of(scan), "| Severity")
    cooldown = next(row for row in rows if "new-release" in row)
    assert "2 days ago \\| inside the \\`7d\\` cooldown" in cooldown
    for row in rows:
        assert len(UNESCAPED_PIPE.findall(row)) == 5


def test_links_html_and_newlines_in_messages_are_neutralised(
    build: Callable[..., ScanResult],
) -> None:
    message = "see [docs](https://evil.example/) <img src=x onerror=alert(1)>\nnext | line"
    finding = Finding("odd", Severity.HIGH, "ctx", "0.2.6", message)
    (row,) = table_rows(markdown_of(build(findings=(finding,))), "| Severity")
    assert "<img" not in row
    assert "&lt;img src=x onerror=alert(1)&gt;" in row
    assert "\\[docs\\](https://evil.example/)" in row
    assert len(UNESCAPED_PIPE.findall(row)) == 5


def test_cell_cuts_very_long_text() -> None:
    assert cell("a" * 1000, limit=10) == "a" * 9 + "…"
    assert cell("x|y`z") == "x\\|y\\`z"


def test_incomplete_packages_folded_in_details(scan: ScanResult) -> None:
    text = markdown_of(scan)
    assert "<summary>1 package could not be fully analysed</summary>" in text
    assert table_rows(text, "| Package | Reason") == [
        "| mylib | installed from git: not on the index, not analysed |"
    ]


def test_ignored_findings_folded_in_details_with_their_reason(scan: ScanResult) -> None:
    text = markdown_of(scan)
    assert "<summary>1 finding ignored by exceptions</summary>" in text
    assert table_rows(text, "| Severity | Signal | Package | Reason") == [
        "| medium | unpinned-source | mylib | Our own library, built from our own repository "
        "| pyproject.toml:12, until 2026-01-31 |"
    ]
    assert "unpinned-source" not in "".join(table_rows(text, "| Severity | Signal | Package | F"))


def test_notes_are_shown_under_the_summary(scan: ScanResult) -> None:
    text = markdown_of(scan)
    note = "**Note:** exception for typosquat reqeusts (/home/dev/shop/pyproject.toml:20) expired"
    assert note in text
    assert text.index(note) < text.index("| Severity |")


def test_top_accounts_folded_in_details(scan: ScanResult) -> None:
    text = markdown_of(scan)
    assert "<summary>Accounts holding the most packages</summary>" in text
    rows = table_rows(text, "| Account")
    # Account names sit in code spans, so a comment never @-mentions anyone.
    assert rows[0] == "| `sethmlarson` | 2 | requests, urllib3 |"
    assert len(rows) == 5


def test_organisations_folded_in_details_with_the_accounts_named_beside(
    scan: ScanResult,
) -> None:
    text = markdown_of(scan)
    assert "<summary>Organisations owning packages (members not public)</summary>" in text
    rows = table_rows(text, "| Organisation")
    assert rows == ["| `psf` | 1 | requests | nateprewitt (Owner), sethmlarson (Maintainer) |"]


def test_many_findings_are_cut_to_fit_a_github_comment(
    build: Callable[..., ScanResult], lots_of_findings: Callable[[int], tuple[Finding, ...]]
) -> None:
    text = markdown_of(build(findings=lots_of_findings(3000)))
    assert len(text) <= 60_000 < GITHUB_COMMENT_LIMIT
    shown = len(table_rows(text, "| Severity"))
    assert 100 < shown < 3000
    assert f"… and {3000 - shown} more findings (see the full report)" in text
    # The details after the table survive the cut.
    assert "could not be fully analysed" in text
    assert text.rstrip().endswith("</details>")


def test_a_smaller_budget_is_respected(
    build: Callable[..., ScanResult], lots_of_findings: Callable[[int], tuple[Finding, ...]]
) -> None:
    text = markdown_of(build(findings=lots_of_findings(200)), max_chars=5_000)
    assert len(text) <= 5_000
    assert "more findings (see the full report)" in text


def test_everything_fits_without_a_cut_line(scan: ScanResult) -> None:
    assert "more finding" not in markdown_of(scan)


def test_budget_cannot_exceed_githubs_limit(scan: ScanResult) -> None:
    with pytest.raises(ReportError, match="at most 65536"):
        markdown_of(scan, max_chars=100_000)
    assert markdown_of(scan, max_chars=20_000) == markdown_of(scan)
