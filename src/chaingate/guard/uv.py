"""`chaingate uv pip install ARGS...`: uv's dry run, the same verdict, then exactly that set.

The pip guard (`chaingate.guard.pip`) with uv in pip's place. uv writes no installation
report, so the steps differ in how the set is found and pinned:

1. `plan`: `uv pip install --dry-run --color never ARGS` with the user's arguments (minus
   `-q`/`-v`/`--color`, which would hide or decorate what uv prints), so uv's own semantics
   decide: already satisfied packages, `--upgrade`, `--reinstall`, indexes, `--python`,
   `--system`, `--target`, uv's configuration and `UV_*` variables. uv prints the exact set
   to stderr (`Would install 2 packages`, ` + six==1.17.0`, ` + pkg @ git+https://...@<commit>`,
   ` - six==1.16.0` for what an upgrade replaces); `parse_dry_run` reads it and refuses
   output it does not fully understand rather than guess.
2. The hashes uv gives none of: for each `name==version` chaingate reads the index's
   simple page (PEP 691 JSON or HTML, through its own cached HttpClient) and takes the
   sha256 of every file published for that version, as `uv pip compile --generate-hashes`
   does (uv picks the file for the platform; any of them is acceptable). The indexes are
   consulted as uv would: `--index`, then `--extra-index-url`, then the default index,
   stopping at the first that has the project (uv's `first-index` strategy; the `unsafe-*`
   strategies take all of them), plus `--find-links` locations. A version with no hash
   there cannot be pinned: GuardError.
3. The same scan and decision as the pip guard (`run_scan`, `severity_gate` or the policy).
4. `install`: `uv pip install --no-deps --require-hashes -r PINNED OPTIONS`, where OPTIONS
   are the user's options without the requirement arguments; URL, VCS and path items (uv
   cannot hash a checkout or a directory) follow in a second run pinned by URL (VCS at the
   commit uv resolved), editables as editables.

`_OPTIONS` is uv's `pip install` option table (uv 0.13: `uv pip install --help` plus the
hidden spellings and aliases uv accepts). uv's parser (clap) allows no abbreviations, so
neither does this one; an option not in the table is an error rather than a guess.

Limits: uv does not say which file it chose, so a registry item is pinned to all files of
its version on the index (not the one file that gets installed), and the dependency graph
is unknown (transitive items carry the path `(name,)`). Indexes from uv's configuration
files (`uv.toml`, `[tool.uv]`) are not read: the hashes come from the indexes on the command
line and in `UV_*` variables, else the scan's index; when uv installs from another index,
the pinned install fails its hash check and installs nothing. Editables are recognised from
`-e` on the command line and in `-r` requirement files; an editable that comes from
`[tool.uv.sources]` is installed non-editable.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import msgspec
from msgspec.structs import replace
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from chaingate.core.facts import RegistryError
from chaingate.core.findings import Severity
from chaingate.core.inventory import Inventory, InventoryError, Origin
from chaingate.ecosystems.pypi.manifests import requirements
from chaingate.ecosystems.pypi.registry import DEFAULT_INDEX, SIMPLE_JSON, IndexUrls
from chaingate.ecosystems.pypi.resolve import _uv_binary
from chaingate.ecosystems.pypi.simple import parse_simple_page
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import Progress, ScanOptions, run_scan
from chaingate.guard.pip import (
    Decide,
    GuardError,
    GuardOutcome,
    PipArgs,
    PipOption,
    Plan,
    Planned,
    _inventory,
    _is_wheel,
    _Option,
    option_table,
    parse_words,
    run_pinned,
    severity_gate,
)
from chaingate.guard.pip import explain as explain_pip
from chaingate.net.http import FetchError, HttpClient, HttpSettings

__all__ = [
    "Change",
    "GuardError",
    "UvArgs",
    "UvPlan",
    "UvPlanned",
    "default_index",
    "explain",
    "find_uv",
    "guard",
    "install",
    "parse_dry_run",
    "plan",
    "plan_from_changes",
    "split_args",
]

_TAIL_LINES = 12


def find_uv() -> str:
    """The uv executable: the one the `uv` package ships, else one on PATH."""
    found = _uv_binary()
    if found is None:
        raise GuardError("uv is not installed")
    return found


# --- uv's arguments ------------------------------------------------------------------------


def _table() -> dict[str, _Option]:
    """Every spelling of every `uv pip install` option -> the option."""
    requirement = (  # options that say what to install
        "-r --requirements --requirement",
        "-e --editable",
        "-c --constraints --constraint",
        "--overrides --override",
        "--excludes --exclude",
        "--group",
    )
    value = (
        "-b --build-constraints --build-constraint",
        "--extra",
        "--no-editable-package",
        "--cert",
        "-t --target",
        "--prefix",
        "--no-binary",
        "--only-binary",
        "--python-version",
        "--python-platform",
        "--output-format",
        "--torch-backend",
        "--index",
        "--default-index",
        "-i --index-url",
        "--extra-index-url",
        "-f --find-links",
        "--index-strategy",
        "--keyring-provider",
        "-P --upgrade-package",
        "--upgrade-group",
        "--resolution",
        "--prerelease",
        "--prerelease-package",
        "--fork-strategy",
        "--exclude-newer",
        "--exclude-newer-package",
        "--no-sources-package",
        "--reinstall-package",
        "--link-mode",
        "-C --config-setting --config-settings",
        "--config-settings-package",
        "--no-build-isolation-package",
        "--cache-dir",
        "--refresh-package",
        "-p --python",
        "--python-preference",
        "--python-fetch",
        "--color",
        "--allow-insecure-host --trusted-host",
        "--preview-features --preview-feature",
        "--directory",
        "--project",
        "--config-file",
    )
    flag = (
        "--no-editable",
        "--all-extras",
        "--no-all-extras",
        "--no-deps",
        "--deps",
        "--require-hashes",
        "--no-require-hashes",
        "--verify-hashes",
        "--no-verify-hashes",
        "--require-build-hashes",
        "--system",
        "--no-system",
        "--break-system-packages",
        "--no-break-system-packages",
        "--no-build",
        "--build",
        "--exact",
        "--inexact --no-exact",
        "--strict",
        "--no-strict",
        "--dry-run",
        "--check",
        "--user",
        "--disable-pip-version-check",
        "--no-index",
        "-U --upgrade",
        "--no-upgrade",
        "--pre",
        "--no-sources",
        "--reinstall --force-reinstall",
        "--no-reinstall",
        "--compile-bytecode --compile",
        "--no-compile-bytecode --no-compile",
        "--no-build-isolation",
        "--build-isolation",
        "-n --no-cache --no-cache-dir",
        "--refresh",
        "--no-refresh",
        "--managed-python",
        "--no-managed-python",
        "--no-python-downloads",
        "--allow-python-downloads",
        "-q --quiet",
        "-v --verbose",
        "--no-color",
        "--system-certs",
        "--no-system-certs",
        "--native-tls",
        "--no-native-tls",
        "--offline",
        "--no-offline",
        "--preview",
        "--no-preview",
        "--isolated",
        "--show-settings",
        "--no-progress",
        "--no-installer-metadata",
        "--no-config",
        "-h --help",
    )
    return option_table(requirement, value, flag)


_OPTIONS = _table()
_REFUSED = {
    "--dry-run": "the guard runs uv's dry run itself; leave --dry-run out",
    "--check": "the guard installs; to only check, run `uv pip install --check` itself",
    "--exact": "the pinned install names only the packages that change, so --exact would "
    "remove every other package; it is not supported by the guard",
    "--show-settings": "shows uv's settings instead of installing; run uv itself",
    "--help": "for uv's own help run `uv pip install --help`",
}
# Options that would hide or decorate the dry run's output (the install still gets them).
_NOT_FOR_DRY_RUN = frozenset({"--quiet", "--verbose", "--color", "--no-color"})
# Options that select what to install (extras and groups of the requirement sources) or
# that the pinned install sets itself (uv refuses a flag given twice).
_NOT_FOR_PINNED_INSTALL = frozenset(
    {
        "--extra",
        "--all-extras",
        "--no-all-extras",
        "--upgrade-group",
        "--no-deps",
        "--deps",
        "--require-hashes",
        "--no-require-hashes",
        "--no-verify-hashes",
    }
)


class UvArgs(PipArgs, frozen=True):
    """The arguments of `uv pip install`, split like `PipArgs`: `args` verbatim,
    `requirements` the positional requirements and requirement options as written,
    `options` everything else. `packages` are the positional requirements alone, `sources`
    the requirement options (`-r`, `-e`, `-c`, ...), and `dry_run` the words the dry run
    gets."""

    packages: tuple[str, ...] = ()
    sources: tuple[PipOption, ...] = ()
    dry_run: tuple[str, ...] = ()

    @property
    def pass_through(self) -> tuple[str, ...]:
        """The options for the pinned install: the user's, minus the requirement arguments,
        the extras and groups that select them, and the flags the install sets itself."""
        return tuple(
            token
            for option in self.options
            if option.name not in _NOT_FOR_PINNED_INSTALL
            for token in option.tokens
        )

    def values(self, name: str) -> list[str]:
        """Every value given for option `name` (canonical long name), in order."""
        return [o.value for o in (*self.options, *self.sources) if o.name == name and o.value]

    def given(self, name: str) -> bool:
        return any(o.name == name for o in (*self.options, *self.sources))

    @property
    def index_url(self) -> str | None:
        """The default index the user gave uv (`--default-index`, else `--index-url`)."""
        return self.value("--default-index") or self.value("--index-url")


def split_args(args: Sequence[str]) -> UvArgs:
    """Split `uv pip install` arguments the way uv's parser would. GuardError on an unknown
    or refused option (`--dry-run`, `--check`, `--exact`, `--help`, ...), a missing value,
    or requirements read from stdin (`-r -`), which cannot be read twice."""
    packages: list[str] = []
    sources: list[PipOption] = []
    options: list[PipOption] = []
    dry_run: list[str] = []

    def take(option: _Option, tokens: tuple[str, ...], value: str | None) -> None:
        if option.name in _REFUSED:
            raise GuardError(f"{tokens[0]}: {_REFUSED[option.name]}")
        if option.requirement and value == "-":
            raise GuardError(
                f"{' '.join(tokens)}: the guard reads the requirements twice (plan, then install); "
                "write them to a file"
            )
        (sources if option.requirement else options).append(PipOption(option.name, tokens, value))
        if option.name not in _NOT_FOR_DRY_RUN:
            dry_run.extend(tokens)

    def positional(word: str) -> None:
        packages.append(word)
        dry_run.append(word)

    lookup = lambda word: _OPTIONS.get(word) or _unknown(word)  # noqa: E731
    rest = parse_words(
        args, "uv", lookup, lookup, take=take, positional=positional, joined_short=True
    )
    if rest is not None:
        packages.extend(rest)
        dry_run.extend(["--", *rest])
    requirement_words = (*packages, *(t for o in sources for t in o.tokens))
    return UvArgs(
        args=tuple(args),
        requirements=requirement_words,
        options=tuple(options),
        packages=tuple(packages),
        sources=tuple(sources),
        dry_run=tuple(dry_run),
    )


def _unknown(word: str) -> _Option:
    raise GuardError(f"unknown uv pip install option {word}")


def _python_args(args: UvArgs, python: str | None) -> list[str]:
    """`--python PYTHON` when the caller names an interpreter and the user did not choose
    one (`--python`, `--system`); otherwise uv finds the environment itself, the same way
    for the dry run and the install."""
    if python is None or args.given("--python") or args.given("--system"):
        return []
    return ["--python", python]


# --- the plan: uv's dry run ----------------------------------------------------------------


class Change(msgspec.Struct, frozen=True):
    """One line of uv's dry run: `name==version`, or `name @ url` for a URL, VCS or path
    item (uv prints no version for those)."""

    name: str  # canonical
    version: str | None
    url: str | None


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NAME = r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
_CHANGE_LINE = re.compile(r"^ (?P<sign>[-+~]) (?P<what>.*)$")
_PINNED_LINE = re.compile(rf"^{_NAME}==(?P<version>[^\s=@]+)$")
_URL_LINE = re.compile(rf"^{_NAME} @ (?P<url>\S+)$")
_FROM_LINE = re.compile(rf"^{_NAME}==(?P<version>[^\s=@]+) \(from (?P<url>\S+)\)$")  # older uv
_WOULD = re.compile(r"^Would (?P<verb>install|uninstall) (?P<count>\d+) packages?$")
_NO_CHANGES = "Would make no changes"


def parse_dry_run(stderr: str) -> tuple[Change, ...]:
    """What `uv pip install --dry-run` says it would install (` + ` and ` ~ ` lines).

    The count in `Would install N packages` must match the lines that follow, every change
    line must read as `name==version` or `name @ url`, and output with neither that count
    nor `Would make no changes` is not understood: GuardError in each case, never a guess.
    """
    text = _ANSI.sub("", stderr)
    installs: list[Change] = []
    removals: list[Change] = []
    counts: dict[str, int] = {}
    no_changes = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line == _NO_CHANGES:
            no_changes = True
            continue
        would = _WOULD.match(line)
        if would:
            counts[would["verb"]] = counts.get(would["verb"], 0) + int(would["count"])
            continue
        change = _CHANGE_LINE.match(line)
        if change is None:
            continue  # "Resolved 3 packages in 2ms", "Using Python ...", warnings
        parsed = _change(change["what"])
        if parsed is None:
            raise GuardError(f"cannot read this line of uv's dry run: {line.strip()!r}")
        (removals if change["sign"] == "-" else installs).append(parsed)
    if not counts and not no_changes:
        raise GuardError(
            "cannot read uv's dry run: it names no packages to install and does not say "
            f"it would make no changes:\n{_tail(text)}"
        )
    for verb, found in (("install", installs), ("uninstall", removals)):
        if counts.get(verb, 0) != len(found):
            raise GuardError(
                f"cannot read uv's dry run: it says it would {verb} {counts.get(verb, 0)} "
                f"package(s) but lists {len(found)}:\n{_tail(text)}"
            )
    names = [c.name for c in installs]
    if len(set(names)) != len(names):
        raise GuardError(f"cannot read uv's dry run: a package is listed twice:\n{_tail(text)}")
    return tuple(installs)


def _change(what: str) -> Change | None:
    for pattern in (_PINNED_LINE, _URL_LINE, _FROM_LINE):
        found = pattern.match(what)
        if found:
            groups = found.groupdict()
            return Change(
                canonicalize_name(groups["name"]), groups.get("version"), groups.get("url")
            )
    return None


def _tail(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-_TAIL_LINES:]) or "(uv printed nothing)"


class UvPlanned(Planned, frozen=True):
    """A planned item with every acceptable hash: uv does not say which of the version's
    files it picks, so the pin accepts each file the index publishes for the version.
    `version` is empty for URL, VCS and path items, whose version uv does not print."""

    hashes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}" if self.version else f"{self.name} @ {self.source}"

    def requirement_line(self) -> str:
        if self.origin is Origin.REGISTRY:
            return " ".join([f"{self.name}=={self.version}", *(f"--hash={h}" for h in self.hashes)])
        if self.editable:
            return f"-e {self.source}"
        return f"{self.name} @ {self.source}"


class UvPlan(Plan, frozen=True):
    """What `uv pip install ARGS` would do. `args` is a `UvArgs`; `pip_version` holds uv's
    version."""

    @property
    def uv_args(self) -> UvArgs:
        assert isinstance(self.args, UvArgs)
        return self.args

    @property
    def description(self) -> str:
        return _describe(self.args)


def _describe(args: PipArgs) -> str:
    return f"uv pip install {shlex.join(args.args)}"


def default_index(args: UvArgs, fallback: str) -> str:
    """The default index uv uses: `--default-index`/`--index-url`, else `UV_DEFAULT_INDEX`
    or `UV_INDEX_URL`, else `fallback` (chaingate's configured index)."""
    return (
        _index_location(args.index_url or "")
        or _index_location(os.environ.get("UV_DEFAULT_INDEX", ""))
        or _index_location(os.environ.get("UV_INDEX_URL", ""))
        or fallback
    )


def plan(
    uv_args: Sequence[str],
    *,
    python: str | None = None,
    uv: str | None = None,
    http: HttpSettings,
    index_url: str = DEFAULT_INDEX,
) -> UvPlan:
    """Ask uv what `uv pip install uv_args` would install, without installing, and pin each
    registry item to the hashes its index publishes.

    `python` is passed as `--python` unless the user chose an interpreter; `index_url` is
    the default index when the user gives uv none. GuardError when the arguments cannot
    be split, uv fails (with the end of uv's explanation), its output cannot be read, or
    an item cannot be pinned.
    """
    args = split_args(uv_args)
    uv = uv or find_uv()
    command = [
        uv, "pip", "install", "--dry-run", "--color", "never",
        *_python_args(args, python), *args.dry_run,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise GuardError(f"cannot run {uv}: {exc}") from exc
    if done.returncode != 0:
        raise GuardError(f"uv could not plan the install:\n{_tail(done.stderr)}")
    changes = parse_dry_run(done.stderr)
    return plan_from_changes(
        args, changes, http=http, index_url=index_url, uv_version=_uv_version(uv)
    )


def _uv_version(uv: str) -> str:
    try:
        out = subprocess.run([uv, "--version"], capture_output=True, text=True, check=False)
    except OSError:
        return "unknown"
    words = out.stdout.split()
    return words[1] if len(words) > 1 and words[0] == "uv" else "unknown"


def plan_from_changes(
    args: UvArgs,
    changes: Sequence[Change],
    *,
    http: HttpSettings,
    index_url: str = DEFAULT_INDEX,
    uv_version: str = "unknown",
) -> UvPlan:
    """The plan for the set a dry run printed: hashes from the indexes, direct items (the
    requirements the user named) told from the rest, editables recognised."""
    base = Path(args.value("--directory") or ".")
    direct = _direct_names(args, base)
    editable_names, editable_urls = _editables(args, base)
    wanted = [(c.name, c.version) for c in changes if c.url is None and c.version]
    hashes = _pin_hashes(wanted, _sources(args, index_url, base), http) if wanted else {}
    unpinnable = [f"{n}=={v}" for n, v in wanted if not hashes.get((n, v))]
    if unpinnable:
        raise GuardError(
            f"the index publishes no sha256 for {', '.join(unpinnable)}, so the install "
            "cannot be pinned to the files that were checked"
        )
    items: list[UvPlanned] = []
    for c in changes:
        if c.url is None:
            found = hashes[(c.name, str(c.version))]
            items.append(
                UvPlanned(
                    name=c.name,
                    version=str(c.version),
                    url=None,
                    hash=found[0],
                    origin=Origin.REGISTRY,
                    requested=c.name in direct,
                    hashes=found,
                )
            )
            continue
        origin = _origin_of(c.url)
        is_editable = origin is Origin.PATH and (
            c.name in editable_names or _same_location(c.url, editable_urls)
        )
        items.append(
            UvPlanned(
                name=c.name,
                version=c.version or "",
                url=c.url,
                hash=None,
                origin=origin,
                requested=c.name in direct or _same_location(c.url, _url_words(args, base)),
                source=c.url,
                editable=is_editable,
            )
        )
    description = _describe(args)
    inventory = _uv_inventory(items, description, uv_version)
    built = tuple(i.key for i in items if i.origin is not Origin.REGISTRY and not _is_wheel(i.url))
    return UvPlan(args, tuple(items), inventory, uv_version, built)


def _uv_inventory(items: Sequence[UvPlanned], description: str, uv_version: str) -> Inventory:
    """The pip guard's inventory of the set, without a graph (uv's dry run gives none), and
    no version for URL, VCS and path items."""
    inventory = _inventory(items, {}, description, uv_version)
    packages = tuple(replace(p, version=p.version or None) for p in inventory.packages)
    return replace(inventory, packages=packages, resolved_with=f"uv {uv_version}")


def _origin_of(url: str) -> Origin:
    scheme = url.split(":", 1)[0].lower()
    if "+" in scheme and scheme.split("+", 1)[0] in ("git", "hg", "svn", "bzr"):
        return Origin.VCS
    if scheme == "file":
        return Origin.PATH
    return Origin.URL


# --- which items the user asked for, and which are editable ---------------------------------


def _names_in(line: str, display: str, base: Path) -> set[str]:
    """The canonical names a requirements line (or `-r FILE`) declares as direct, or none
    when chaingate's reader cannot tell (uv reads more formats than requirements files)."""
    try:
        manifest = requirements.parse_text(line, display, base)
    except (InventoryError, OSError, ValueError):
        return set()
    return {e.name for e in manifest.entries if e.direct}


def _is_requirements_text(value: str) -> bool:
    return not value.endswith((".toml", ".py", ".cfg")) and "://" not in value


def _direct_names(args: UvArgs, base: Path) -> set[str]:
    """The requirements named on the command line (positional, `-e`) and in its `-r`
    requirement files, by canonical name."""
    lines = [*args.packages]
    for o in args.sources:
        if o.value is None:
            continue
        if o.name == "--editable":
            lines.append(f"-e {shlex.quote(o.value)}")
        elif o.name == "--requirements" and _is_requirements_text(o.value):
            lines.append(f"-r {shlex.quote(o.value)}")
    return {name for line in lines for name in _names_in(line, "command line", base)}


def _editables(args: UvArgs, base: Path) -> tuple[set[str], set[str]]:
    """Names and locations (`file:` URLs) of the editables the user asked for: `-e` on the
    command line and `-e` lines in `-r` requirement files (followed through `-r` lines)."""
    names: set[str] = set()
    urls: set[str] = set()
    seen: set[Path] = set()
    for o in args.sources:
        if o.value is None:
            continue
        if o.name == "--editable":
            names |= _names_in(f"-e {shlex.quote(o.value)}", "command line", base)
            urls |= _location_url(o.value, base)
        elif o.name == "--requirements" and _is_requirements_text(o.value):
            _editables_in(base / o.value, names, urls, seen)
    return names, urls


def _editables_in(path: Path, names: set[str], urls: set[str], seen: set[Path]) -> None:
    try:
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return
    for line in re.sub(r"\\\r?\n", " ", text).splitlines():
        code = re.sub(r"(^|\s)#.*$", "", line).strip()
        try:
            words = shlex.split(code)
        except ValueError:
            continue
        if not words:
            continue
        head, _, attached = words[0].partition("=")
        value = attached or (words[1] if len(words) > 1 else "")
        if head in ("-e", "--editable") and value:
            names |= _names_in(f"-e {shlex.quote(value)}", str(path), path.parent)
            urls |= _location_url(value, path.parent) | _location_url(value, Path("."))
        elif head in ("-r", "--requirement", "--requirements") and value:
            _editables_in(path.parent / value, names, urls, seen)


def _location_url(value: str, base: Path) -> set[str]:
    """`value` (a path or a `file:` URL) as the `file:` URL uv prints for it."""
    if "://" in value or value.startswith("file:"):
        return {value}
    try:
        return {(base / value).resolve().as_uri()}
    except (OSError, ValueError):
        return set()


def _url_words(args: UvArgs, base: Path) -> set[str]:
    """The URLs and paths among the positional requirements, as URLs."""
    found: set[str] = set()
    for word in args.packages:
        if "://" in word or word.startswith(("file:", ".", "/", "~")):
            found |= _location_url(os.path.expanduser(word), base)
    return found


def _same_location(url: str, wanted: Iterable[str]) -> bool:
    """Whether `url` (as uv printed it, VCS URLs with `@<commit>`) is one of `wanted` (as
    the user wrote it, perhaps without a commit)."""
    plain = url.rstrip("/")
    for w in wanted:
        w = w.rstrip("/")
        if plain == w or (plain.startswith(w + "@") and "/" not in plain[len(w) + 1 :]):
            return True
    return False


# --- the hashes: the index's simple pages --------------------------------------------------


class _Sources(msgspec.Struct, frozen=True):
    indexes: tuple[str, ...]  # simple roots, in uv's order of priority
    find_links: tuple[str, ...]
    first_index: bool


def _index_location(value: str) -> str:
    """The URL of an `--index` value (`name=url` or `url`)."""
    named = re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*=(.+)$", value.strip())
    return named.group(1) if named else value.strip()


def _listed(args: UvArgs, name: str, variable: str, separator: str | None) -> list[str]:
    """An option's values as uv splits them, else the values of its environment variable."""
    given = args.values(name) or [os.environ.get(variable, "")]
    return [v for value in given for v in value.split(separator) if v.strip()]


def _sources(args: UvArgs, fallback: str, base: Path) -> _Sources:
    """Where uv looks for files: `--index`, then `--extra-index-url`, then the default
    index; `--find-links` locations besides."""
    indexes = [_index_location(v) for v in _listed(args, "--index", "UV_INDEX", None)]
    extra = _listed(args, "--extra-index-url", "UV_EXTRA_INDEX_URL", None)
    default = default_index(args, "") or IndexUrls.parse(fallback).simple
    no_index = args.given("--no-index") or _truthy(os.environ.get("UV_NO_INDEX", ""))
    roots = () if no_index else tuple(_local(r, base) for r in (*indexes, *extra, default))
    links = tuple(
        _local(v.strip(), base) for v in _listed(args, "--find-links", "UV_FIND_LINKS", ",")
    )
    strategy = args.value("--index-strategy") or os.environ.get("UV_INDEX_STRATEGY")
    return _Sources(tuple(dict.fromkeys(roots)), links, strategy in (None, "", "first-index"))


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")


def _local(location: str, base: Path) -> str:
    """A location as a URL: paths (relative to `base`) become `file:` URLs."""
    if "://" in location or location.startswith("file:"):
        return location
    return (base / os.path.expanduser(location)).resolve().as_uri()


def _pin_hashes(
    wanted: Sequence[tuple[str, str]], sources: _Sources, http: HttpSettings
) -> dict[tuple[str, str], tuple[str, ...]]:
    """`"sha256:<hex>"` of every file each `(name, version)` has in `sources`."""
    for name, version in wanted:
        try:
            Version(version)
        except InvalidVersion as exc:
            raise GuardError(f"uv's dry run names {name}=={version}: {exc}") from exc
    return asyncio.run(_pin_all(wanted, sources, http))


async def _pin_all(
    wanted: Sequence[tuple[str, str]], sources: _Sources, http: HttpSettings
) -> dict[tuple[str, str], tuple[str, ...]]:
    async with HttpClient(http) as client:
        found = await asyncio.gather(*(_pin_one(client, n, v, sources) for n, v in wanted))
    return dict(zip(wanted, found, strict=True))


async def _pin_one(
    client: HttpClient, name: str, version: str, sources: _Sources
) -> tuple[str, ...]:
    def wanted(filename: str) -> bool:
        return _is_file_of(filename, name, version)

    hashes: list[str] = []
    for root in sources.indexes:
        found = await _hashes_at(client, f"{root.rstrip('/')}/{name}/", wanted)
        if found is None:
            continue  # the project is not on this index: uv looks at the next one
        hashes += found
        if sources.first_index:
            break
    for location in sources.find_links:
        hashes += await _hashes_at(client, location, wanted, flat=True) or []
    return tuple(f"sha256:{h}" for h in dict.fromkeys(hashes))


async def _hashes_at(
    client: HttpClient, url: str, wanted: Callable[[str], bool], *, flat: bool = False
) -> list[str] | None:
    """The sha256 of each `wanted` file a simple page (or a `--find-links` page) lists, or
    a local directory holds; None when there is no such page or directory."""
    if url.startswith("file:"):
        return _local_hashes(Path(url2pathname(unquote(urlsplit(url).path))), wanted)
    accept = "text/html" if flat else f"{SIMPLE_JSON}, text/html;q=0.1"
    try:
        resp = await client.fetch(url, accept=accept)
        if resp.status == 404:
            return None
        files = parse_simple_page(resp.body, url)
    except FetchError as exc:
        raise GuardError(f"cannot read {url} to pin the install's hashes: {exc}") from exc
    except RegistryError as exc:
        raise GuardError(str(exc)) from exc
    return [f.sha256 for f in files if f.sha256 and wanted(f.filename)]


def _local_hashes(path: Path, wanted: Callable[[str], bool]) -> list[str] | None:
    """A local index page (`index.html`), or the files of a local directory, hashed here."""
    page = path / "index.html" if path.is_dir() else path
    try:
        if page.is_file():
            files = parse_simple_page(page.read_bytes(), page.as_uri())
            return [f.sha256 for f in files if f.sha256 and wanted(f.filename)]
        if path.is_dir():
            return [
                hashlib.sha256(f.read_bytes()).hexdigest()
                for f in sorted(path.iterdir())
                if wanted(f.name) and f.is_file()
            ]
    except OSError as exc:
        raise GuardError(f"cannot read {path} to pin the install's hashes: {exc}") from exc
    except RegistryError as exc:
        raise GuardError(str(exc)) from exc
    return None


def _is_file_of(filename: str, name: str, version: str) -> bool:
    try:
        if filename.endswith(".whl"):
            found, found_version, _, _ = parse_wheel_filename(filename)
        else:
            found, found_version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return False
    return found == name and found_version == Version(version)


# --- the install: exactly the plan ---------------------------------------------------------


def install(plan: UvPlan, *, python: str | None = None, uv: str | None = None) -> int:
    """Install exactly `plan.items`, pinned, with the user's options; uv's exit code.

    Registry items go in one `--no-deps --require-hashes` run; URL, VCS and path items,
    which uv cannot hash, follow in a second `--no-deps` run pinned by URL. uv's output
    goes to our stdout and stderr.
    """
    args = plan.uv_args
    uv = uv or find_uv()
    hashed = [i for i in plan.items if i.hash is not None]
    unhashed = [i for i in plan.items if i.hash is None]
    with tempfile.TemporaryDirectory(prefix="chaingate-guard-") as tmp:

        def command(extra: Sequence[str], pinned: Path) -> list[str]:
            return [
                uv, "pip", "install", *_python_args(args, python), "--no-deps", *extra,
                "-r", str(pinned), *args.pass_through,
            ]  # fmt: skip

        runs: list[tuple[Sequence[Planned], Sequence[str]]] = [
            (hashed, ["--require-hashes"]),
            (unhashed, []),
        ]
        return run_pinned(runs, command, Path(tmp), uv)


# --- the verdict ---------------------------------------------------------------------------


def guard(
    uv_args: Sequence[str],
    *,
    python: str | None = None,
    uv: str | None = None,
    scan_options: ScanOptions,
    index_url: str | None = None,
    fail_on: Severity = Severity.HIGH,
    decide: Decide | None = None,
    fail_incomplete: bool = False,
    announce: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> GuardOutcome:
    """Plan with uv, scan, decide, and install only when nothing blocks; as
    `chaingate.guard.pip.guard`. `index_url` is uv's default index when the user names
    none (default: the scan's index). GuardError as for `plan`, and "uv is not installed".
    """
    uv = uv or find_uv()
    the_plan = plan(
        uv_args,
        python=python,
        uv=uv,
        http=scan_options.http,
        index_url=index_url or scan_options.index_url,
    )
    if not the_plan.items:
        outcome = GuardOutcome(the_plan, None, (), 0, fail_incomplete)
        if announce:
            announce(explain(outcome))
        return outcome
    result: ScanResult = run_scan(the_plan.inventory, scan_options, progress)
    decisions = tuple((decide or severity_gate(fail_on))(result))
    outcome = GuardOutcome(the_plan, result, decisions, None, fail_incomplete)
    if announce:
        announce(explain(outcome))
    if not outcome.allowed:
        return outcome
    return replace(outcome, exit_code=install(the_plan, python=python, uv=uv))


_WORDING = (
    ("pip would install", "uv would install"),
    ("pip ran its build backend", "uv may have run its build backend"),
)


def explain(outcome: GuardOutcome) -> str:
    """The pip guard's explanation, in uv's words; URL items show their URL for a version."""
    shown = tuple(
        replace(i, version=i.version or f"@ {i.source or i.url}") for i in outcome.plan.items
    )
    text = explain_pip(replace(outcome, plan=replace(outcome.plan, items=shown)))
    for pip_words, uv_words in _WORDING:
        text = text.replace(pip_words, uv_words)
    return text
