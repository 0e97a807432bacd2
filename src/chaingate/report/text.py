"""The terminal report: first whom the project trusts, then what looks wrong.

Everything that comes from a registry or a manifest is printed as `rich.text.Text`, never as
console markup, so a package's metadata cannot restyle or hide parts of the report.
"""

from __future__ import annotations

import io
import json
from typing import Any, Final

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from chaingate.core.findings import Severity
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

TOP_ACCOUNTS: Final = 10
EXAMPLES: Final = 3
SEVERITY_STYLES: Final = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class TextReport(Report):
    """The terminal report as a string (`color=True` keeps the ANSI styles)."""

    def __init__(self, width: int = 100, color: bool = False) -> None:
        self.width = width
        self.color = color

    def render(self, result: ScanResult) -> str:
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            force_terminal=self.color,
            color_system="auto" if self.color else None,
            no_color=not self.color,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )
        print_to(console, result)
        text = buffer.getvalue()
        if self.color:
            return text
        return "".join(line.rstrip() + "\n" for line in text.splitlines())


def print_to(console: Console, result: ScanResult) -> None:
    """Print the report on `console` (the CLI's own, sized to the terminal)."""
    summary = Summary.of(result)
    _trust(console, result, summary)
    checks_section(console, result)
    findings_section(console, result)
    ignored_section(console, result)
    incomplete_section(console, result)
    for note in result.notes:
        console.print(Text.assemble(("Note: ", "yellow bold"), (note, "yellow")))
    if result.notes:
        console.print()
    console.print(Text(summary.verdict(), style="bold"))


def _trust(console: Console, result: ScanResult, summary: Summary) -> None:
    inv = result.inventory
    console.print(Text(inv.root, style="bold"))
    console.print(
        Text.assemble(
            (f"{summary.packages} {plural(summary.packages, 'package')}", "bold"),
            f" ({summary.direct} direct, {summary.transitive} transitive), ",
            (str(summary.maintainers), "bold"),
            f" distinct maintainer {plural(summary.maintainers, 'account')}, ",
            (str(summary.email_domains), "bold"),
            f" distinct email {plural(summary.email_domains, 'domain')}",
        )
    )
    resolver = inv.resolved_with or "none (versions as pinned)"
    console.print(Text(f"index {result.index_url}, resolver {resolver}", style="dim"))
    console.print()

    maintainers = result.maintainers()
    if not maintainers:
        console.print(Text("No maintainer accounts known.", style="dim"))
        console.print()
        return
    table = Table(
        title="Accounts holding the most packages",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    # Rich squeezes an unwrappable column to nothing when the table is too wide, so the
    # examples get what is left after the account and the count: they are cut, never those.
    account_width = 30
    examples_width = max(12, console.width - account_width - len("packages") - 8)
    table.add_column("account", no_wrap=True, overflow="ellipsis", max_width=account_width)
    table.add_column("packages", justify="right", no_wrap=True)
    table.add_column("examples", no_wrap=True, overflow="ellipsis", max_width=examples_width)
    for m in maintainers[:TOP_ACCOUNTS]:
        examples = ", ".join(m.packages[:EXAMPLES])
        if len(m.packages) > EXAMPLES:
            examples += ", …"
        table.add_row(Text(m.account), str(len(m.packages)), Text(examples))
    console.print(table)
    if len(maintainers) > TOP_ACCOUNTS:
        rest = len(maintainers) - TOP_ACCOUNTS
        console.print(Text(f"… and {rest} more {plural(rest, 'account')}", style="dim"))
    console.print()


def checks_section(console: Console, result: ScanResult) -> None:
    unavailable = [(n, c) for n, c in sorted(result.checks.items()) if c.status != "ok"]
    if not unavailable:
        return
    line = Text("Checks unavailable: ", style="yellow bold")
    for i, (name, check) in enumerate(unavailable):
        if i:
            line.append("; ")
        line.append(name, style="yellow")
        if check.reason:
            line.append(f" ({check.reason})")
    console.print(line)
    console.print()


def findings_section(console: Console, result: ScanResult) -> None:
    findings = sorted_findings(result)
    if not findings:
        console.print(Text("No findings.", style="green"))
        console.print()
        return
    # Informational findings (mostly a bus factor of one) are one line per id, so they do
    # not bury the findings that need a decision; JSON, SARIF and Markdown keep every one.
    info = [f for f in findings if f.severity == Severity.INFO]
    findings = [f for f in findings if f.severity != Severity.INFO]
    current: Severity | None = None
    for f in findings:
        if f.severity != current:
            if current is not None:
                console.print()
            current = f.severity
            count = sum(1 for g in findings if g.severity == current)
            console.print(
                Text(f"{current.label.upper()} ({count})", style=SEVERITY_STYLES[current])
            )
        console.print(
            Padding(
                Text.assemble((f.id, "bold"), "  ", package_key(f.package, f.version)),
                (0, 0, 0, 2),
                expand=False,
            )
        )
        console.print(Padding(Text(f.message), (0, 0, 0, 4), expand=False))
        evidence = key_evidence(f.evidence)
        if evidence:
            line = Text(evidence, style="dim", no_wrap=True, overflow="ellipsis")
            console.print(Padding(line, (0, 0, 0, 4), expand=False))
    if info:
        if findings:
            console.print()
        console.print(Text(f"INFO ({len(info)})", style=SEVERITY_STYLES[Severity.INFO]))
        by_id: dict[str, list[str]] = {}
        for f in info:
            by_id.setdefault(f.id, []).append(f.package or "(project)")
        for sid, names in by_id.items():
            line = Text.assemble((sid, "bold"), f" ({len(names)}): ", ", ".join(names))
            console.print(Padding(line, (0, 0, 0, 2), expand=False))
        console.print(Padding(Text("details: --format json", style="dim"), (0, 0, 0, 2)))
    console.print()


def key_evidence(evidence: dict[str, Any]) -> str:
    """The evidence on one line: `domain=figmm.com, registered=2022-05-14`."""
    parts = []
    for key, value in evidence.items():
        if isinstance(value, str):
            shown = value
        elif isinstance(value, list | tuple):
            shown = ",".join(str(v) for v in value)
        else:
            shown = json.dumps(value, ensure_ascii=False, default=str)
        parts.append(f"{key}={' '.join(shown.split())}")
    return ", ".join(parts)


def ignored_section(console: Console, result: ScanResult) -> None:
    items = sorted_ignored(result)
    if not items:
        return
    console.print(Text(f"Ignored by exceptions ({len(items)})", style="bold"))
    for item in items:
        f, by = item.finding, item.by
        until = f", until {by.expires.isoformat()}" if by.expires else ""
        where = exception_source(by, result.inventory.root)
        line = Text.assemble(
            (f.id, "bold"), "  ", package_key(f.package, f.version), "  ", by.reason
        )
        line.append(f" ({where}{until})", style="dim")
        console.print(Padding(line, (0, 0, 0, 2), expand=False))
    console.print()


def incomplete_section(console: Console, result: ScanResult) -> None:
    if not result.incomplete:
        return
    items = sorted(result.incomplete, key=lambda i: (i.package, i.version or ""))
    n = len(items)
    console.print(
        Text(
            f"Incomplete: {n} {plural(n, 'package')} not analysed (not clean)", style="yellow bold"
        )
    )
    for item in items:
        console.print(
            Padding(
                Text.assemble((package_key(item.package, item.version), "bold"), "  ", item.reason),
                (0, 0, 0, 2),
                expand=False,
            ),
            style="yellow",
        )
    console.print()
