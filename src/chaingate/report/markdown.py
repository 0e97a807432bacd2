"""GitHub-flavoured Markdown for a pull-request comment.

Package metadata and messages can carry text chosen by whoever publishes a package, so every
table cell is escaped: it can neither break the table nor inject links, HTML or code spans.
The comment stays under GitHub's size limit by cutting the findings table short.
"""

from __future__ import annotations

from typing import Final

from chaingate.engine.result import ScanResult
from chaingate.report.interface import (
    Report,
    Summary,
    exception_source,
    package_key,
    plural,
    sorted_findings,
    sorted_ignored,
)

GITHUB_COMMENT_LIMIT: Final = 65_536
# Room for what a bot wraps around the comment (a marker, a footer).
DEFAULT_MAX_CHARS: Final = 60_000
CELL_MAX: Final = 300
TOP_ACCOUNTS: Final = 10
MAX_DETAIL_ROWS: Final = 50

_ESCAPES: Final = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "<": "&lt;",
        ">": "&gt;",
        "\r": " ",
        "\n": " ",
    }
)


class MarkdownReport(Report):
    """A PR comment: verdict, summary, findings, and the details folded away."""

    def __init__(self, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        if max_chars > GITHUB_COMMENT_LIMIT:
            raise ValueError(f"max_chars must be at most {GITHUB_COMMENT_LIMIT}")
        self.max_chars = max_chars

    def render(self, result: ScanResult) -> str:
        summary = Summary.of(result)
        head = _head(result, summary)
        tail = ignored_lines(result) + incomplete_lines(result) + _accounts(result)
        budget = self.max_chars - size(head) - size(tail)
        return "\n".join([*head, *findings_lines(result, budget), *tail])


def cell(text: str, limit: int = CELL_MAX) -> str:
    """`text` made safe for one table cell, cut to `limit` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.translate(_ESCAPES)


def _head(result: ScanResult, summary: Summary) -> list[str]:
    inv = result.inventory
    lines = [
        f"## chaingate: {summary.verdict()}",
        "",
        f"Scanned {cell(inv.root)} ({', '.join(cell(m) for m in inv.manifests) or 'no manifests'})"
        f" against {cell(result.index_url)}"
        + (f", resolved with {cell(inv.resolved_with)}" if inv.resolved_with else "")
        + ".",
        "",
        "| Packages | Direct | Transitive | Maintainer accounts | Email domains | "
        + " | ".join(sev.label.capitalize() for sev in summary.findings_by_severity)
        + " | Ignored | Incomplete |",
        "|" + "---:|" * (7 + len(summary.findings_by_severity)),
        f"| {summary.packages} | {summary.direct} | {summary.transitive} | "
        f"{summary.maintainers} | {summary.email_domains} | "
        + " | ".join(str(n) for n in summary.findings_by_severity.values())
        + f" | {summary.ignored} | {summary.incomplete} |",
        "",
    ]
    unavailable = [
        f"{cell(name)} ({cell(check.reason)})" if check.reason else cell(name)
        for name, check in sorted(result.checks.items())
        if check.status != "ok"
    ]
    if unavailable:
        lines += [f"**Checks unavailable:** {'; '.join(unavailable)}", ""]
    for note in result.notes:
        lines += [f"**Note:** {cell(note, limit=1000)}", ""]
    return lines


def findings_lines(result: ScanResult, budget: int) -> list[str]:
    findings = sorted_findings(result)
    if not findings:
        return ["No findings.", ""]
    lines = ["| Severity | Signal | Package | Finding |", "|---|---|---|---|"]
    # Reserve room for the "and N more" line, then add rows while they fit.
    used = size(lines) + len(_more(len(findings))) + 2
    shown = 0
    for f in findings:
        row = (
            f"| {f.severity.label} | {cell(f.id)} | "
            f"{cell(package_key(f.package, f.version))} | {cell(f.message)} |"
        )
        if used + len(row) + 1 > budget:
            break
        lines.append(row)
        used += len(row) + 1
        shown += 1
    if shown < len(findings):
        lines += ["", _more(len(findings) - shown)]
    return [*lines, ""]


def _more(n: int) -> str:
    return f"… and {n} more {plural(n, 'finding')} (see the full report)"


def ignored_lines(result: ScanResult) -> list[str]:
    items = sorted_ignored(result)
    if not items:
        return []
    n = len(items)
    lines = [
        "<details>",
        f"<summary>{n} {plural(n, 'finding')} ignored by exceptions</summary>",
        "",
        "| Severity | Signal | Package | Reason | Exception |",
        "|---|---|---|---|---|",
    ]
    for item in items[:MAX_DETAIL_ROWS]:
        f, by = item.finding, item.by
        where = exception_source(by, result.inventory.root)
        if by.expires:
            where += f", until {by.expires.isoformat()}"
        lines.append(
            f"| {f.severity.label} | {cell(f.id)} | {cell(package_key(f.package, f.version))} "
            f"| {cell(by.reason)} | {cell(where)} |"
        )
    if n > MAX_DETAIL_ROWS:
        lines += ["", f"… and {n - MAX_DETAIL_ROWS} more"]
    return [*lines, "", "</details>", ""]


def incomplete_lines(result: ScanResult) -> list[str]:
    if not result.incomplete:
        return []
    items = sorted(result.incomplete, key=lambda i: (i.package, i.version or ""))
    n = len(items)
    lines = [
        "<details>",
        f"<summary>{n} {plural(n, 'package')} could not be fully analysed</summary>",
        "",
        "| Package | Reason |",
        "|---|---|",
    ]
    lines += [
        f"| {cell(package_key(i.package, i.version))} | {cell(i.reason)} |"
        for i in items[:MAX_DETAIL_ROWS]
    ]
    if n > MAX_DETAIL_ROWS:
        lines += ["", f"… and {n - MAX_DETAIL_ROWS} more"]
    return [*lines, "", "</details>", ""]


def _accounts(result: ScanResult) -> list[str]:
    maintainers = result.maintainers()
    if not maintainers:
        return []
    lines = [
        "<details>",
        "<summary>Accounts holding the most packages</summary>",
        "",
        "| Account | Packages | Examples |",
        "|---|---:|---|",
    ]
    for m in maintainers[:TOP_ACCOUNTS]:
        examples = ", ".join(m.packages[:5]) + (", …" if len(m.packages) > 5 else "")
        # In a code span an account name cannot @-mention anyone.
        account = m.account.replace("`", "'").replace("|", "/")
        lines.append(f"| `{account}` | {len(m.packages)} | {cell(examples)} |")
    return [*lines, "", "</details>", ""]


def size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)
