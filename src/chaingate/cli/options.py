"""The options the commands share, and what their values mean: the project options gathered
into one `Common`, the format / output / fail-on options, and the errors a bad value gives
(`CommandError`, printed by the one handler in `cli/entry.py`)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import msgspec
from msgspec.structs import fields, replace

from chaingate.core.errors import EXIT_INCOMPLETE, ChaingateError

if TYPE_CHECKING:
    from chaingate.core.findings import Severity
    from chaingate.policy.policy import Policy

Command = Callable[..., None]


class CommandError(ChaingateError):
    """A bad option value or command-line input, said as `chaingate: <message>` (exit 2)."""


class Number(click.FloatRange):
    """A number within bounds: click's FloatRange lets `nan` through (every comparison with
    it is false), and a `timedelta` or a timeout of 1e300 overflows."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number:  # nan
            self.fail(f"{value!r} is not a number.", param, ctx)
        return number


HOURS = Number(0, 100 * 365 * 24)  # up to a century


def parse_now(value: str | None, option: str = "--now") -> datetime | None:
    """--now (or --as-of) as a UTC time (a time without a zone is UTC, a date is its
    00:00 UTC); None when not given."""
    if value is None:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: not an ISO 8601 date or time: {value!r}") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_as_of(value: str | None) -> datetime | None:
    """--as-of as a UTC time, like --now; a time still to come is refused: there is nothing
    to reconstruct yet."""
    when = parse_now(value, "--as-of")
    if when is not None and when > datetime.now(UTC):
        raise CommandError(f"--as-of: {value} is in the future")
    return when


def today(now: str | None) -> date:
    """The day policy expiries are judged on: --now's, else today's (UTC)."""
    return (parse_now(now) or datetime.now(UTC)).date()


def parse_fail_on(value: str) -> Severity:
    from chaingate.core.findings import Severity

    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise CommandError(f"--fail-on: {exc}") from None


def with_fail_on(pol: Policy, fail_on: str | None) -> Policy:
    """The policy, with every severity at or above --fail-on blocking."""
    from chaingate.core.findings import Severity
    from chaingate.policy.interface import Action

    if fail_on is None:
        return pol
    threshold = parse_fail_on(fail_on)
    raised = [s for s in Severity if s >= threshold]
    severity = {**pol.severity, **dict.fromkeys(raised, Action.BLOCK)}
    where = {**pol.where, **{f"severity.{s.label}": f"--fail-on {fail_on}" for s in raised}}
    return replace(pol, severity=severity, where=where)


EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a command ended by SIGPIPE


def stdout_console() -> Any:
    """The terminal's rich Console for a text report. Rich ends the process with exit 1
    when the reader of a pipe leaves (`chaingate scan | head`), which a gate would read as
    "blocked"; this one ends with `EXIT_BROKEN_PIPE`, as `write` does."""
    from rich.console import Console

    class Terminal(Console):
        def on_broken_pipe(self) -> None:
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE)

    return Terminal()


def write(text: str, output: Path | None) -> None:
    """The report on stdout, or in --output's file."""
    if output is None:
        try:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left: `chaingate scan -f json | head`
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--output {output}: {exc.strerror or exc}") from None


def options(*decorators: Callable[[Command], Command]) -> Callable[[Command], Command]:
    """Several click parameters as one decorator, listed in --help in the order given."""

    def apply(f: Command) -> Command:
        for decorate in reversed(decorators):
            f = decorate(f)
        return f

    return apply


def format_option(document: str) -> Callable[[Command], Command]:
    """--format, its choices every format that renders the command's `document` kind
    (report/formats: adding a format there offers it here)."""
    from chaingate.report.formats import formats_of

    choices = click.Choice(list(formats_of(document)))
    return click.option(
        "--format", "-f", "fmt", type=choices, default="text", help="Output format."
    )


def fail_incomplete_option(what: str = "any package") -> Callable[[Command], Command]:
    return click.option(
        "--fail-incomplete", is_flag=True, help=f"Exit 3 when {what} could not be analysed."
    )


def gate_incomplete_option(what: str = "any package") -> Callable[[Command], Command]:
    """The gates fail closed: exit 3 when `what` could not be analysed, unless allowed."""
    allow = click.option(
        "--allow-incomplete",
        is_flag=True,
        help=f"Pass (with a warning) when {what} could not be analysed; by default the gate "
        "exits 3. Policy: [gate] allow_incomplete = true.",
    )
    fail = click.option(
        "--fail-incomplete",
        is_flag=True,
        hidden=True,
        help="The default (kept for old workflows); overrides the policy's allow_incomplete.",
    )
    return lambda f: allow(fail(f))


def incomplete_gate(
    incomplete: int, *, allow_flag: bool, fail_flag: bool, policy_allows: bool, what: str
) -> None:
    """Exit 3 for `incomplete` packages not analysed, unless allowed (then warn loudly)."""
    if not incomplete:
        return
    if fail_flag or not (allow_flag or policy_allows):
        print(
            f"chaingate: {incomplete} {what} could not be analysed: not passed (exit 3). "
            "--allow-incomplete or [gate] allow_incomplete = true lets them through.",
            file=sys.stderr,
        )
        raise click.exceptions.Exit(EXIT_INCOMPLETE)
    why = "--allow-incomplete" if allow_flag else "[gate] allow_incomplete = true"
    print(
        f"chaingate: warning: {incomplete} {what} could not be analysed and pass anyway ({why})",
        file=sys.stderr,
    )


path_type = click.Path(path_type=Path)
index_option = click.option(
    "--index-url",
    "-i",
    help="PyPI-compatible index: its base (https://pypi.org) or its /simple URL. "
    "Default: CHAINGATE_INDEX_URL, then pip's index-url, then https://pypi.org.",
)
github_api_option = click.option(
    "--github-api-url",
    help="GitHub REST API for the facts of actions and pre-commit hooks. Default: "
    "CHAINGATE_GITHUB_API_URL, then https://api.github.com (token: GITHUB_TOKEN).",
)
output_option = click.option(
    "--output", "-o", type=path_type, metavar="FILE", help="Write the report to FILE."
)
cache_dir_option = click.option(
    "--cache-dir",
    type=path_type,
    help="Cache directory (default: CHAINGATE_CACHE_DIR or the user cache directory).",
)


def timeout_option(default: float) -> Callable[[Command], Command]:
    return click.option(
        "--timeout", type=Number(0.1, 86_400), default=default, help="Seconds per request."
    )


retries_option = click.option(
    "--retries", type=click.IntRange(0, 10), default=3, help="Retries per request."
)
policy_option = click.option(
    "--policy",
    type=path_type,
    help="Policy file (chaingate.toml form). Default: [tool.chaingate] in the project's "
    "pyproject.toml, or a chaingate.toml beside it.",
)
fail_on_policy_option = click.option(
    "--fail-on",
    help="Also block every finding of this severity or higher (critical, high, medium, "
    "low, info), whatever the policy says.",
)


class Common(msgspec.Struct, frozen=True):
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
    no_build: bool = False  # resolve without building source distributions (the default)
    allow_build: bool = False  # resolution may build source distributions (run their code)
    deadline: float | None = None  # seconds the command may spend fetching; None: no limit
    max_document_size: int = 64  # MiB a registry document may have, decompressed
    as_of: str | None = None  # the time machine: the registries' facts as of then
    advisories: str | None = None  # online, offline, off; None: CHAINGATE_ADVISORIES
    scope: list[str] | None = None  # --scope: only the packages of these scopes
    python_version: str | None = None  # the interpreter resolution targets
    platform: str | None = None  # the platform resolution targets (uv's --python-platform)
    github_api_url: str | None = None  # None: CHAINGATE_GITHUB_API_URL, else api.github.com


_PATH_HELP = (
    "PATH: a project directory or one manifest / lock file (default: the current directory)"
)
_ENV_PATH_HELP = "; with --env, a virtualenv (default: this interpreter)"


def project_options(
    *,
    env: bool = True,
    domain_switch: bool = True,
    cooldown: bool = True,
    deep: bool = True,
    as_of: bool = True,
) -> Callable[[Command], Command]:
    """The options shared by the commands that analyse a project (scan, check, diff,
    domains), gathered into one `Common` passed as the command's first argument. The flags
    name the options a command leaves out."""
    params: list[Callable[[Command], Command]] = [
        click.argument("path", required=False, type=path_type),
        click.option(
            "--no-resolve",
            is_flag=True,
            help="Take the input as complete: do not resolve unpinned requirements.",
        ),
        click.option(
            "--allow-build",
            is_flag=True,
            help="Let the resolver build source distributions that have no static metadata: "
            "their build backends and build requirements (code from the index, not judged) "
            "run on this machine. By default nothing is built and a requirement only an "
            "sdist satisfies leaves the tree incomplete. Policy: [resolve] build = true.",
        ),
        click.option(
            "--no-build",
            is_flag=True,
            help="Never build, whatever the policy says (the default without "
            "[resolve] build = true).",
        ),
        click.option(
            "--scope",
            multiple=True,
            metavar="SCOPE",
            help="Only the packages pulled in by this scope: runtime, extra:<name> or a "
            "dependency group (dev, test, docs, ...); repeatable. Default: every scope.",
        ),
        click.option(
            "--python-version",
            metavar="X.Y",
            help="Resolve unlocked manifests for this Python version (uv's --python-version). "
            "Default: the lowest version the project's requires-python admits, else this "
            "interpreter's.",
        ),
        click.option(
            "--platform",
            metavar="PLATFORM",
            help="Resolve unlocked manifests for this platform, e.g. linux, windows, macos, "
            "x86_64-manylinux_2_28 (uv's --python-platform). Default: this machine's.",
        ),
        index_option,
        github_api_option,
        click.option(
            "--db",
            help="SQLAlchemy database URL for observations over time (default: CHAINGATE_DB, "
            "else SQLite in the user data directory).",
        ),
        click.option(
            "--no-db", is_flag=True, help="Keep no history (ownership-change is unavailable)."
        ),
        cache_dir_option,
        click.option(
            "--cache-ttl",
            type=Number(0, 100 * 365 * 86_400),
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
        timeout_option(20.0),
        retries_option,
        click.option(
            "--deadline",
            type=click.FloatRange(min=0.1),
            metavar="SECONDS",
            help="Stop fetching this many seconds after the command started; what was not "
            "fetched by then is incomplete ('scan deadline reached'). Default: no limit "
            "(each document still ends after --timeout x (--retries + 1) seconds).",
        ),
        click.option(
            "--max-document-size",
            type=click.IntRange(1, 4096),
            default=64,
            metavar="MIB",
            help="Largest registry document read, decompressed; a larger one makes the "
            "package incomplete ('too large').",
        ),
        click.option(
            "--advisories",
            type=click.Choice(["online", "offline", "off"]),
            help="Known advisories for every pin: online (the OSV API at CHAINGATE_OSV_URL, "
            "default https://api.osv.dev), offline (the dump `chaingate advisories update` "
            "fetched; also with --offline) or off (the registry's own lists only). Default: "
            "CHAINGATE_ADVISORIES, else online.",
        ),
        click.option(
            "--dns-server",
            multiple=True,
            metavar="HOST[:PORT]",
            help="DNS server for email-domain checks; repeatable (default: "
            "CHAINGATE_DNS_SERVERS, comma-separated, else the system's resolver).",
        ),
        click.option(
            "--domain-ttl",
            type=HOURS,
            default=24.0,
            help="Hours a domain's DNS / RDAP answers are reused.",
        ),
        click.option(
            "--dns-timeout",
            type=Number(0.1, 3_600),
            default=2.0,
            help="Seconds per DNS query.",
        ),
        click.option(
            "--now",
            help="Pin the clock of the evaluation to this ISO 8601 time, judging today's "
            "facts (tests, replays of recorded documents).",
        ),
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
                type=HOURS,
                help="Hours a release is 'new' (new-release); default: the policy's, 72.",
            )
        )
    if as_of:
        params.append(
            click.option(
                "--as-of",
                metavar="TIME",
                help="The time machine: what chaingate would have said at this ISO 8601 date or "
                "time (UTC without a zone): releases and files uploaded after it are left out and "
                "the signals judge at it; owners and emails come from the store's observations "
                "by then; what only today's data says (email domains, advisories, owners not "
                "yet observed then) is listed under checks as 'as of now'. The store is not "
                "written.",
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
    names = [f.name for f in fields(Common)]

    def decorate(f: Command) -> Command:
        @functools.wraps(f)
        def command(**kw: Any) -> None:
            shared = {name: kw.pop(name, None) for name in names}
            shared["dns_server"] = list(shared["dns_server"] or ()) or None
            shared["scope"] = list(shared["scope"] or ()) or None
            for flag in ("env", "no_domain_checks", "deep", "no_build", "allow_build"):
                shared[flag] = bool(shared[flag])
            f(Common(**shared), **kw)

        command.__doc__ = f"{f.__doc__}\n\n{_PATH_HELP}{_ENV_PATH_HELP if env else ''}."
        return options(*params)(command)

    return decorate
