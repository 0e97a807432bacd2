"""GitHub-flavoured Markdown for a pull-request comment: `scan`, `check` (the findings the
gate acts on) and `diff` (what the change introduces).

Package metadata and messages can carry text chosen by whoever publishes a package, so every
document is `escaped()` (control and invisible characters shown as `\x1b`, `\u202e`) and
every table cell is escaped: it can neither break the table nor inject links, HTML or code
spans.
The comment stays under GitHub's size limit by cutting the findings table short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from chaingate.core.text import escaped
from chaingate.engine.result import ScanResult
from chaingate.report.documents import CheckDocument, DiffDocument, ScanDocument, declared_where
from chaingate.report.formats import ReportError
from chaingate.report.summary import (
    Refs,
    Summary,
    exception_source,
    named_beside,
    package_key,
    plural,
    sorted_findings,
    sorted_ignored,
    sorted_incomplete,
)

if TYPE_CHECKING:
    from chaingate.engine.diff import DiffResult

GITHUB_COMMENT_LIMIT: Final = 65_536
# Room for what a bot wraps around the comment (a marker, a footer).
DEFAULT_MAX_CHARS: Final = 60_000
CELL_MAX: Final = 300
TOP_ACCOUNTS: Final = 10
MAX_DETAIL_ROWS: Final = 50
# A lock refresh can change hundreds of versions; past a few rows the diff's table folds.
MAX_PACKAGE_ROWS: Final = 50
OPEN_PACKAGE_ROWS: Final = 10

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


def render_scan(document: ScanDocument, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Verdict, summary, findings, and the details folded away; kept under `max_chars`
    by cutting the findings table short."""
    return _scan_comment(escaped(document).result, max_chars)


def render_check(document: CheckDocument, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The scan's comment with only the findings the gate acts on (block, warn)."""
    return _scan_comment(escaped(document).gated(), max_chars)


def _scan_comment(result: ScanResult, max_chars: int) -> str:
    _check_budget(max_chars)
    summary = Summary.of(result)
    head = _head(result, summary)
    tail = ignored_lines(result) + incomplete_lines(result) + _accounts(result)
    tail += _organizations(result)
    budget = max_chars - size(head) - size(tail)
    return "\n".join([*head, *findings_lines(result, budget), *tail])


def _check_budget(max_chars: int) -> None:
    if max_chars > GITHUB_COMMENT_LIMIT:
        raise ReportError(f"max_chars must be at most {GITHUB_COMMENT_LIMIT}")


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
        "| Packages | Direct | Transitive | Maintainer accounts | Organisations | Email domains | "
        + " | ".join(sev.label.capitalize() for sev in summary.findings_by_severity)
        + " | Ignored | Incomplete |",
        "|" + "---:|" * (8 + len(summary.findings_by_severity)),
        f"| {summary.packages} | {summary.direct} | {summary.transitive} | "
        f"{summary.maintainers} | {summary.organizations} | {summary.email_domains} | "
        + " | ".join(str(n) for n in summary.findings_by_severity.values())
        + f" | {summary.ignored} | {summary.incomplete} |",
        "",
    ]
    return lines + _scopes(result) + _checks_and_notes(result)


def _scopes(result: ScanResult) -> list[str]:
    """Principals per scope, runtime first; nothing for a tree that is all runtime."""
    counts = result.scope_counts()
    if [c.scope for c in counts] == ["runtime"]:
        return []
    rows = [
        f"| {cell(c.scope)} | {c.packages} | {c.maintainers} | {c.organizations} "
        f"| {c.email_domains} |"
        for c in counts
    ]
    header = "| scope | packages | maintainer accounts | organisations | email domains |"
    return [header, "|---|---:|---:|---:|---:|", *rows, ""]


def _checks_and_notes(result: ScanResult) -> list[str]:
    """The checks that could not run, and the notes, one paragraph each."""
    lines = []
    if result.as_of is not None:
        lines += [f"**As of {result.as_of:%Y-%m-%dT%H:%M:%SZ}** (`--as-of`): registry facts of "
                  "that time.", ""]  # fmt: skip
    for status, title in (("unavailable", "Checks unavailable"), ("as-of-now", "Today's")):
        listed = [
            f"{cell(name)} ({cell(check.reason)})" if check.reason else cell(name)
            for name, check in sorted(result.checks.items())
            if check.status == status
        ]
        if listed:
            lines += [f"**{title}:** {'; '.join(listed)}", ""]
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
    refs = Refs(result) if result.scope_names() != ("runtime",) else None
    for f in findings:
        package = package_key(f.package, f.version)
        if refs is not None and (scopes := refs.scopes(f)):
            package += f" ({', '.join(scopes)})"  # runtime first, then the tools
        row = f"| {f.severity.label} | {cell(f.id)} | {cell(package)} | {cell(f.message)} |"
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
    items = sorted_incomplete(result)
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
    """The top accounts; with several scopes, those holding the most runtime packages."""
    scoped = result.scope_names() != ("runtime",)
    within = result.in_scope("runtime") if scoped else None
    rows = [
        # In a code span an account name cannot @-mention anyone.
        f"| {code(m.account)} | {len(m.packages)} | {cell(_examples(m.packages))} |"
        for m in result.maintainers(within)[:TOP_ACCOUNTS]
    ]
    header = "| Account | Packages | Examples |\n|---|---:|---|"
    title = (
        "Accounts holding the most runtime packages"
        if scoped
        else "Accounts holding the most packages"
    )
    return _folded(title, header, rows)


def _organizations(result: ScanResult) -> list[str]:
    rows = [
        f"| {code(o.name)} | {len(o.packages)} | {cell(_examples(o.packages))} "
        f"| {cell(named_beside(o))} |"
        for o in result.organizations()[:TOP_ACCOUNTS]
    ]
    header = "| Organisation | Packages | Examples | Named beside it |\n|---|---:|---|---|"
    return _folded("Organisations owning packages (members not public)", header, rows)


def _folded(summary: str, header: str, rows: list[str]) -> list[str]:
    if not rows:
        return []
    return [
        "<details>",
        f"<summary>{summary}</summary>",
        "",
        *header.split("\n"),
        *rows,
        "",
        "</details>",
        "",
    ]


def _examples(packages: tuple[str, ...]) -> str:
    return ", ".join(packages[:5]) + (", …" if len(packages) > 5 else "")


def code(name: str) -> str:
    """A registry name in a code span, where it cannot @-mention anyone or break a table."""
    return "`" + name.replace("`", "'").replace("|", "/") + "`"


def size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


# --- diff ------------------------------------------------------------------------------------


def render_diff(document: DiffDocument, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The change's packages and new findings, kept under `max_chars` by cutting the
    findings table."""
    _check_budget(max_chars)
    document = escaped(document)
    diff, view = document.diff, document.view()
    head = _diff_head(document)
    tail = _diff_packages(diff) + ignored_lines(view) + incomplete_lines(view)
    budget = max_chars - size(head) - size(tail)
    findings = findings_lines(view, budget) if diff.new_findings else ["No new findings.", ""]
    return "\n".join([*head, *findings, *tail])


def _diff_head(document: DiffDocument) -> list[str]:
    diff, view = document.diff, document.view()
    commit = f" ({diff.base_commit[:12]})" if diff.base_commit else ""
    lines = [
        f"## chaingate diff: {cell(document.headline())}",
        "",
        f"{cell(document.verdict())}. Compared {cell(diff.head.inventory.root)} with "
        f"{cell(diff.base_label)}{commit} against {cell(diff.head.index_url)}.",
        "",
    ]
    return lines + _checks_and_notes(view)


def _diff_packages(diff: DiffResult) -> list[str]:
    rows = [
        f"| added | {cell(p.name)} | {cell(p.version or '')} | {cell(declared_where(p))} |"
        for p in diff.added
    ]
    rows += [
        f"| changed | {cell(p.name)} | {cell(old or '(any)')} → "
        f"{cell(p.version or '(any)')} | {cell(declared_where(p))} |"
        for p, old in diff.changed
    ]
    rows += [f"| removed | {cell(r.name)} | {cell(r.version or '')} | |" for r in diff.removed]
    if not rows:
        return []
    n = len(rows)
    table = ["| Change | Package | Version | Declared |", "|---|---|---|---|"]
    table += rows[:MAX_PACKAGE_ROWS]
    if n > MAX_PACKAGE_ROWS:
        table += ["", f"… and {n - MAX_PACKAGE_ROWS} more"]
    if n <= OPEN_PACKAGE_ROWS:
        return [*table, ""]
    summary = f"<summary>{n} package {plural(n, 'change')}</summary>"
    return ["<details>", summary, "", *table, "", "</details>", ""]
