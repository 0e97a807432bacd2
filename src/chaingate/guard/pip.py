"""`chaingate pip install ARGS...`: pip's dry run, a verdict, then exactly that set pinned.

Three steps, each one pip invocation or one scan:

1. `plan`: `python -m pip install --dry-run --report FILE ARGS` with the user's arguments
   untouched, so pip's own semantics decide (already satisfied packages are not
   reinstalled, `--upgrade`, `--user`, `--target`, index options, pip's configuration and
   `PIP_*` variables all apply). The report lists every distribution pip would install,
   the file it chose and that file's hash.
2. `guard` scans that set (`run_scan`) and decides: a decision hook (the policy engine) or,
   by default, block on any finding at or above `fail_on`.
3. `install`: `python -m pip install --no-deps --require-hashes -r PINNED OPTIONS`, where
   PINNED holds `name==version --hash=sha256:...` for every planned item and OPTIONS are
   the user's options without the requirement arguments (positional specifiers, `-r`,
   `-c`, `-e`, `--group`, `--requirements-from-script`). pip resolves nothing new: what
   was judged is what gets installed, and a file swapped on the index in between fails
   the hash check. While the scan runs, `fetch_files` downloads the planned wheels into
   the cache (by hash, checked), so the install reads them from disk (`--no-index
   --find-links`) instead of asking the index for every name again; when a file cannot
   be fetched that way (a private index with credentials, a source distribution), pip
   downloads it itself, still hash-pinned.

Splitting pip's arguments needs to know which options take a value; `_OPTIONS` is that
table, taken from pip 26.3's own parser (`pip install --help`) plus options older pips
still accept. Long options may be abbreviated as pip's optparse allows (`--index` for
`--index-url`). An option not in the table is an error rather than a guess.

Limits: VCS and local-directory items cannot be hash-checked by pip, so they are installed
in a second step without `--require-hashes` (VCS pinned to the commit pip resolved). And
to read the metadata of a source distribution without static metadata pip builds it during
the dry run, which runs its build backend before the verdict; `Plan.built` names those,
and `--only-binary :all:` avoids it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx
import msgspec
from msgspec.structs import replace
from packaging.utils import canonicalize_name

from chaingate.core.errors import ChaingateError
from chaingate.core.findings import Severity
from chaingate.core.inventory import Inventory, InventoryError, Location, Origin, Package
from chaingate.core.status import Incomplete
from chaingate.ecosystems.pypi import NAME as ECOSYSTEM
from chaingate.ecosystems.pypi.environment import _origin as origin_from_direct_url
from chaingate.ecosystems.pypi.environment import find_python
from chaingate.ecosystems.pypi.resolve import ResolutionError
from chaingate.ecosystems.pypi.resolve import _from_pip_report as graph_from_pip_report
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import Progress, ScanOptions, run_scan
from chaingate.inventory.build import shortest_paths
from chaingate.policy.interface import Action, Decision

_TAIL_LINES = 12
_HASH_ALGORITHMS = ("sha256", "sha384", "sha512")  # the ones pip's --hash accepts
_MAX_PATHS = 3


class GuardError(ChaingateError):
    """The guard cannot go on: bad pip arguments, or pip's dry run failed. Nothing was
    installed. The CLI prints `chaingate: <message>` and exits 2."""


# --- pip's arguments -----------------------------------------------------------------------


class _Option(msgspec.Struct, frozen=True):
    name: str  # the first long spelling, used as the option's identity
    takes_value: bool
    requirement: bool = False  # names what to install: never passed to the pinned install


def _table() -> dict[str, _Option]:
    """Every spelling of every `pip install` option -> the option."""
    requirement = (  # options that say what to install
        "-r --requirement",
        "-c --constraint",
        "-e --editable",
        "--requirements-from-script",
        "--group",
    )
    value = (
        "-t --target",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--root",
        "--prefix",
        "--src --source --source-dir --source-directory",
        "--upgrade-strategy",
        "-C --config-settings",
        "--progress-bar",
        "--root-user-action",
        "--report",
        "--build-constraint",
        "--all-releases",
        "--only-final",
        "--no-binary",
        "--only-binary",
        "-i --index-url --pypi-url",
        "--extra-index-url",
        "--refresh-package",
        "-f --find-links",
        "--uploaded-prior-to",
        "--python",
        "--log --log-file --local-log",
        "--keyring-provider",
        "--proxy",
        "--retries",
        "--timeout --default-timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--use-feature",
        "--use-deprecated",
        "--resume-retries",
        # accepted by older pips only
        "--global-option",
        "--install-option",
        "--build-option",
        "-b --build --build-dir --build-directory",
    )
    flag = (
        "--no-deps --no-dependencies",
        "--only-deps --only-dependencies",
        "--dry-run",
        "--user",
        "--no-user",
        "-U --upgrade",
        "--force-reinstall",
        "-I --ignore-installed",
        "--ignore-requires-python",
        "--no-build-isolation",
        "--use-pep517",
        "--check-build-dependencies",
        "--break-system-packages",
        "--compile",
        "--no-compile",
        "--no-warn-script-location",
        "--no-warn-conflicts",
        "--require-hashes",
        "--no-require-hashes",
        "--no-clean",
        "--pre",
        "--prefer-binary",
        "--no-index",
        "-h --help",
        "-V --version",
        "--debug",
        "--isolated",
        "--require-virtualenv --require-venv",
        "-v --verbose",
        "-q --quiet",
        "--no-input",
        "--no-proxy-env",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--no-color",
        "--no-python-version-warning",
        # accepted by older pips only
        "--no-use-pep517",
    )
    return option_table(requirement, value, flag)


def option_table(
    requirement: tuple[str, ...], value: tuple[str, ...], flag: tuple[str, ...]
) -> dict[str, _Option]:
    """Every spelling of every option -> its description. Each entry of a group lists the
    spellings of one option ("-i --index-url"); the first long one names it."""
    table: dict[str, _Option] = {}
    for group, takes_value, is_requirement in (
        (requirement, True, True),
        (value, True, False),
        (flag, False, False),
    ):
        for spellings in group:
            names = spellings.split()
            name = next(n for n in names if n.startswith("--"))
            option = _Option(name, takes_value, is_requirement)
            table.update(dict.fromkeys(names, option))
    return table


_OPTIONS = _table()
_REFUSED = {
    "--dry-run": "the guard runs pip's dry run itself; leave --dry-run out",
    "--report": "the guard writes pip's report itself; leave --report out",
    "--help": "for pip's own help run `pip install --help`",
    "--version": "for pip's version run `pip --version`; it installs nothing",
}
# Flags that would change what the pinned install does with its requirement file.
_NOT_FOR_PINNED_INSTALL = frozenset({"--only-deps", "--no-require-hashes"})


class PipOption(msgspec.Struct, frozen=True):
    """One option as the user wrote it: `tokens` are the words to pass on (one or two)."""

    name: str  # canonical long name, e.g. "--index-url" for `-i` or `--index`
    tokens: tuple[str, ...]
    value: str | None = None


class PipArgs(msgspec.Struct, frozen=True):
    """The arguments of `pip install`, split into what to install and how to install it.

    `args` is the input, verbatim (what the dry run gets). `requirements` holds the
    positional specifiers and the requirement options (`-r FILE` etc., as written);
    `options` holds everything else, in order.
    """

    args: tuple[str, ...]
    requirements: tuple[str, ...]
    options: tuple[PipOption, ...]

    @property
    def pass_through(self) -> tuple[str, ...]:
        """The options for the pinned install: the user's, minus the requirement arguments
        and the flags that would change what a hash-pinned requirement file means."""
        return tuple(
            token
            for option in self.options
            if option.name not in _NOT_FOR_PINNED_INSTALL
            for token in option.tokens
        )

    def value(self, name: str) -> str | None:
        """The last value given for option `name` (canonical long name), or None."""
        values = [o.value for o in self.options if o.name == name]
        return values[-1] if values else None

    @property
    def index_url(self) -> str | None:
        """The `--index-url` the user gave pip, if any: the scan should ask the same index."""
        return self.value("--index-url")


def _long(word: str) -> _Option:
    """The option a long spelling names, allowing unique abbreviations like optparse."""
    if word in _OPTIONS:
        return _OPTIONS[word]
    matches = {o.name for spelling, o in _OPTIONS.items() if spelling.startswith(word)}
    if len(matches) == 1:
        return _OPTIONS[matches.pop()]
    if matches:
        raise GuardError(f"pip option {word} is ambiguous: {', '.join(sorted(matches))}")
    raise GuardError(f"unknown pip install option {word}")


def split_args(args: Sequence[str]) -> PipArgs:
    """Split `pip install` arguments the way pip's parser would. GuardError on an unknown
    or refused option (`--dry-run`, `--report`, `--help`) or a missing value."""
    requirements: list[str] = []
    options: list[PipOption] = []

    def take(option: _Option, tokens: tuple[str, ...], value: str | None) -> None:
        if option.name in _REFUSED:
            raise GuardError(f"{tokens[0]}: {_REFUSED[option.name]}")
        if option.requirement:
            requirements.extend(tokens)
        else:
            options.append(PipOption(option.name, tokens, value))

    rest = parse_words(
        args,
        "pip",
        _long,
        lambda letter: _OPTIONS.get(letter) or _unknown(letter),
        take=take,
        positional=requirements.append,
        joined_short=False,
    )
    requirements.extend(rest or ())
    return PipArgs(tuple(args), tuple(requirements), tuple(options))


def _unknown(letter: str) -> _Option:
    raise GuardError(f"unknown pip install option {letter}")


def parse_words(
    args: Sequence[str],
    tool: str,
    long: Callable[[str], _Option],
    short: Callable[[str], _Option],
    *,
    take: Callable[[_Option, tuple[str, ...], str | None], None],
    positional: Callable[[str], None],
    joined_short: bool,
) -> list[str] | None:
    """Walk install arguments the way pip's and uv's parsers do: `--name value`,
    `--name=value`, clusters of short options (`-qU`, `-ihttps://...`), positionals. Each
    option goes to `take` with the words that spelled it; the words after `--` are returned
    (None without a `--`). `joined_short` keeps an attached short value in one word, the
    way uv also accepts `-i=URL`."""
    i = 0

    def next_value(word: str) -> str:
        nonlocal i
        if i >= len(args):
            raise GuardError(f"{tool} option {word} needs a value")
        i += 1
        return args[i - 1]

    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            return list(args[i:])
        if word.startswith("--"):
            name, eq, attached = word.partition("=")
            option = long(name)
            if not option.takes_value:
                if eq:
                    raise GuardError(f"{tool} option {name} takes no value")
                take(option, (word,), None)
            elif eq:
                take(option, (word,), attached)
            else:
                value = next_value(name)
                take(option, (word, value), value)
        elif word.startswith("-") and len(word) > 1:
            j = 1
            while j < len(word):
                letter = f"-{word[j]}"
                option = short(letter)
                j += 1
                if not option.takes_value:
                    take(option, (letter,), None)
                    continue
                if j < len(word) and joined_short:
                    value = word[j:].removeprefix("=")
                    take(option, (f"{letter}{value}",), value)
                else:
                    value = word[j:] or next_value(letter)
                    take(option, (letter, value), value)
                break
        else:
            positional(word)
    return None


# --- the plan: pip's dry run ---------------------------------------------------------------


class Planned(msgspec.Struct, frozen=True):
    """One distribution pip would install, and the exact file it chose.

    `hash` is `"<algorithm>:<hex>"` of that file as pip's `--hash` wants it; None for VCS
    checkouts and local directories, which pip cannot hash. `source` is the PEP 508 URL of
    an item that bypasses the index (`git+https://...@<commit>`, `file:///...`).
    """

    name: str  # canonical
    version: str
    url: str | None
    hash: str | None
    origin: Origin
    requested: bool
    source: str | None = None
    editable: bool = False

    @property
    def sha256(self) -> str | None:
        if self.hash and self.hash.startswith("sha256:"):
            return self.hash.removeprefix("sha256:")
        return None

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}"

    def requirement_line(self) -> str:
        """This item pinned, as a line of a requirements file."""
        if self.origin is Origin.REGISTRY:
            line = f"{self.name}=={self.version}"
        elif self.editable:
            return f"-e {self.source}"
        else:
            line = f"{self.name} @ {self.source or self.url}"
        return f"{line} --hash={self.hash}" if self.hash else line


class Plan(msgspec.Struct, frozen=True):
    """What `pip install ARGS` would do: the items, and the same set as an `Inventory`."""

    args: PipArgs
    items: tuple[Planned, ...]
    inventory: Inventory
    pip_version: str
    built: tuple[str, ...] = ()  # items pip built from a source distribution to plan them

    @property
    def description(self) -> str:
        return _describe(self.args)


def _describe(args: PipArgs) -> str:
    return f"pip install {shlex.join(args.args)}"


def plan(pip_args: Sequence[str], python: str = sys.executable) -> Plan:
    """Ask `python`'s pip what `pip install pip_args` would install, without installing.

    GuardError when the arguments cannot be split or pip fails (with the end of pip's
    own explanation), and when pip reports a file it gives no hash for.
    """
    args = split_args(pip_args)
    with tempfile.TemporaryDirectory(prefix="chaingate-guard-") as tmp:
        report_file = Path(tmp) / "report.json"
        command = [
            python, "-m", "pip", "install", "--dry-run", "--quiet", "--report",
            str(report_file), "--disable-pip-version-check", "--no-input", *args.args,
        ]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise GuardError(f"cannot run {python}: {exc}") from exc
        if done.returncode != 0:
            raise GuardError(f"pip could not plan the install:\n{_tail(done.stderr)}")
        try:
            report = json.loads(report_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise GuardError(f"pip wrote no installation report: {exc}") from exc
    return plan_from_report(args, report)


def plan_from_report(args: PipArgs, report: Mapping[str, Any]) -> Plan:
    """The plan a pip installation report (format version 1) describes."""
    try:
        items = tuple(_planned(item) for item in report["install"])
        pip_version = str(report.get("pip_version", "unknown"))
        graph = graph_from_pip_report(report).graph
    except ResolutionError as exc:
        raise GuardError(str(exc)) from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise GuardError(f"pip's installation report lacks {exc}") from exc
    unpinnable = [i.key for i in items if i.hash is None and i.origin in _HASHABLE]
    if unpinnable:
        raise GuardError(
            f"pip gives no hash for {', '.join(unpinnable)}, so the install cannot be pinned "
            "to the files that were checked"
        )
    built = tuple(i.key for i in items if not _is_wheel(i.url))
    inventory = _inventory(items, graph, _describe(args), pip_version)
    return Plan(args, items, inventory, pip_version, built)


_HASHABLE = (Origin.REGISTRY, Origin.URL)


def _is_wheel(url: str | None) -> bool:
    return bool(url) and str(url).split("#")[0].split("?")[0].endswith(".whl")


def _planned(item: Mapping[str, Any]) -> Planned:
    metadata = item["metadata"]
    info: Mapping[str, Any] = item.get("download_info") or {}
    archive = info.get("archive_info")
    direct = bool(item.get("is_direct"))
    origin, source = origin_from_direct_url(json.dumps(info)) if direct else (Origin.REGISTRY, None)
    dir_info = info.get("dir_info")
    return Planned(
        name=canonicalize_name(str(metadata["name"])),
        version=str(metadata["version"]),
        url=str(info["url"]) if info.get("url") else None,
        hash=_hash(archive) if isinstance(archive, Mapping) else None,
        origin=origin,
        requested=bool(item.get("requested")),
        source=source,
        editable=isinstance(dir_info, Mapping) and bool(dir_info.get("editable")),
    )


def _hash(archive: Mapping[str, Any]) -> str | None:
    """`"sha256:<hex>"` from an archive_info: `hashes` (pip >= 23) or the older `hash`."""
    hashes = dict(archive.get("hashes") or {})
    legacy = archive.get("hash")
    if isinstance(legacy, str) and "=" in legacy:
        algorithm, _, digest = legacy.partition("=")
        hashes.setdefault(algorithm, digest)
    for algorithm in _HASH_ALGORITHMS:
        if hashes.get(algorithm):
            return f"{algorithm}:{hashes[algorithm]}"
    return None


def _inventory(
    items: Sequence[Planned],
    graph: Mapping[str, tuple[str, ...]],
    description: str,
    pip_version: str,
) -> Inventory:
    """The planned set as the scan's input: requested items are direct, the others carry
    the chains of names that pull them in (or just their own name when the parent is
    already installed and so not in the report)."""
    direct = sorted(i.name for i in items if i.requested)
    paths = shortest_paths(direct, graph, _MAX_PATHS)
    where = (Location(description),)
    packages = tuple(
        Package(
            ecosystem=ECOSYSTEM,
            name=i.name,
            version=i.version,
            direct=i.requested,
            paths=tuple(paths.get(i.name) or [(i.name,)]),
            origin=i.origin,
            url=i.source or (i.url if i.origin is not Origin.REGISTRY else None),
            locations=where,
        )
        for i in sorted(items, key=lambda i: i.name)
    )
    return Inventory(
        root=os.getcwd(),
        packages=packages,
        manifests=(description,),
        resolved_with=f"pip {pip_version}",
        graph=dict(graph),
    )


def _tail(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return "\n".join(lines[-_TAIL_LINES:]) or "(pip printed nothing)"


# --- the install: exactly the plan ---------------------------------------------------------


def install(
    plan: Plan, python: str = sys.executable, files: Mapping[str, Path] | None = None
) -> int:
    """Install exactly `plan.items`, pinned, with the user's options; pip's exit code.

    Hash-pinned items go in one `--require-hashes` run: from `files` (`fetch_files`: item
    key -> local wheel) with `--no-index` when it covers them all, else from the index.
    VCS checkouts and directories, which pip cannot hash, follow in a second run. pip's
    output goes to our stdout and stderr.
    """
    hashed = [i for i in plan.items if i.hash is not None]
    unhashed = [i for i in plan.items if i.hash is None]
    with tempfile.TemporaryDirectory(prefix="chaingate-guard-") as tmp:
        local: list[str] = []
        if hashed and files is not None and all(i.key in files for i in hashed):
            found = Path(tmp) / "files"
            found.mkdir()
            for i in hashed:
                (found / files[i.key].name).symlink_to(files[i.key].absolute())
            local = ["--no-index", "--find-links", str(found)]

        def command(extra: Sequence[str], pinned: Path) -> list[str]:
            return [
                python, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps",
                *extra, "-r", str(pinned), *plan.args.pass_through,
            ]  # fmt: skip

        runs: list[tuple[Sequence[Planned], Sequence[str]]] = [
            (hashed, ["--require-hashes", *local]),
            (unhashed, []),
        ]
        return run_pinned(runs, command, Path(tmp), python)


def run_pinned(
    runs: Iterable[tuple[Sequence[Planned], Sequence[str]]],
    command: Callable[[Sequence[str], Path], list[str]],
    tmp: Path,
    tool: str,
) -> int:
    """Install each run of items (skipping empty ones) from a requirements file of their
    pinned lines in `tmp`: `command(extra_args, file)` is the installer's command line. The
    first failing exit code, else 0."""
    for items, extra in runs:
        if not items:
            continue
        pinned = tmp / "pinned.txt"
        pinned.write_text("".join(f"{i.requirement_line()}\n" for i in items), "utf-8")
        try:
            code = subprocess.run(command(extra, pinned), check=False).returncode
        except OSError as exc:
            raise GuardError(f"cannot run {tool}: {exc}") from exc
        if code != 0:
            return code
    return 0


_FETCH_WORKERS = 8


def fetch_files(plan: Plan, cache_dir: Path, timeout: float = 60.0) -> dict[str, Path] | None:
    """The wheel of every hash-pinned item as a local file, item key -> path, or None when
    any cannot be had (then `install` lets pip download from the index).

    Files are kept under `cache_dir/files/<algorithm>-<hex>/<filename>`: named by their
    hash, they never go stale, and a warm install downloads nothing. Every file is
    checked against the planned hash, from the network and from the cache alike. Source
    distributions are left to pip: building one needs the index for its build
    dependencies.
    """
    wanted = [i for i in plan.items if i.hash is not None]
    if not wanted or not all(_is_wheel(i.url) for i in wanted):
        return None
    with (
        httpx.Client(timeout=timeout, follow_redirects=True) as client,
        ThreadPoolExecutor(_FETCH_WORKERS) as pool,
    ):
        paths = list(pool.map(lambda i: _fetch(client, i, cache_dir), wanted))
    if any(p is None for p in paths):
        return None
    return {i.key: p for i, p in zip(wanted, paths, strict=True) if p is not None}


def _fetch(client: httpx.Client, item: Planned, cache_dir: Path) -> Path | None:
    assert item.url is not None and item.hash is not None
    algorithm, _, digest = item.hash.partition(":")
    parts = urlsplit(item.url)
    if parts.scheme == "file":  # a --find-links directory or a local wheel: use it in place
        path = Path(url2pathname(unquote(parts.path)))
        return path if _digest(path, algorithm) == digest else None
    filename = unquote(parts.path.rsplit("/", 1)[-1])
    if not filename or "/" in filename or filename.startswith("."):
        return None
    path = cache_dir / "files" / f"{algorithm}-{digest}" / filename
    if path.is_file() and _digest(path, algorithm) == digest:
        return path
    try:
        resp = client.get(item.url)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200 or hashlib.new(algorithm, resp.content).hexdigest() != digest:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{filename}.{os.getpid()}.part")
        partial.write_bytes(resp.content)
        partial.replace(path)
    except OSError:
        return None
    return path


def _digest(path: Path, algorithm: str) -> str | None:
    try:
        return hashlib.new(algorithm, path.read_bytes()).hexdigest()
    except OSError:
        return None


# --- the verdict ---------------------------------------------------------------------------

Decide = Callable[[ScanResult], Sequence[Decision]]
"""A policy: one decision per finding of a scan (the policy engine's `decide`, bound to a
policy and a date)."""


def severity_gate(fail_on: Severity = Severity.HIGH) -> Decide:
    """The default policy: block a finding at or above `fail_on`, warn about the others
    from low up, ignore informational ones."""
    rule_block = f"default: severity {fail_on.label} or above blocks"
    rule_warn = f"default: below {fail_on.label} warns"

    def decide(result: ScanResult) -> list[Decision]:
        decisions = []
        for f in result.findings:
            if f.severity >= fail_on:
                decisions.append(Decision(f, Action.BLOCK, rule_block))
            elif f.severity >= Severity.LOW:
                decisions.append(Decision(f, Action.WARN, rule_warn))
            else:
                decisions.append(Decision(f, Action.IGNORE, "default: informational"))
        return decisions

    return decide


class GuardOutcome(msgspec.Struct, frozen=True):
    """What the guard did. `exit_code` is pip's exit code of the install, or None when
    nothing was installed because the verdict blocked; `result` is None when pip had
    nothing to install (no scan was needed)."""

    plan: Plan
    result: ScanResult | None
    decisions: tuple[Decision, ...]
    exit_code: int | None
    fail_incomplete: bool = False

    @property
    def blocked(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.action is Action.BLOCK)

    @property
    def warnings(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.action is Action.WARN)

    @property
    def incomplete(self) -> tuple[Incomplete, ...]:
        return self.result.incomplete if self.result else ()

    @property
    def allowed(self) -> bool:
        """The verdict: True when the planned set may be installed."""
        return not self.blocked and not (self.fail_incomplete and self.incomplete)

    @property
    def installed(self) -> bool:
        return self.exit_code == 0 and bool(self.plan.items)


def guard(
    pip_args: Sequence[str],
    *,
    python: str = sys.executable,
    scan_options: ScanOptions,
    fail_on: Severity = Severity.HIGH,
    decide: Decide | None = None,
    fail_incomplete: bool = False,
    announce: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> GuardOutcome:
    """Plan, scan, decide, and install only when nothing blocks.

    `decide` replaces the default `severity_gate(fail_on)`. With `fail_incomplete`, a
    package that could not be analysed blocks too. `announce` receives the explanation
    (`explain`) once the verdict is known and before pip installs anything, so the user
    reads the verdict above pip's output. GuardError as for `plan`.
    """
    the_plan = plan(pip_args, python)
    if not the_plan.items:
        outcome = GuardOutcome(the_plan, None, (), 0, fail_incomplete)
        if announce:
            announce(explain(outcome))
        return outcome
    cache_dir = scan_options.http.cache_dir
    with ThreadPoolExecutor(1) as background:
        # The wheels download while the scan runs; they are not installed unless allowed.
        fetching: Future[dict[str, Path] | None] | None = None
        if cache_dir is not None:
            fetching = background.submit(fetch_files, the_plan, cache_dir)
        result = run_scan(the_plan.inventory, scan_options, progress)
        decisions = tuple((decide or severity_gate(fail_on))(result))
        outcome = GuardOutcome(the_plan, result, decisions, None, fail_incomplete)
        if announce:
            announce(explain(outcome))
        files = fetching.result() if fetching is not None else None
    if not outcome.allowed:
        return outcome
    return replace(outcome, exit_code=install(the_plan, python, files))


def explain(outcome: GuardOutcome) -> str:
    """The verdict in words: what pip would install, what blocks it and why, what warns."""
    p = outcome.plan
    if not p.items:
        return "chaingate: pip would install nothing (every requirement is already satisfied)."
    shown = ", ".join(f"{i.name} {i.version}" for i in p.items[:8])
    shown += f" and {len(p.items) - 8} more" if len(p.items) > 8 else ""
    count = f"{len(p.items)} package(s)"
    lines: list[str] = []
    if outcome.blocked:
        lines.append(
            f"chaingate: blocked: pip would install {count} ({shown}); "
            f"{len(outcome.blocked)} finding(s) block it. Nothing was installed."
        )
        lines += [_decision_lines(d, p) for d in outcome.blocked]
    elif not outcome.allowed:
        lines.append(
            f"chaingate: blocked: pip would install {count} ({shown}), but "
            f"{len(outcome.incomplete)} could not be analysed (--fail-incomplete). Nothing "
            "was installed."
        )
    else:
        lines.append(
            f"chaingate: checked the {count} pip would install ({shown}): nothing blocks. "
            "Installing exactly these, pinned to the files that were checked."
        )
    for d in outcome.warnings:
        f = d.finding
        lines.append(f"  warning: {_who(d, p)}: {f.id} ({f.severity.label}): {f.message}")
    for inc in outcome.incomplete:
        version = f" {inc.version}" if inc.version else ""
        lines.append(f"  not analysed: {inc.package}{version}: {inc.reason}")
    if p.built:
        lines.append(
            f"  note: to read the metadata of {', '.join(p.built)} pip ran its build backend "
            "(code from the package) before this check; --only-binary :all: avoids that."
        )
    return "\n".join(lines)


def _who(d: Decision, p: Plan) -> str:
    """`name version`, and the chain that pulls it in when the user did not ask for it."""
    f = d.finding
    who = f"{f.package} {f.version}" if f.package and f.version else f.package or "the set"
    pkg = next((x for x in p.inventory.packages if x.name == f.package), None)
    if pkg is not None and not pkg.direct and pkg.paths and len(pkg.paths[0]) > 1:
        who += f" (pulled in by {' -> '.join(pkg.paths[0])})"
    return who


def _decision_lines(d: Decision, p: Plan) -> str:
    f = d.finding
    return f"  {_who(d, p)}: {f.id} ({f.severity.label})\n    {f.message}\n    rule: {d.rule}"


def target_python(where: str | None = None) -> str:
    """The interpreter whose pip the guard drives: `where` (a venv directory or a python),
    else the active virtualenv (`VIRTUAL_ENV`), else the interpreter running chaingate."""
    where = where or os.environ.get("VIRTUAL_ENV")
    if not where:
        return sys.executable
    try:
        return str(find_python(where))
    except InventoryError as exc:
        raise GuardError(str(exc)) from exc
