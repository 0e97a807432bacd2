"""How a diff is shown: only what the change introduces, in the formats of `scan`.

Every format reads the same `DiffResult`. The finding, exception and incomplete sections are
those of the scan formats, rendered from `DiffResult.as_scan_result()` (the head scan with
only the new findings), so a finding looks the same in `scan` and `diff` output. SARIF is
the scan's SARIF of that result: a code-scanning upload from a pull request carries the new
alerts only.

`chaingate/diff/v1` (JSON) holds: `base` (ref, commit, package count), `head` (the head
scan's summary), `summary` (counts of the change), `added` / `changed` / `removed`
packages, `findings` (new only, in the scan document's shape), `ignored` (new findings
silenced by an exception), `unchanged_findings`, `incomplete`, `checks` and `notes`.
"""

from __future__ import annotations

import io
from typing import Any, Final

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from chaingate import __version__
from chaingate.core.inventory import Package
from chaingate.engine.diff import DiffResult
from chaingate.report import markdown as md
from chaingate.report import text as tx
from chaingate.report.interface import ReportError, Summary, iso_utc, package_key, plural
from chaingate.report.json import as_document, pretty_json
from chaingate.report.sarif import SarifReport

SCHEMA: Final = "chaingate/diff/v1"
FORMATS: Final = ("text", "json", "sarif", "markdown")
# Markdown: a lock refresh can change hundreds of versions; past a few rows the table folds.
MAX_PACKAGE_ROWS: Final = 50
OPEN_PACKAGE_ROWS: Final = 10


def render_diff(diff: DiffResult, fmt: str, *, width: int = 100, color: bool = False) -> str:
    """The diff in format `fmt` (one of FORMATS), ending with a newline. `width` and
    `color` apply to text. ReportError for an unknown format."""
    if fmt == "text":
        return render_text(diff, width=width, color=color)
    if fmt == "json":
        return render_json(diff)
    if fmt == "markdown":
        return render_markdown(diff)
    if fmt == "sarif":
        return SarifReport().render(diff.as_scan_result())
    raise ReportError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")


def headline(diff: DiffResult) -> str:
    """`1 new package, 2 changed versions, 3 new findings (vs HEAD~1)`."""
    added, changed, found = len(diff.added), len(diff.changed), len(diff.new_findings)
    return (
        f"{added} new {plural(added, 'package')}, {changed} changed "
        f"{plural(changed, 'version')}, {found} new {plural(found, 'finding')} "
        f"(vs {diff.base_label})"
    )


def verdict(diff: DiffResult) -> str:
    """One line: `1 high, 2 info new findings (1 ignored); 3 findings already at the base
    (not shown); 1 incomplete`."""
    by_severity = Summary.of(diff.as_scan_result()).findings_by_severity
    counts = [f"{n} {sev.label}" for sev, n in by_severity.items() if n]
    found = len(diff.new_findings)
    line = f"{', '.join(counts)} new {plural(found, 'finding')}" if counts else "no new findings"
    if diff.new_ignored:
        line += f" ({len(diff.new_ignored)} ignored)"
    if diff.unchanged_findings:
        n = diff.unchanged_findings
        line += f"; {n} {plural(n, 'finding')} already at the base (not shown)"
    if diff.incomplete:
        line += f"; {len(diff.incomplete)} incomplete"
    return line


def _where(pkg: Package) -> str:
    """Where a package comes from: its declaring line, or the direct dependency behind it."""
    if not pkg.direct and pkg.paths:
        return "via " + " > ".join(pkg.paths[0][:-1])
    if pkg.locations:
        loc = pkg.locations[0]
        return f"{loc.file}:{loc.line}" if loc.line else loc.file
    return ""


# --- text ----------------------------------------------------------------------------------


def render_text(diff: DiffResult, *, width: int = 100, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="auto" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    print_to(console, diff)
    text = buffer.getvalue()
    if color:
        return text
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def print_to(console: Console, diff: DiffResult) -> None:
    """Print the diff on `console` (the CLI's own, sized to the terminal)."""
    view = diff.as_scan_result()
    console.print(Text(headline(diff), style="bold"))
    commit = f" ({diff.base_commit[:12]})" if diff.base_commit else ""
    console.print(
        Text(f"{diff.head.inventory.root} against {diff.base_label}{commit}", style="dim")
    )
    console.print()
    _packages(console, diff)
    tx.checks_section(console, view)
    if diff.new_findings:
        tx.findings_section(console, view)
    else:
        console.print(Text("No new findings.", style="green"))
        console.print()
    tx.ignored_section(console, view)
    tx.incomplete_section(console, view)
    for note in view.notes:
        console.print(Text.assemble(("Note: ", "yellow bold"), (note, "yellow")))
    if view.notes:
        console.print()
    console.print(Text(verdict(diff), style="bold"))


def _packages(console: Console, diff: DiffResult) -> None:
    if not (diff.added or diff.changed or diff.removed):
        console.print(Text("No package added, changed or removed.", style="green"))
        console.print()
        return
    console.print(Text("Packages this change introduces", style="bold"))

    def row(*parts: tuple[str, str], where: str = "") -> None:
        line = Text(no_wrap=True, overflow="ellipsis")
        for part, style in parts:
            line.append(part, style=style)
        if where:
            line.append(f"  {where}", style="dim")
        console.print(Padding(line, (0, 0, 0, 2), expand=False))

    for pkg in diff.added:
        row(("+ ", "green bold"), (package_key(pkg.name, pkg.version), "bold"), where=_where(pkg))
    for pkg, old in diff.changed:
        change = f" {old or '(any)'} -> {pkg.version or '(any)'}"
        row(("~ ", "yellow bold"), (pkg.name, "bold"), (change, ""), where=_where(pkg))
    for name, version in diff.removed:
        row(("- ", "red"), (package_key(name, version), "dim"), ("  removed", "dim"))
    console.print()


# --- JSON ----------------------------------------------------------------------------------


def render_json(diff: DiffResult) -> str:
    text = pretty_json(as_diff_document(diff))
    return text + "\n"


def as_diff_document(diff: DiffResult) -> dict[str, Any]:
    """The `chaingate/diff/v1` document as plain Python values. Packages, findings and
    incomplete entries have the shapes of the `chaingate/scan/v1` document."""
    scan_doc = as_document(diff.as_scan_result())
    by_key = {(p["name"], p["version"]): p for p in scan_doc["packages"]}
    head = Summary.of(diff.head)
    view = Summary.of(diff.as_scan_result())
    return {
        "schema": SCHEMA,
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
                sev.label: n for sev, n in view.findings_by_severity.items()
            },
            "unchanged_findings": diff.unchanged_findings,
            "incomplete": len(diff.incomplete),
        },
        "added": [by_key[(p.name, p.version)] for p in diff.added],
        "changed": [
            {**by_key[(p.name, p.version)], "previous_version": old} for p, old in diff.changed
        ],
        "removed": [{"name": name, "version": version} for name, version in diff.removed],
        "findings": scan_doc["findings"],
        "ignored": scan_doc["ignored"],
        "incomplete": scan_doc["incomplete"],
        "checks": scan_doc["checks"],
        "notes": scan_doc["notes"],
    }


# --- Markdown ------------------------------------------------------------------------------


def render_markdown(diff: DiffResult, max_chars: int = md.DEFAULT_MAX_CHARS) -> str:
    """A pull-request comment, kept under `max_chars` by cutting the findings table."""
    if max_chars > md.GITHUB_COMMENT_LIMIT:
        raise ReportError(f"max_chars must be at most {md.GITHUB_COMMENT_LIMIT}")
    view = diff.as_scan_result()
    head = _md_head(diff)
    tail = _md_packages(diff) + md.ignored_lines(view) + md.incomplete_lines(view)
    budget = max_chars - md.size(head) - md.size(tail)
    findings = md.findings_lines(view, budget) if diff.new_findings else ["No new findings.", ""]
    return "\n".join([*head, *findings, *tail])


def _md_head(diff: DiffResult) -> list[str]:
    view = diff.as_scan_result()
    commit = f" ({diff.base_commit[:12]})" if diff.base_commit else ""
    lines = [
        f"## chaingate diff: {md.cell(headline(diff))}",
        "",
        f"{md.cell(verdict(diff))}. Compared {md.cell(diff.head.inventory.root)} with "
        f"{md.cell(diff.base_label)}{commit} against {md.cell(diff.head.index_url)}.",
        "",
    ]
    unavailable = [
        f"{md.cell(name)} ({md.cell(check.reason)})" if check.reason else md.cell(name)
        for name, check in sorted(view.checks.items())
        if check.status != "ok"
    ]
    if unavailable:
        lines += [f"**Checks unavailable:** {'; '.join(unavailable)}", ""]
    for note in view.notes:
        lines += [f"**Note:** {md.cell(note, limit=1000)}", ""]
    return lines


def _md_packages(diff: DiffResult) -> list[str]:
    rows = [
        f"| added | {md.cell(p.name)} | {md.cell(p.version or '')} | {md.cell(_where(p))} |"
        for p in diff.added
    ]
    rows += [
        f"| changed | {md.cell(p.name)} | {md.cell(old or '(any)')} → "
        f"{md.cell(p.version or '(any)')} | {md.cell(_where(p))} |"
        for p, old in diff.changed
    ]
    rows += [
        f"| removed | {md.cell(name)} | {md.cell(version or '')} | |"
        for name, version in diff.removed
    ]
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
