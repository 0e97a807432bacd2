"""The terminal: every command's document as a person reads it.

Everything that comes from a registry, a manifest or a package's files is printed as
`rich.text.Text`, never as console markup, so a package's metadata cannot restyle or hide
parts of the report; and every document is `escaped()` before it is printed, so no control
or invisible character in it reaches the terminal (an escape sequence in an account name
cannot erase lines and print a fake verdict, a bidi override cannot reverse a file name).
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from chaingate.core.findings import Finding, Severity
from chaingate.core.text import escaped
from chaingate.engine.result import ScanResult
from chaingate.policy.interface import Action
from chaingate.report.documents import (
    CheckDocument,
    DiffDocument,
    DomainRow,
    DomainsDocument,
    InspectDocument,
    ScanDocument,
    declared_where,
    domain_time,
    verdict_label,
)
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

TOP_ACCOUNTS: Final = 10
EXAMPLES: Final = 3
SEVERITY_STYLES: Final = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_scan(document: ScanDocument, *, width: int = 100, color: bool = False) -> str:
    """The scan report (`color=True` keeps the ANSI styles)."""
    return _rendered(document, width, color)


def render_diff(document: DiffDocument, *, width: int = 100, color: bool = False) -> str:
    """The diff report (`color=True` keeps the ANSI styles)."""
    return _rendered(document, width, color)


def _rendered(document: ScanDocument | DiffDocument, width: int, color: bool) -> str:
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
    print_to(console, document)
    text = buffer.getvalue()
    if color:
        return text
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def print_to(console: Console, document: ScanDocument | DiffDocument) -> None:
    """Print a scan or a diff on `console` (the CLI's own, sized to the terminal)."""
    document = escaped(document)
    if isinstance(document, DiffDocument):
        _print_diff(console, document)
    else:
        _print_scan(console, document.result)


def _print_scan(console: Console, result: ScanResult) -> None:
    summary = Summary.of(result)
    _trust(console, result, summary)
    checks_section(console, result)
    findings_section(console, result)
    ignored_section(console, result)
    incomplete_section(console, result)
    notes_section(console, result)
    console.print(Text(summary.verdict(), style="bold"))


def notes_section(console: Console, result: ScanResult) -> None:
    for note in result.notes:
        console.print(Text.assemble(("Note: ", "yellow bold"), (note, "yellow")))
    if result.notes:
        console.print()


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
    if result.as_of is not None:
        console.print(as_of_line(result.as_of))
    for note in inv.scope_notes:
        console.print(Text(note, style="dim"))
    console.print()

    scoped = result.scope_names() != ("runtime",)
    if scoped:
        _scopes(console, result)
    _accounts(console, result, scoped)
    _organizations(console, result)


def _scopes(console: Console, result: ScanResult) -> None:
    """What each scope trusts, runtime first: the runtime tree is what ships."""
    table = _principals_table("Scopes (runtime ships; the others are tools, extras, groups)")
    table.add_column("scope", no_wrap=True, overflow="ellipsis", max_width=30)
    for column in ("packages", "direct", "accounts", "organisations", "email domains"):
        table.add_column(column, justify="right", no_wrap=True)
    for c in result.scope_counts():
        table.add_row(
            Text(c.scope),
            *(
                str(n)
                for n in (c.packages, c.direct, c.maintainers, c.organizations, c.email_domains)
            ),
        )
    console.print(table)
    console.print()


def _accounts(console: Console, result: ScanResult, scoped: bool = False) -> None:
    """The accounts holding the most packages; with several scopes, ranked by the runtime
    packages they hold (a dev tool's maintainers do not push runtime's out of the table),
    the other scopes' count beside."""
    maintainers = result.maintainers()
    if scoped and maintainers:
        _accounts_by_runtime(console, result)
        return
    if not maintainers:
        known = "No maintainer accounts known."
        if result.organizations():  # members are not public: not "nobody owns them"
            known = "No account is named on any package; organisations own packages (below)."
        console.print(Text(known, style="dim"))
        console.print()
        return
    table = _principals_table("Accounts holding the most packages")
    # Rich squeezes an unwrappable column to nothing when the table is too wide, so the
    # examples get what is left after the account and the count: they are cut, never those.
    account_width = 30
    examples_width = max(12, console.width - account_width - len("packages") - 8)
    table.add_column("account", no_wrap=True, overflow="ellipsis", max_width=account_width)
    table.add_column("packages", justify="right", no_wrap=True)
    table.add_column("examples", no_wrap=True, overflow="ellipsis", max_width=examples_width)
    for m in maintainers[:TOP_ACCOUNTS]:
        table.add_row(Text(m.account), str(len(m.packages)), Text(_examples(m.packages)))
    _print_principals(console, table, len(maintainers), "account")


def _accounts_by_runtime(console: Console, result: ScanResult) -> None:
    runtime = {m.account: m for m in result.maintainers(result.in_scope("runtime"))}
    everyone = result.maintainers()
    held = {
        m.account: len(runtime[m.account].packages) if m.account in runtime else 0 for m in everyone
    }
    everyone.sort(key=lambda m: (-held[m.account], -len(m.packages), m.account.lower()))
    table = _principals_table("Accounts holding the most runtime packages")
    account_width = 30
    examples_width = max(12, console.width - account_width - len("runtime other") - 10)
    table.add_column("account", no_wrap=True, overflow="ellipsis", max_width=account_width)
    table.add_column("runtime", justify="right", no_wrap=True)
    table.add_column("other", justify="right", no_wrap=True)
    table.add_column("examples", no_wrap=True, overflow="ellipsis", max_width=examples_width)
    for m in everyone[:TOP_ACCOUNTS]:
        mine = runtime[m.account].packages if m.account in runtime else m.packages
        other = len(m.packages) - held[m.account]
        table.add_row(Text(m.account), str(held[m.account]), str(other), Text(_examples(mine)))
    _print_principals(console, table, len(everyone), "account")


def _organizations(console: Console, result: ScanResult) -> None:
    """Organisations are principals too: each with the packages it owns and the accounts
    named beside it (its members are not public)."""
    organizations = result.organizations()
    if not organizations:
        return
    n = len(organizations)
    table = _principals_table(
        f"{n} {plural(n, 'organisation')} owning packages (members not public)"
    )
    name_width = 30
    rest_width = max(24, console.width - name_width - len("packages") - 10)
    table.add_column("organisation", no_wrap=True, overflow="ellipsis", max_width=name_width)
    table.add_column("packages", justify="right", no_wrap=True)
    table.add_column("examples", overflow="fold", max_width=rest_width // 2)
    table.add_column(
        "named beside it",
        overflow="fold",
        min_width=min(24, rest_width // 2),
        max_width=rest_width - rest_width // 2,
    )
    for org in organizations[:TOP_ACCOUNTS]:
        named = Text(named_beside(org))
        table.add_row(Text(org.name), str(len(org.packages)), Text(_examples(org.packages)), named)
    _print_principals(console, table, n, "organisation")


def _principals_table(title: str) -> Table:
    return Table(
        title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, show_edge=False
    )


def _examples(packages: tuple[str, ...]) -> str:
    return ", ".join(packages[:EXAMPLES]) + (", …" if len(packages) > EXAMPLES else "")


def _print_principals(console: Console, table: Table, total: int, word: str) -> None:
    console.print(table)
    if total > TOP_ACCOUNTS:
        rest = total - TOP_ACCOUNTS
        console.print(Text(f"… and {rest} more {plural(rest, word)}", style="dim"))
    console.print()


def as_of_line(when: datetime) -> Text:
    """The time machine's banner: the facts are those of `when`, not today's."""
    return Text(
        f"as of {when:%Y-%m-%dT%H:%M:%SZ} (--as-of): registry facts of that time; "
        "what only today's data says is listed under the checks",
        style="yellow bold",
    )


def _advisories_line(console: Console, result: ScanResult) -> None:
    """Where known advisories came from (OSV, or the offline dump and its age), when the
    source answered: an old dump is a limit the reader must see."""
    known = result.checks.get("known-vulnerability")
    if known is not None and known.status == "ok" and known.reason:
        console.print(Text(f"advisories: {known.reason}", style="dim"))


def checks_section(console: Console, result: ScanResult) -> None:
    _advisories_line(console, result)
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
    refs = Refs(result) if result.scope_names() != ("runtime",) else None
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
        head = Text.assemble((f.id, "bold"), "  ", package_key(f.package, f.version))
        if refs is not None and (scopes := refs.scopes(f)):
            head.append(f"  ({', '.join(scopes)})", style="dim")
        console.print(Padding(head, (0, 0, 0, 2), expand=False))
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
    items = sorted_incomplete(result)
    n = len(items)
    console.print(
        Text(
            f"Incomplete: {n} {plural(n, 'package')} not analysed (not clean)", style="yellow bold"
        )
    )
    for reason, keys in _by_reason([(package_key(i.package, i.version), i.reason) for i in items]):
        if len(keys) == 1:
            line = Text.assemble((keys[0], "bold"), "  ", reason)
        else:  # one reason shared by many (a source down): said once, with its packages
            line = Text.assemble((f"{len(keys)} packages", "bold"), "  ", reason, "\n")
            line.append(", ".join(keys), style="dim")
        console.print(Padding(line, (0, 0, 0, 2), expand=False), style="yellow")
    console.print()


_SHARED = 3  # a reason given for this many packages or more is printed once


def _by_reason(items: list[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(reason, package keys) in the order of first appearance; a reason shared by fewer
    than `_SHARED` packages stays one line per package."""
    groups: dict[str, list[str]] = {}
    for key, reason in items:
        groups.setdefault(reason, []).append(key)
    out: list[tuple[str, list[str]]] = []
    for key, reason in items:
        keys = groups[reason]
        if len(keys) >= _SHARED:
            if keys[0] == key:
                out.append((reason, keys))
        else:
            out.append((reason, [key]))
    return out


# --- check -----------------------------------------------------------------------------------

# How to fix, per signal id; the exception snippet is always offered as the alternative.
_FIX = {
    "typosquat": "Check the spelling in your manifest; replace it with the package you meant.",
    "not-on-registry": "Register the name on the public index as a placeholder, or install "
    "it from a pinned URL with a hash.",
    "new-release": "Pin the previous release until this one is older than the cooldown.",
    "new-package": "Confirm this is the project you meant before depending on it.",
    "yanked-version": "Move to a release that is not yanked.",
    "known-vulnerability": "Upgrade to the version the finding names (evidence `upgrade`).",
    "known-malicious": "Remove this version now; treat every machine that installed it as "
    "compromised (rotate the secrets it could read).",
    "dormant-then-release": "Pin the last release before the dormancy, and compare the new "
    "ones with the source repository.",
    "release-burst": "Pin a release from before the burst and compare the new ones with the "
    "source repository.",
    "ownership-change": "Confirm the new account with the project (its issue tracker, "
    "changelog) before upgrading.",
    "email-domain-unregistered": "Ask the maintainer to change the address; until then pin "
    "and review this package.",
    "email-domain-expired": "Ask the maintainer to renew or change the address; pin and "
    "review this package.",
    "email-domain-reregistered": "Confirm with the maintainer that they still own the "
    "domain; pin the last release from before the registration.",
    "email-domain-sources-disagree": "Look the domain up with its registry (whois or the "
    "registry's RDAP) from another network before trusting this maintainer's address.",
    "future-upload-time": "Check this machine's clock; if it is right, do not install from "
    "this index until its answer is explained.",
    "unpinned-source": "Pin the dependency to a commit hash or a URL with a sha256 hash.",
    "policy-deny": "Remove the dependency, or change the deny list in the policy.",
    "policy-change": "Review the policy change with the code it lets through; it takes "
    "effect once merged (the base's policy can lower policy-change to warn).",
}


def exception_snippet(f: Finding) -> str:
    lines = ["[[tool.chaingate.ignore]]", f'id = "{f.id}"']
    if f.package:
        lines.append(f'package = "{f.package}"')
    lines.append('reason = "why this is acceptable"')
    lines.append('expires = "YYYY-MM-DD"  # optional')
    return "\n".join(lines)


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    out = []
    for key, value in evidence.items():
        if isinstance(value, list | tuple):
            shown = ", ".join(str(v) for v in value[:8]) + (" ..." if len(value) > 8 else "")
        elif isinstance(value, dict):
            shown = json.dumps(value, ensure_ascii=False, default=str)
        else:
            shown = str(value)
        out.append(f"{key}: {' '.join(shown.split())}"[:160])
    return out[:10]


def render_check(document: CheckDocument, *, width: int = 100) -> str:
    """For every blocked finding one screen: what was found, why it matters, the
    evidence, which rule of the policy blocked it, and how to fix it or except it."""
    # A plain console, not `_rendered`'s: check and domains print as they always have.
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None)
    print_gate(console, document)
    return buf.getvalue()


def print_gate(console: Console, document: CheckDocument) -> None:
    document = escaped(document)
    result = document.result
    blocks = document.acted(Action.BLOCK)
    warns = document.acted(Action.WARN)
    console.print(
        Text(
            f"chaingate check: {len(result.packages)} packages, {len(blocks)} blocked, "
            f"{len(warns)} warning(s), {len(result.incomplete)} incomplete",
            style="bold",
        )
    )
    if result.as_of is not None:
        console.print(as_of_line(result.as_of))
    _advisories_line(console, result)
    for check_name, check in sorted(result.checks.items()):
        if check.status == "as-of-now":  # --as-of: the reason says "as of now, not as of"
            console.print(Text(f"{check_name}: {check.reason}", style="yellow"))
        elif check.status != "ok":
            console.print(Text(f"unavailable: {check_name} ({check.reason})", style="yellow"))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="yellow"))
    for d in blocks:
        f = d.finding
        where = f"{f.package}=={f.version}" if f.package and f.version else f.package or "project"
        console.print()
        console.print(
            Text.assemble(
                ("BLOCKED ", "bold red"), (f.id, "bold"), f"  {where}  ({f.severity.label})"
            )
        )
        console.print(Padding(Text(f.message), (0, 0, 0, 2)))
        evidence = _evidence_lines(f.evidence)
        if evidence:
            console.print(Padding(Text("evidence:", style="dim"), (0, 0, 0, 2)))
            for line in evidence:
                console.print(Padding(Text(line, style="dim"), (0, 0, 0, 4)))
        console.print(Padding(Text(f"blocked by: {d.rule}"), (0, 0, 0, 2)))
        fix = _FIX.get(f.id)
        if fix:
            console.print(Padding(Text(f"fix: {fix}"), (0, 0, 0, 2)))
        console.print(
            Padding(Text("or except it, with a reason, in pyproject.toml:"), (0, 0, 0, 2))
        )
        console.print(Padding(Text(exception_snippet(f), style="dim"), (0, 0, 0, 4)))
    if warns:
        console.print()
        console.print(Text(f"warnings ({len(warns)}):", style="yellow"))
        for d in warns:
            f = d.finding
            where = (
                f"{f.package}=={f.version}" if f.package and f.version else f.package or "project"
            )
            console.print(Padding(Text(f"{f.id}  {where}: {f.message}"), (0, 0, 0, 2)))
    if result.incomplete:
        console.print()
        console.print(Text("incomplete (not analysed, not clean):", style="yellow"))
        for reason, keys in _by_reason(
            [(i.package or "project", i.reason) for i in result.incomplete]
        ):
            console.print(Padding(Text(f"{', '.join(keys)}: {reason}"), (0, 0, 0, 2)))
    console.print()
    console.print(
        Text(
            "result: BLOCKED" if blocks else "result: passed",
            style="bold red" if blocks else "bold green",
        )
    )


# --- diff ------------------------------------------------------------------------------------


def _print_diff(console: Console, document: DiffDocument) -> None:
    diff, view = document.diff, document.view()
    console.print(Text(document.headline(), style="bold"))
    commit = f" ({diff.base_commit[:12]})" if diff.base_commit else ""
    console.print(
        Text(f"{diff.head.inventory.root} against {diff.base_label}{commit}", style="dim")
    )
    console.print()
    _packages(console, diff)
    checks_section(console, view)
    if diff.new_findings:
        findings_section(console, view)
    else:
        console.print(Text("No new findings.", style="green"))
        console.print()
    ignored_section(console, view)
    incomplete_section(console, view)
    notes_section(console, view)
    console.print(Text(document.verdict(), style="bold"))


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
        row(
            ("+ ", "green bold"),
            (package_key(pkg.name, pkg.version), "bold"),
            where=declared_where(pkg),
        )
    for pkg, old in diff.changed:
        change = f" {old or '(any)'} -> {pkg.version or '(any)'}"
        row(("~ ", "yellow bold"), (pkg.name, "bold"), (change, ""), where=declared_where(pkg))
    for ref in diff.removed:
        row(("- ", "red"), (package_key(ref.name, ref.version), "dim"), ("  removed", "dim"))
    console.print()


# --- domains ---------------------------------------------------------------------------------


def render_domains(document: DomainsDocument, *, width: int = 100) -> str:
    document = escaped(document)
    result = document.result
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None)
    all_rows = document.rows()
    console.print(
        Text(f"{len(all_rows)} maintainer email domains behind {len(result.facts)} packages")
    )
    for name in ("dns", "rdap"):
        check = result.checks.get(name)
        if check is not None and check.status != "ok":
            console.print(Text(f"{name.upper()} unavailable: {check.reason}", style="yellow"))
    table = Table(show_edge=False, pad_edge=False)
    for column in ("domain", "status", "registered", "expires", "packages", "accounts"):
        table.add_column(column, overflow="fold")
    for row in all_rows:
        rdap = row.facts.rdap if row.facts else None
        table.add_row(
            row.domain,
            document.status(row),
            (domain_time(rdap.registration) or "")[:10] if rdap else "",
            (domain_time(rdap.expiration) or "")[:10] if rdap else "",
            ", ".join(sorted(row.packages)[:4]) + (" …" if len(row.packages) > 4 else ""),
            _holders(row),
        )
    console.print(table)
    return buf.getvalue()


def _holders(row: DomainRow) -> str:
    """The accounts behind a domain's packages, then the organisations owning them."""
    accounts = sorted(row.accounts, key=str.lower)
    text = ", ".join(accounts[:3]) + (" …" if len(accounts) > 3 else "")
    orgs = sorted(row.organizations, key=str.lower)
    if orgs:
        text += ("; " if text else "") + "org " + ", ".join(orgs[:2])
        text += " …" if len(orgs) > 2 else ""
    return text


# --- inspect ---------------------------------------------------------------------------------


def render_inspect(document: InspectDocument) -> str:
    document = escaped(document)
    outcome = document.outcome
    ins = outcome.side.inspection
    head = (
        f"{outcome.side.label}: verdict {verdict_label(outcome.verdict)} ({ins.files} files, "
        f"{ins.bytes_read / 1e6:.1f} MB uncompressed, nothing executed)"
    )
    lines = [head]
    if outcome.side.artifact is not None:
        a = outcome.side.artifact
        lines.append(f"  {a.filename}  sha256 {a.sha256[:16]}... verified against the index")
    if outcome.against is not None and outcome.comparison is not None:
        kind = "a patch release" if outcome.comparison.patch else "a release"
        new = len(outcome.new)
        lines.append(
            f"  compared with {outcome.against.label} "
            f"(verdict on its own {verdict_label(outcome.against.inspection.verdict)}): {kind}; "
            f"{new} finding{'s' if new != 1 else ''} new in this release"
        )
    if outcome.note:
        lines.append(f"  {outcome.note}")
    for why in outcome.incomplete:
        lines.append(f"  INCOMPLETE: not analysed: {why}")
    for i, f in enumerate(outcome.findings):
        where = f"{f.path}:{f.line}" if f.line else f.path
        tag = "  NEW" if i in outcome.new else ""
        lines.append(f"  {f.severity.label.upper():8} {f.id}  {where}{tag}")
        lines.append(f"           {f.message}")
        if f.excerpt:
            lines.append(f"           > {f.excerpt}")
    return "\n".join(lines)
