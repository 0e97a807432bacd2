"""What the pip and uv adapters truly share: reading pip-style install arguments with an
option table, the planned set as pinned requirements, and running the pinned install.

Splitting install arguments needs to know which options take a value; each adapter has
its table (`option_table`), taken from its installer's own parser. An option not in the
table is an error rather than a guess.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

import msgspec

from chaingate.core.errors import EXIT_INCOMPLETE, ChaingateError
from chaingate.core.findings import Finding
from chaingate.core.inventory import Origin
from chaingate.core.status import Incomplete

ECOSYSTEM = "pypi"
_TAIL_LINES = 12


class InstallError(ChaingateError):
    """The guard cannot go on: bad installer arguments, or the installer's dry run failed.
    Nothing was installed. The CLI prints `chaingate: <message>` and exits 2."""


class Wording(msgspec.Struct, frozen=True):
    """An installer's words in the guard's explanation: its name ("pip would install ...")
    and the note for items whose build backend ran to plan them (`{packages}` names them)."""

    installer: str
    built_note: str


def built_note(ran: str) -> str:
    """The note for items built while planning; `ran` says how sure the installer is."""
    return (
        f"to read the metadata of {{packages}} {ran} its build backend and installed its "
        "build requirements (code that was not judged) before this check."
    )


# --- building: not unless allowed ------------------------------------------------------------

ALLOW_BUILD = "--allow-build"
WHEELS_ONLY = ("--only-binary", ":all:")
"""What the guard adds to the dry run and to the pinned install unless building is allowed:
no source distribution is built, so no build backend or build requirement runs."""


class BuildRefused(InstallError):
    """The install needs a source distribution built, which runs its build backend and its
    build requirements (code from the index) before anything is judged; the guard does not
    do that unless allowed. Nothing ran and nothing was installed: exit 3, like anything
    else the guard could not judge."""

    exit_code = EXIT_INCOMPLETE

    def __init__(self, message: str, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.names = tuple(names)  # the packages that would have to be built


def build_refused(tool: str, names: Sequence[str], said: str) -> BuildRefused:
    """The refusal for `names` (the packages `tool` found no wheel of), quoting `said` (the
    end of the dry run's explanation)."""
    return BuildRefused(
        f"not installed: {', '.join(names)} would have to be built from source, which runs "
        "its build backend and build requirements (code from the index that chaingate has not "
        f"judged) before anything is checked, so the guard let {tool} use wheels only. "
        "Nothing ran and nothing was installed. To build it, pass "
        f"{ALLOW_BUILD} (or set [resolve] build = true in the policy); it and its build "
        "requirements are then judged first.\n" + said,
        names,
    )


def refuse_building_options(args: InstallArgs) -> None:
    """BuildRefused when the user's options ask the installer to build (`--no-binary`, or
    `--only-binary :none:`, which would undo the guard's wheels-only) without allowing it."""
    for option in args.options:
        value = option.value or ""
        if option.name == "--no-binary" or (
            option.name == "--only-binary" and ":none:" in value.split(",")
        ):
            raise BuildRefused(
                f"{' '.join(option.tokens)}: builds from source, which runs code that was not "
                f"judged; pass {ALLOW_BUILD} as well (or set [resolve] build = true in the policy)"
            )


# --- the arguments -------------------------------------------------------------------------


class OptionSpec(msgspec.Struct, frozen=True):
    """One option of an installer's table."""

    name: str  # the first long spelling, used as the option's identity
    takes_value: bool
    requirement: bool = False  # names what to install: never passed to the pinned install


def option_table(
    requirement: tuple[str, ...], value: tuple[str, ...], flag: tuple[str, ...]
) -> dict[str, OptionSpec]:
    """Every spelling of every option -> its description. Each entry of a group lists the
    spellings of one option ("-i --index-url"); the first long one names it."""
    table: dict[str, OptionSpec] = {}
    for group, takes_value, is_requirement in (
        (requirement, True, True),
        (value, True, False),
        (flag, False, False),
    ):
        for spellings in group:
            names = spellings.split()
            name = next(n for n in names if n.startswith("--"))
            option = OptionSpec(name, takes_value, is_requirement)
            table.update(dict.fromkeys(names, option))
    return table


class Option(msgspec.Struct, frozen=True):
    """One option as the user wrote it: `tokens` are the words to pass on (one or two)."""

    name: str  # canonical long name, e.g. "--index-url" for `-i` or `--index`
    tokens: tuple[str, ...]
    value: str | None = None


class InstallArgs(msgspec.Struct, frozen=True):
    """Install arguments split into what to install and how to install it.

    `args` is the input, verbatim (what the dry run gets). `requirements` holds the
    positional specifiers and the requirement options (`-r FILE` etc., as written);
    `options` holds everything else, in order. Each installer names the options that must
    not reach the pinned install (`not_for_pinned_install`).
    """

    args: tuple[str, ...]
    requirements: tuple[str, ...]
    options: tuple[Option, ...]

    not_for_pinned_install: ClassVar[frozenset[str]] = frozenset()

    @property
    def pass_through(self) -> tuple[str, ...]:
        """The options for the pinned install: the user's, minus the requirement arguments
        and the options that would change what a hash-pinned requirement file means."""
        return tuple(
            token
            for option in self.options
            if option.name not in self.not_for_pinned_install
            for token in option.tokens
        )

    def value(self, name: str) -> str | None:
        """The last value given for option `name` (canonical long name), or None."""
        values = [o.value for o in self.options if o.name == name]
        return values[-1] if values else None


def parse_words(
    args: Sequence[str],
    tool: str,
    long: Callable[[str], OptionSpec],
    short: Callable[[str], OptionSpec],
    *,
    take: Callable[[OptionSpec, tuple[str, ...], str | None], None],
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
            raise InstallError(f"{tool} option {word} needs a value")
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
                    raise InstallError(f"{tool} option {name} takes no value")
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


def refuse(refused: Mapping[str, str], option: OptionSpec, tokens: tuple[str, ...]) -> None:
    """InstallError when the guard cannot honour `option` (a `refused` table entry)."""
    if option.name in refused:
        raise InstallError(f"{tokens[0]}: {refused[option.name]}")


# --- the plan ------------------------------------------------------------------------------


class Requirement(msgspec.Struct, frozen=True):
    """One distribution the installer would install, and the files it may install it from.

    `hashes` are `"<algorithm>:<hex>"` as `--hash` wants them: the one file pip or uv
    chose (every file of the version only for a plan made without uv's choice); empty
    for VCS checkouts and local directories, which cannot be hashed. `source` is the PEP
    508 URL of an item that bypasses the index (`git+https://...@<commit>`, `file:///...`).
    `version` is empty when the installer does not say (uv's URL, VCS and path items).
    """

    name: str  # canonical
    version: str
    url: str | None
    hashes: tuple[str, ...]
    origin: Origin
    requested: bool
    source: str | None = None
    editable: bool = False

    @property
    def hash(self) -> str | None:
        return self.hashes[0] if self.hashes else None

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}" if self.version else f"{self.name} @ {self.source}"

    def requirement_line(self) -> str:
        """This item pinned, as a line of a requirements file."""
        if self.origin is Origin.REGISTRY:
            line = f"{self.name}=={self.version}"
        elif self.editable:
            line = f"-e {self.source}"
        else:
            line = f"{self.name} @ {self.source or self.url}"
        return " ".join([line, *(f"--hash={h}" for h in self.hashes)])


A = TypeVar("A", bound=InstallArgs)


class PypiPlan(msgspec.Struct, Generic[A], frozen=True):
    """What `pip install ARGS` or `uv pip install ARGS` would install: the items, the
    dependency graph among them (empty when the installer gives none), the installer's
    version, and the items it built from source to plan them."""

    command: str  # "pip install", "uv pip install"
    args: A
    items: tuple[Requirement, ...]
    graph: dict[str, tuple[str, ...]]
    installer: str  # "pip", "uv"
    version: str
    built: tuple[str, ...] = ()
    # What judging the sources found (`sources.judge`): findings, and the items a source
    # the installer would consult could not be asked about.
    findings: tuple[Finding, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    allow_build: bool = False  # else the dry run and the install use wheels only
    # The installer's configuration options in force (pip: `pip config list`'s keys without
    # their section, PIP_* variables included); None when they were not read.
    settings: tuple[str, ...] | None = None

    @property
    def ecosystem(self) -> str:
        return ECOSYSTEM

    @property
    def manifest(self) -> str:
        return f"{self.command} {shlex.join(self.args.args)}"

    @property
    def resolved_with(self) -> str:
        return f"{self.installer} {self.version}"


def is_wheel(url: str | None) -> bool:
    return bool(url) and str(url).split("#")[0].split("?")[0].endswith(".whl")


class DryRunFailed(InstallError):
    """The installer's dry run failed; `said` is all it printed."""

    def __init__(self, message: str, said: str) -> None:
        super().__init__(message)
        self.said = said


def run_dry(command: list[str], tool: str) -> subprocess.CompletedProcess[str]:
    """Run an installer's dry run with its output captured. DryRunFailed when it fails,
    quoting the end of what it said; InstallError when it cannot be run."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise InstallError(f"cannot run {command[0]}: {exc}") from exc
    if done.returncode != 0:
        raise DryRunFailed(
            f"{tool} could not plan the install:\n{tail(done.stderr, tool)}",
            f"{done.stdout}\n{done.stderr}",
        )
    return done


_LOG_LINE = re.compile(r"^\s*(?:DEBUG|TRACE) ")  # uv's --verbose log, not its explanation


def tail(text: str, tool: str) -> str:
    """The end of an installer's output, to quote in an error (its debug log left out)."""
    lines = [line for line in text.splitlines() if line.strip() and not _LOG_LINE.match(line)]
    return "\n".join(lines[-_TAIL_LINES:]) or f"({tool} printed nothing)"


# --- the install ---------------------------------------------------------------------------


def from_files(
    items: Sequence[Requirement], files: Mapping[str, Path] | None, tmp: Path
) -> list[str]:
    """`--no-index --find-links DIR` when `files` (item key -> local file, fetched and
    checked ahead) covers every item: DIR, under `tmp`, links exactly those files, so the
    install reads nothing from the index. Else no arguments."""
    if not items or files is None or not all(i.key in files for i in items):
        return []
    found = tmp / "files"
    found.mkdir()
    for i in items:
        (found / files[i.key].name).symlink_to(files[i.key].absolute())
    return ["--no-index", "--find-links", str(found)]


def run_pinned(
    runs: Iterable[tuple[Sequence[Requirement], Sequence[str]]],
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
            raise InstallError(f"cannot run {tool}: {exc}") from exc
        if code != 0:
            return code
    return 0
