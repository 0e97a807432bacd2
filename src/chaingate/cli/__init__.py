"""Command line: parse options, wire the stages, choose the exit code. Logic lives below.

Exit codes (the one place they are defined):
  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on
  2  usage or input error (bad option, malformed manifest, resolver failure, bad database)
  3  analysis incomplete and --fail-incomplete given (only when no finding already gave 1)
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import msgspec
from msgspec.structs import fields, replace

from chaingate import __version__

if TYPE_CHECKING:
    from chaingate.core.inventory import Inventory
    from chaingate.engine.result import ScanResult
    from chaingate.engine.scan import Progress, ScanOptions
    from chaingate.guard.pip import Decide, GuardOutcome
    from chaingate.policy.interface import Decision
    from chaingate.policy.policy import Policy

T = TypeVar("T")
Command = Callable[..., None]
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3

# Every command shows its defaults in --help and takes -h as well as --help.
_CONTEXT = {"show_default": True, "help_option_names": ["-h", "--help"]}


@click.group(
    name="chaingate",
    help="Whom does your project trust? Supply-chain risk from the people behind your "
    "dependencies.",
    no_args_is_help=True,
    context_settings=_CONTEXT,
)
@click.version_option(
    __version__, "--version", prog_name="chaingate", message="%(prog)s %(version)s",
    help="Show version.",
)  # fmt: skip
def app() -> None:
    """chaingate: inventory, registry facts, author and release signals."""


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    markdown = "markdown"


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `chaingate: <message>` on stderr and exit; never a traceback for bad input."""
    print(f"chaingate: {message}", file=sys.stderr)
    raise click.exceptions.Exit(code)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--now: not an ISO 8601 date or time: {value!r}")
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _options(*decorators: Callable[[Command], Command]) -> Callable[[Command], Command]:
    """Several click parameters as one decorator, listed in --help in the order given."""

    def apply(f: Command) -> Command:
        for decorate in reversed(decorators):
            f = decorate(f)
        return f

    return apply


def _format_option(kind: type[StrEnum], default: StrEnum) -> Callable[[Command], Command]:
    choices = click.Choice([member.value for member in kind])
    return click.option(
        "--format", "-f", "fmt", type=choices, default=default.value, help="Output format."
    )


def _fail_incomplete_option(what: str = "any package") -> Callable[[Command], Command]:
    return click.option(
        "--fail-incomplete", is_flag=True, help=f"Exit 3 when {what} could not be analysed."
    )


_path_type = click.Path(path_type=Path)
_index_option = click.option(
    "--index-url",
    "-i",
    help="PyPI-compatible index: its base (https://pypi.org) or its /simple URL. "
    "Default: CHAINGATE_INDEX_URL, then pip's index-url, then https://pypi.org.",
)
_output_option = click.option(
    "--output", "-o", type=_path_type, metavar="FILE", help="Write the report to FILE."
)
_cache_dir_option = click.option(
    "--cache-dir",
    type=_path_type,
    help="Cache directory (default: CHAINGATE_CACHE_DIR or the user cache directory).",
)


def _timeout_option(default: float) -> Callable[[Command], Command]:
    return click.option(
        "--timeout", type=click.FloatRange(min=0.1), default=default, help="Seconds per request."
    )


_retries_option = click.option(
    "--retries", type=click.IntRange(0, 10), default=3, help="Retries per request."
)
_policy_option = click.option(
    "--policy",
    type=_path_type,
    help="Policy file (chaingate.toml form). Default: [tool.chaingate] in the project's "
    "pyproject.toml, or a chaingate.toml beside it.",
)
_fail_on_policy_option = click.option(
    "--fail-on",
    help="Also block every finding of this severity or higher (critical, high, medium, "
    "low, info), whatever the policy says.",
)


class _Common(msgspec.Struct, frozen=True):
    """The values of the shared options, gathered once."""

    path: Path | None
    env: bool
    no_resolve: bool
    index_url: str | None
    db: str | None
    no_db: bool
    cache_dir: Path | None
    cache_ttl: float
    refresh: bool
    offline: bool
    concurrency: int
    timeout: float
    retries: int
    now: str | None
    dns_server: list[str] | None
    no_domain_checks: bool
    domain_ttl: float
    dns_timeout: float
    cooldown: float | None = None  # hours; None: the policy's (default 72)
    deep: bool = False  # read every package's code
    no_build: bool = False  # resolve without building source distributions


_PATH_HELP = (
    "PATH: a project directory or one manifest / lock file (default: the current directory)"
)
_ENV_PATH_HELP = "; with --env, a virtualenv (default: this interpreter)"


def _project_options(
    *, env: bool = True, domain_switch: bool = True, cooldown: bool = True, deep: bool = True
) -> Callable[[Command], Command]:
    """The options shared by the commands that analyse a project (scan, check, diff,
    domains), gathered into one `_Common` passed as the command's first argument. The flags
    name the options a command leaves out."""
    params: list[Callable[[Command], Command]] = [
        click.argument("path", required=False, type=_path_type),
        click.option(
            "--no-resolve",
            is_flag=True,
            help="Take the input as complete: do not resolve unpinned requirements.",
        ),
        click.option(
            "--no-build",
            is_flag=True,
            help="Resolve without building any source distribution, so no package's build "
            "code runs; a requirement only an sdist satisfies then fails the resolution.",
        ),
        _index_option,
        click.option(
            "--db",
            help="SQLAlchemy database URL for observations over time (default: CHAINGATE_DB, "
            "else SQLite in the user data directory).",
        ),
        click.option(
            "--no-db", is_flag=True, help="Keep no history (ownership-change is unavailable)."
        ),
        _cache_dir_option,
        click.option(
            "--cache-ttl",
            type=float,
            default=900.0,
            help="Seconds a cached document stays fresh when the index does not say "
            "(pypi.org says 900).",
        ),
        click.option("--refresh", is_flag=True, help="Revalidate every cached document."),
        click.option(
            "--offline",
            is_flag=True,
            help="Use only the cache; a miss makes the package incomplete.",
        ),
        click.option(
            "--concurrency", type=click.IntRange(1, 128), default=16, help="Parallel requests."
        ),
        _timeout_option(20.0),
        _retries_option,
        click.option(
            "--dns-server",
            multiple=True,
            metavar="HOST[:PORT]",
            help="DNS server for email-domain checks; repeatable (default: "
            "CHAINGATE_DNS_SERVERS, comma-separated, else the system's resolver).",
        ),
        click.option(
            "--domain-ttl",
            type=float,
            default=24.0,
            help="Hours a domain's DNS / RDAP answers are reused.",
        ),
        click.option(
            "--dns-timeout",
            type=click.FloatRange(min=0.1),
            default=2.0,
            help="Seconds per DNS query.",
        ),
        click.option("--now", help="Evaluate as of this ISO 8601 time (replaying an incident)."),
    ]
    if env:
        env_option = click.option(
            "--env", is_flag=True, help="Scan an installed environment instead of files."
        )
        params.insert(1, env_option)
    if domain_switch:
        params.append(
            click.option(
                "--no-domain-checks",
                is_flag=True,
                help="Skip DNS and RDAP checks of maintainer email domains.",
            )
        )
    if cooldown:
        params.append(
            click.option(
                "--cooldown",
                type=float,
                help="Hours a release is 'new' (new-release); default: the policy's, 72.",
            )
        )
    if deep:
        params.append(
            click.option(
                "--deep",
                is_flag=True,
                help="Also read every package's code: the file pip would install here, "
                "downloaded, verified and analysed without running it (see `chaingate "
                "inspect`).",
            )
        )
    names = [f.name for f in fields(_Common)]

    def decorate(f: Command) -> Command:
        @functools.wraps(f)
        def command(**kw: Any) -> None:
            shared = {name: kw.pop(name, None) for name in names}
            shared["dns_server"] = list(shared["dns_server"] or ()) or None
            for flag in ("env", "no_domain_checks", "deep", "no_build"):
                shared[flag] = bool(shared[flag])
            f(_Common(**shared), **kw)

        command.__doc__ = f"{f.__doc__}\n\n{_PATH_HELP}{_ENV_PATH_HELP if env else ''}."
        return _options(*params)(command)

    return decorate


def _prepare(c: _Common, pol: Policy | None = None) -> tuple[ScanOptions, Inventory]:
    """The scan options and the inventory for the shared options; exits with code 2 and a
    one-line message on bad input. `pol` is the caller's policy when it has one (check,
    diff); else the project's is read, as check would read it (none for --env)."""
    from chaingate import config
    from chaingate.ecosystems.pypi.registry import IndexUrls
    from chaingate.engine.scan import DomainOptions, ScanOptions
    from chaingate.net.http import HttpSettings

    index, _source = config.index_url(c.index_url)
    try:
        IndexUrls.parse(index)
    except ValueError as exc:
        fail(f"--index-url: {exc}")
    pinned_now = _parse_now(c.now)
    domains = None
    if not c.no_domain_checks:
        try:
            domains = DomainOptions(
                dns_servers=config.dns_servers(c.dns_server),
                bootstrap_url=config.rdap_bootstrap_url(),
                ttl_hours=c.domain_ttl,
                dns_timeout=c.dns_timeout,
            )
        except ValueError as exc:
            fail(f"--dns-server: {exc}")
    if pol is None:
        from chaingate.policy.interface import PolicyError
        from chaingate.policy.policy import Policy, load_policy

        try:
            pol = Policy() if c.env else load_policy(c.path or Path("."))
        except PolicyError as exc:
            fail(str(exc))
    thresholds = pol.thresholds
    if c.cooldown is not None:
        thresholds = replace(thresholds, cooldown_hours=c.cooldown)
    build = pol.build and not c.no_build  # either one forbids building sdists
    cache_dir = config.cache_dir(c.cache_dir)
    inventory = _inventory(
        c.path,
        env=c.env,
        resolve=not c.no_resolve,
        index=index,
        build=build,
        cache_dir=cache_dir,
    )
    opts = ScanOptions(
        index_url=index,
        http=HttpSettings(
            cache_dir=cache_dir,
            ttl=c.cache_ttl,
            timeout=c.timeout,
            retries=c.retries,
            concurrency=c.concurrency,
            refresh=c.refresh,
            offline=c.offline,
        ),
        db_url=None if c.no_db else config.db_url(c.db),
        now=pinned_now,
        thresholds=thresholds,
        ignores=pol.ignores,
        domains=domains,
        deep=c.deep,
    )
    return opts, inventory


def _analyse(c: _Common, pol: Policy | None = None) -> ScanResult:
    """Inventory, facts, domain intelligence and findings for the shared options."""
    from chaingate.engine.scan import run_scan

    opts, inventory = _prepare(c, pol)
    return _run(lambda cb: run_scan(inventory, opts, cb))


def _run(work: Callable[[Progress | None], T]) -> T:
    """Run a scan-like job with a progress bar; store and input errors exit 2."""
    from chaingate.core.inventory import InventoryError
    from chaingate.store.interface import StoreError

    try:
        return _with_progress(work)
    except StoreError as exc:
        fail(str(exc))
    except InventoryError as exc:
        fail(str(exc))


@app.command()
@_format_option(Format, Format.text)
@_output_option
@click.option(
    "--fail-on",
    default="high",
    help="Exit 1 when a finding has this severity or higher (critical, high, medium, low, info).",
)
@_fail_incomplete_option()
@_project_options()
def scan(
    common: _Common, fmt: str, output: Path | None, fail_on: str, fail_incomplete: bool
) -> None:
    """Show whom a project trusts and flag author, release and email-domain risk."""
    from chaingate.core.findings import Severity

    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        fail(f"--fail-on: {exc}")
    result = _analyse(common)
    _emit(result, Format(fmt), output)
    worst = result.worst()
    if worst is not None and worst >= threshold:
        raise click.exceptions.Exit(EXIT_FINDINGS)
    if fail_incomplete and result.incomplete:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


@app.command()
@_policy_option
@_format_option(Format, Format.text)
@_output_option
@_fail_on_policy_option
@_fail_incomplete_option()
@_project_options()
def check(
    common: _Common,
    policy: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    fail_incomplete: bool,
) -> None:
    """The CI gate: scan, apply the policy, and exit 1 when anything is blocked, with one
    screen per block saying what, why, the evidence, and how to fix or except it."""
    from chaingate.policy.interface import Action, PolicyError
    from chaingate.policy.policy import decide, load_policy

    try:
        pol = load_policy(common.path or Path("."), policy)
    except PolicyError as exc:
        fail(str(exc))
    result = _analyse(common, pol)
    today = (_parse_now(common.now) or datetime.now(UTC)).date()
    decisions = decide(result, _with_fail_on(pol, fail_on), today)
    _emit_gate(result, decisions, Format(fmt), output)
    if any(d.action is Action.BLOCK for d in decisions):
        raise click.exceptions.Exit(EXIT_FINDINGS)
    if fail_incomplete and result.incomplete:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def _emit_gate(
    result: ScanResult, decisions: Sequence[Decision], fmt: Format, output: Path | None
) -> None:
    from chaingate.report import gate

    if fmt is Format.text:
        text = gate.render_text(result, list(decisions))
    elif fmt is Format.json:
        from chaingate.report.json import pretty_json

        document = gate.as_document(result, list(decisions))
        text = pretty_json(document)
    else:
        from chaingate.report.interface import get_report

        text = get_report(fmt.value).render(gate.gated_result(result, list(decisions)))
    _write(text, output)


def _with_fail_on(pol: Policy, fail_on: str | None) -> Policy:
    """The policy, with every severity at or above --fail-on blocking."""
    from chaingate.core.findings import Severity
    from chaingate.policy.interface import Action

    if fail_on is None:
        return pol
    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        fail(f"--fail-on: {exc}")
    raised = [s for s in Severity if s >= threshold]
    severity = {**pol.severity, **dict.fromkeys(raised, Action.BLOCK)}
    where = {**pol.where, **{f"severity.{s.label}": f"--fail-on {fail_on}" for s in raised}}
    return replace(pol, severity=severity, where=where)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--output {output}: {exc.strerror or exc}")


@app.command()
@click.option(
    "--base",
    required=True,
    help="Git ref to compare with (e.g. origin/main, HEAD~1), or an older copy of the "
    "manifest / lock file.",
)
@_policy_option
@_format_option(Format, Format.text)
@_output_option
@_fail_on_policy_option
@_fail_incomplete_option("an introduced package")
@_project_options(env=False, deep=False)
def diff(
    common: _Common,
    base: str,
    policy: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    fail_incomplete: bool,
) -> None:
    """Judge a change on its own risk: only the packages, versions and findings it
    introduces compared with --base. Exit codes as for check."""
    from chaingate import config
    from chaingate.core.inventory import InventoryError
    from chaingate.engine.diff import DiffError, empty_inventory, open_base, run_diff
    from chaingate.policy.interface import Action, PolicyError
    from chaingate.policy.policy import decide, load_policy
    from chaingate.report.diff import print_to, render_diff

    target = common.path or Path(".")
    try:
        pol = load_policy(target, policy)
    except PolicyError as exc:
        fail(str(exc))
    opts, head_inventory = _prepare(common, pol)
    index, _ = config.index_url(common.index_url)
    try:
        with open_base(base, target) as b:
            if b.target is None:
                base_inventory = empty_inventory(base)
            else:
                base_inventory = replace(
                    _inventory(
                        b.target,
                        env=False,
                        resolve=not common.no_resolve,
                        index=index,
                        build=pol.build and not common.no_build,
                        cache_dir=opts.http.cache_dir,
                    ),
                    root=base,
                )
            result = _run(
                lambda cb: run_diff(
                    base_inventory, head_inventory, opts, cb, base_label=base,
                    base_commit=b.commit,
                )
            )  # fmt: skip
    except DiffError as exc:
        fail(str(exc))
    except InventoryError as exc:
        fail(f"at --base {base}: {exc}")
    today = (_parse_now(common.now) or datetime.now(UTC)).date()
    decisions = [
        d
        for d in decide(result.as_scan_result(), _with_fail_on(pol, fail_on), today)
        # A deny-listed package the change did not touch is not this change's risk.
        if d.finding.id != "policy-deny"
        or result.is_introduced(d.finding.package, d.finding.version)
    ]
    if fmt == Format.text and output is None:
        from rich.console import Console

        print_to(Console(), result)
    else:
        _write(render_diff(result, fmt), output)
    if any(d.action is Action.BLOCK for d in decisions):
        raise click.exceptions.Exit(EXIT_FINDINGS)
    if fail_incomplete and result.incomplete:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


# Every argument of a guarded install belongs to the installer, --help included.
_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@app.group(
    name="pip",
    help="Install guard: evaluate exactly what pip would install, then install exactly that.",
    no_args_is_help=True,
)
def pip_app() -> None:
    pass


@pip_app.command("install", context_settings=_PASS_THROUGH)
@click.pass_context
def pip_install(ctx: click.Context) -> None:
    """`pip install ARGS...`, guarded: pip's dry run finds the exact set, chaingate scans it
    and applies the project's policy, and only then installs that set pinned by hash. On a
    block nothing is installed. Every argument goes to pip unchanged; chaingate's own
    settings come from CHAINGATE_* variables and the policy in the current directory."""
    from chaingate import config
    from chaingate.guard import pip as guard_pip

    def index() -> str:
        return guard_pip.split_args(ctx.args).index_url or config.index_url(None)[0]

    _guarded_install(
        index,
        lambda opts, decide, announce, progress: guard_pip.guard(
            ctx.args,
            python=guard_pip.target_python(None),
            scan_options=opts,
            decide=decide,
            announce=announce,
            progress=progress,
        ),
        guard_pip.explain,
    )


def _guarded_install(
    index: Callable[[], str],
    run_guard: Callable[
        [ScanOptions, Decide, Callable[[str], None], Progress | None], GuardOutcome
    ],
    explain: Callable[[GuardOutcome], str],
) -> NoReturn:
    """What the pip and uv install guards share: the policy of the current directory, scan
    options from CHAINGATE_* settings for the index `index()` names, the guard run under a
    progress bar, its explanation on stderr and its exit code. `run_guard(options, decide,
    announce, progress)` plans, scans, decides and installs."""
    from chaingate import config
    from chaingate.engine.scan import DomainOptions, ScanOptions
    from chaingate.guard.pip import GuardError
    from chaingate.net.http import HttpSettings
    from chaingate.policy.interface import PolicyError
    from chaingate.policy.policy import decide, load_policy

    try:
        pol = load_policy(Path("."))
    except PolicyError as exc:
        fail(str(exc))
    try:
        opts = ScanOptions(
            index_url=index(),
            http=HttpSettings(cache_dir=config.cache_dir(None)),
            db_url=config.db_url(None),
            thresholds=pol.thresholds,
            ignores=pol.ignores,
            domains=DomainOptions(
                dns_servers=config.dns_servers(None), bootstrap_url=config.rdap_bootstrap_url()
            ),
        )
        today = datetime.now(UTC).date()
        outcome = _run(
            lambda cb: run_guard(
                opts,
                lambda result: decide(result, pol, today),
                lambda text: print(text, file=sys.stderr),
                cb,
            )
        )
    except (GuardError, ValueError) as exc:
        fail(str(exc))
    if outcome.blocked or outcome.warnings or not outcome.allowed:
        print(explain(outcome), file=sys.stderr)
    if not outcome.allowed:
        raise click.exceptions.Exit(EXIT_FINDINGS if outcome.blocked else EXIT_INCOMPLETE)
    raise click.exceptions.Exit(outcome.exit_code or 0)


class InspectFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


@app.command()
@click.argument("target")
@click.option(
    "--against",
    help="Compare with this release: a version of the same project, name==version, an "
    "archive or a directory (default for name==version: the previous release).",
)
@click.option("--no-against", is_flag=True, help="Do not compare with the previous release.")
@_format_option(InspectFormat, InspectFormat.text)
@_output_option
@click.option(
    "--fail-on", default="high", help="Exit 1 when the verdict is this severity or higher."
)
@_index_option
@_cache_dir_option
@_timeout_option(60.0)
@_retries_option
def inspect(
    target: str,
    against: str | None,
    no_against: bool,
    fmt: str,
    output: Path | None,
    fail_on: str,
    index_url: str | None,
    cache_dir: Path | None,
    timeout: float,
    retries: int,
) -> None:
    """Read a package's files without executing anything and report install hooks, .pth
    payloads, obfuscated exec, exfiltration, download-and-execute and bundled binaries;
    with a previous release, what this release changed.

    TARGET: a package archive (.tar.gz, .zip, .whl), a directory, or name==version
    (downloaded from the index and verified against its sha256)."""
    from chaingate import config
    from chaingate.analysis.run import InspectError, InspectOptions, run_inspect
    from chaingate.core.findings import Severity
    from chaingate.net.http import HttpSettings
    from chaingate.report.inspect import render_json, render_sarif, render_text

    try:
        threshold = Severity.parse(fail_on)
    except ValueError as exc:
        fail(f"--fail-on: {exc}")
    opts = InspectOptions(
        index_url=config.index_url(index_url)[0],
        http=HttpSettings(cache_dir=config.cache_dir(cache_dir), timeout=timeout, retries=retries),
    )
    try:
        outcome = run_inspect(target, opts, against=against, no_against=no_against)
    except InspectError as exc:
        fail(str(exc), EXIT_INCOMPLETE if exc.unavailable else EXIT_USAGE)
    except ValueError as exc:  # a malformed index URL
        fail(str(exc))
    render = {
        InspectFormat.text: render_text,
        InspectFormat.json: render_json,
        InspectFormat.sarif: render_sarif,
    }[InspectFormat(fmt)]
    _write(render(outcome), output)
    if outcome.verdict is not None and outcome.verdict >= threshold:
        raise click.exceptions.Exit(EXIT_FINDINGS)


class DomainsFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
@_format_option(DomainsFormat, DomainsFormat.text)
@_output_option
@_project_options(domain_switch=False, cooldown=False, deep=False)
def domains(common: _Common, fmt: str, output: Path | None) -> None:
    """Every maintainer email domain in the tree: status, registration and expiry, and the
    accounts and packages behind it."""
    from chaingate.report.domains import render_domains_json, render_domains_text

    result = _analyse(common)
    text = render_domains_json(result) if fmt == DomainsFormat.json else render_domains_text(result)
    _write(text, output)


def _inventory(
    path: Path | None,
    *,
    env: bool,
    resolve: bool,
    index: str,
    build: bool = True,
    cache_dir: Path | None = None,
) -> Inventory:
    from chaingate.core.inventory import InventoryError
    from chaingate.ecosystems.pypi.resolve import ResolutionError
    from chaingate.inventory.build import build_inventory

    try:
        if env:
            where = str(path) if path else sys.executable
            return build_inventory(Path("."), resolve_deps=False, index_url=index, env=where)
        target = path or Path(".")
        if not target.exists():
            fail(f"{target}: no such file or directory")
        try:
            return build_inventory(
                target, resolve_deps=resolve, index_url=index, build=build, cache_dir=cache_dir
            )
        except ResolutionError as exc:
            # A name missing from the index is the dependency-confusion case the scan exists
            # to report: scan what the files declare, and say the tree is incomplete.
            reason = f"could not resolve dependencies, so transitive ones are unknown: {exc}"
            print(f"chaingate: warning: {reason}", file=sys.stderr)
            declared = build_inventory(
                target, resolve_deps=False, index_url=index, cache_dir=cache_dir
            )
            return replace(declared, unresolved=(*declared.unresolved, reason))
    except InventoryError as exc:
        fail(str(exc))


def _with_progress(run: Callable[[Progress | None], T]) -> T:
    """Run with a progress bar on stderr when a person is watching."""
    if not sys.stderr.isatty():
        return run(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("fetching registry facts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("fetch", total=None)

        def cb(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run(cb)


def _emit(result: ScanResult, fmt: Format, output: Path | None) -> None:
    from chaingate.report.interface import get_report

    if fmt is Format.text and output is None:
        from rich.console import Console

        from chaingate.report.text import print_to

        print_to(Console(), result)
        return
    text = get_report(fmt.value).render(result)
    _write(text, output)


_exit_status = 1  # what the process ends with; main() sets it from the command's SystemExit


def main() -> None:
    """The console script (and `python -m chaingate`).

    A scan loads httpx, msgspec and ~100k objects of facts;
    CPython's interpreter teardown then spends 0.06-0.13 s freeing modules nobody will use
    again. `_skip_teardown`, registered first so it runs after every other exit handler and
    after non-daemon threads have been joined, ends the process right there. Library use
    (`app` under click's test runner, `run_scan`) is unaffected."""
    global _exit_status
    import atexit

    atexit.register(_skip_teardown)
    try:
        app()
        _exit_status = 0
    except SystemExit as exc:
        _exit_status = _status_of(exc.code)
        raise
    except KeyboardInterrupt:
        print("chaingate: interrupted", file=sys.stderr)
        _exit_status = 130
        sys.exit(130)


def _status_of(code: object) -> int:
    """The process status `sys.exit(code)` gives: None is 0, an int is itself, anything else
    (a message, already printed by the interpreter) is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


def _skip_teardown() -> None:
    """Flush what was written, then end the process without freeing every module. A stream
    already closed by its reader (`chaingate scan | head`) is not an error here."""
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(_exit_status)


@app.group(
    name="uv",
    help="Install guard for uv: evaluate exactly what uv would install, then install exactly that.",
    no_args_is_help=True,
)
def uv_app() -> None:
    pass


@uv_app.group(
    name="pip",
    help="Install guard: evaluate exactly what `uv pip` would install, then install exactly that.",
    no_args_is_help=True,
)
def uv_pip_app() -> None:
    pass


@uv_pip_app.command("install", context_settings=_PASS_THROUGH)
@click.pass_context
def uv_pip_install(ctx: click.Context) -> None:
    """`uv pip install ARGS...`, guarded: uv's dry run finds the exact set, chaingate scans
    it and applies the project's policy, and only then installs that set pinned by hash. On
    a block nothing is installed. Every argument goes to uv unchanged; chaingate's own
    settings come from CHAINGATE_* variables and the policy in the current directory."""
    import os

    from chaingate.ecosystems.pypi.registry import DEFAULT_INDEX
    from chaingate.guard import uv as guard_uv

    def index() -> str:
        # The index uv installs from is the one to ask about its packages.
        args = guard_uv.split_args(ctx.args)
        return guard_uv.default_index(args, os.environ.get("CHAINGATE_INDEX_URL") or DEFAULT_INDEX)

    _guarded_install(
        index,
        lambda opts, decide, announce, progress: guard_uv.guard(
            ctx.args,
            uv=guard_uv.find_uv(),
            scan_options=opts,
            decide=decide,
            announce=announce,
            progress=progress,
        ),
        guard_uv.explain,
    )
