"""uv as an installer adapter: uv's dry run says what it would install, then exactly that.

The pip adapter (`pip.py`) with uv in pip's place. uv writes no installation report, so
the steps differ in how the set is found and pinned:

1. `plan`: `uv pip install --dry-run --color never --verbose ARGS` with the user's
   arguments (minus `-q`/`-v`/`--color`, which would hide or decorate what uv prints), so
   uv's own semantics decide: already satisfied packages, `--upgrade`, `--reinstall`,
   indexes, `--python`, `--system`, `--target`, uv's configuration and `UV_*` variables.
   uv prints the exact set to stderr (`Would install 2 packages`, ` + six==1.17.0`,
   ` + pkg @ git+https://...@<commit>`, ` - six==1.16.0` for what an upgrade replaces);
   `parse_dry_run` reads it and refuses output it does not fully understand rather than
   guess. Its resolver's log names the file it chose for each item (`Selecting: six==1.17.0
   [compatible] (six-1.17.0-py2.py3-none-any.whl)`, `chosen_files`).
2. Each registry item is pinned to that one file by the hash the judged index publishes
   for it (the index the scan's facts come from, or the one the policy's `[sources]` pins
   the name to; `uv_sources.py`), never another source's. When uv chose a file the judged
   index does not publish (another source's), the item is pinned to the judged index's
   file with the same wheel tags instead. A version with no hash there cannot be pinned:
   InstallError. Every other source uv would consult (`uv_config.py`) is judged
   (`sources.py`): a name it offers with other files is a `dependency-confusion` finding.
3. The guard (`chaingate.guard`) judges the set, as for pip; meanwhile `fetch` downloads
   each pinned file into the cache, checked against its pin.
4. `install`: `uv pip install --no-deps --require-hashes -r PINNED OPTIONS`, where OPTIONS
   are the user's options without the requirement arguments, from the fetched files
   (`--no-index --find-links`) when all were fetched, so the index is not asked again;
   URL, VCS and path items (uv cannot hash a checkout or a directory) follow in a second
   run pinned by URL (VCS at the commit uv resolved), editables as editables.

The arguments are split with uv's own option table (`uv_args.py`).

Limits: uv prints no hashes, so the pin is the hash the judged index publishes for the
chosen file when the guard reads it, just after the dry run (a file replaced on the index,
and its hash with it, in that moment is the one pinned, judged and installed); and the
dependency graph is unknown (transitive items carry the path `(name,)`). When a file could
not be fetched ahead, uv downloads it itself, still held to the one pinned hash: if uv
prefers another source's file for a name the policy pins to one index, that install fails
its hash check and installs nothing. Editables are recognised from
`-e` on the command line and in `-r` requirement files; an editable that comes from
`[tool.uv.sources]` is installed non-editable. Building is as for pip (`pip.py`): wheels
only unless allowed (uv's own hint names the packages it would have to build); local
directories and VCS checkouts are built by uv whatever the setting.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec
from msgspec.structs import replace
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion

from chaingate.core.inventory import Origin
from chaingate.ecosystems.pypi.install.common import (
    WHEELS_ONLY,
    DryRunFailed,
    InstallError,
    PypiPlan,
    Requirement,
    Wording,
    build_refused,
    built_note,
    from_files,
    is_wheel,
    refuse_building_options,
    run_dry,
    run_pinned,
    tail,
)
from chaingate.ecosystems.pypi.install.pip import fetch_files
from chaingate.ecosystems.pypi.install.sources import judge
from chaingate.ecosystems.pypi.install.uv_args import UvArgs, python_args, split_args
from chaingate.ecosystems.pypi.install.uv_config import uv_sources
from chaingate.ecosystems.pypi.install.uv_sources import (
    PinnedFile,
    default_index,
    direct_names,
    editables,
    judged_files,
    same_location,
    url_words,
)
from chaingate.ecosystems.pypi.registry import DEFAULT_INDEX
from chaingate.ecosystems.pypi.resolve import _uv_binary
from chaingate.net.http import HttpSettings

__all__ = [
    "Change",
    "UvArgs",
    "UvInstaller",
    "UvPlan",
    "default_index",
    "find_uv",
    "install",
    "parse_dry_run",
    "plan",
    "plan_from_changes",
    "split_args",
]

WORDING = Wording("uv", built_note("uv may have run"))

UvPlan = PypiPlan[UvArgs]


def find_uv() -> str:
    """The uv executable: the one the `uv` package ships, else one on PATH."""
    found = _uv_binary()
    if found is None:
        raise InstallError("uv is not installed")
    return found


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
# uv's resolver at -v: "DEBUG Selecting: six==1.17.0 [compatible] (six-1.17.0-py3-none-any.whl)"
_SELECTING = re.compile(
    rf"^(?:DEBUG )?Selecting: {_NAME}==(?P<version>[^\s=@]+) \[[^\]]*\] \((?P<file>[^()\s]+)\)$"
)


def parse_dry_run(stderr: str) -> tuple[Change, ...]:
    """What `uv pip install --dry-run` says it would install (` + ` and ` ~ ` lines).

    The count in `Would install N packages` must match the lines that follow, every change
    line must read as `name==version` or `name @ url`, and output with neither that count
    nor `Would make no changes` is not understood: InstallError in each case, never a guess.
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
            raise InstallError(f"cannot read this line of uv's dry run: {line.strip()!r}")
        (removals if change["sign"] == "-" else installs).append(parsed)
    if not counts and not no_changes:
        raise InstallError(
            "cannot read uv's dry run: it names no packages to install and does not say "
            f"it would make no changes:\n{tail(text, 'uv')}"
        )
    for verb, found in (("install", installs), ("uninstall", removals)):
        if counts.get(verb, 0) != len(found):
            raise InstallError(
                f"cannot read uv's dry run: it says it would {verb} {counts.get(verb, 0)} "
                f"package(s) but lists {len(found)}:\n{tail(text, 'uv')}"
            )
    names = [c.name for c in installs]
    if len(set(names)) != len(names):
        raise InstallError(
            f"cannot read uv's dry run: a package is listed twice:\n{tail(text, 'uv')}"
        )
    return tuple(installs)


def chosen_files(stderr: str) -> dict[tuple[str, str], str]:
    """The file uv's resolver chose for each `name==version`, from its `-v` log (the
    `Selecting:` lines): canonical name and version -> filename."""
    chosen: dict[tuple[str, str], str] = {}
    for raw in _ANSI.sub("", stderr).splitlines():
        found = _SELECTING.match(raw.strip())
        if found:
            chosen[(canonicalize_name(found["name"]), found["version"])] = found["file"]
    return chosen


def _change(what: str) -> Change | None:
    for pattern in (_PINNED_LINE, _URL_LINE, _FROM_LINE):
        found = pattern.match(what)
        if found:
            groups = found.groupdict()
            return Change(
                canonicalize_name(groups["name"]), groups.get("version"), groups.get("url")
            )
    return None


def plan(
    uv_args: Sequence[str],
    *,
    python: str | None = None,
    uv: str | None = None,
    http: HttpSettings,
    index_url: str = DEFAULT_INDEX,
    pinned: Mapping[str, str] | None = None,
    allow_build: bool = False,
    own: str | None = None,
) -> UvPlan:
    """Ask uv what `uv pip install uv_args` would install, without installing, and pin each
    registry item to the one file uv chose, by the hash its index publishes.

    Unless `allow_build`, uv may use wheels only (`--only-binary :all:`), so no build
    backend runs: BuildRefused when the set needs a source distribution built (or the
    user asks for `--no-binary`).

    `python` is passed as `--python` unless the user chose an interpreter; `index_url` is
    the default index when the user gives uv none. InstallError when the arguments cannot
    be split, uv fails (with the end of uv's explanation), its output cannot be read, or
    an item cannot be pinned.
    """
    args = split_args(uv_args)
    if not allow_build:
        refuse_building_options(args)
    uv = uv or find_uv()
    command = [
        uv, "pip", "install", "--dry-run", "--color", "never", "--verbose",
        *python_args(args, python), *(() if allow_build else WHEELS_ONLY), *args.dry_run,
    ]  # fmt: skip
    try:
        said = run_dry(command, "uv").stderr
    except DryRunFailed as exc:
        names = [] if allow_build else _WHEELS_REQUIRED.findall(_ANSI.sub("", exc.said))
        if names:
            wheelless = sorted({canonicalize_name(n) for n in names})
            raise build_refused("uv", wheelless, tail(exc.said, "uv")) from exc
        raise
    found = plan_from_changes(
        args,
        parse_dry_run(said),
        http=http,
        index_url=index_url,
        uv_version=_uv_version(uv),
        chosen=chosen_files(said),
        pinned=pinned,
        own=own,
    )
    return replace(found, allow_build=allow_build)


# uv's hint when it may not build: "Wheels are required for `cg-built` because building from
# source is disabled for all packages"
_WHEELS_REQUIRED = re.compile(r"Wheels are required for `([A-Za-z0-9._-]+)`")


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
    pinned: Mapping[str, str] | None = None,
    chosen: Mapping[tuple[str, str], str] | None = None,
    own: str | None = None,
) -> UvPlan:
    """The plan for the set a dry run printed: each registry item pinned to the one file
    uv chose (`chosen`, name and version -> filename) by the hash the judged index
    (`index_url`, or the index the policy pins the name to) publishes for it, direct items
    (the requirements the user named) told from the rest, editables recognised, and every
    source uv would consult judged (`sources.judge`). Without `chosen`, an item is pinned
    to every file of its version on the judged index. `own`: the wheels chaingate built
    from judged sdists (`guard.build`), pinned from there and not held against the index."""
    base = Path(args.value("--directory") or ".")
    direct = direct_names(args, base)
    editable_names, editable_urls = editables(args, base)
    wanted = [(c.name, c.version) for c in changes if c.url is None and c.version]
    files = judged_files(wanted, index_url, pinned or {}, http, own) if wanted else {}
    unpinnable = [f"{n}=={v}" for n, v in wanted if not files.get((n, v))]
    if unpinnable:
        raise InstallError(
            f"the index publishes no sha256 for {', '.join(unpinnable)}, so the install "
            "cannot be pinned to the files that were checked"
        )
    items: list[Requirement] = []
    for c in changes:
        if c.url is None:
            key = (c.name, str(c.version))
            pins = files[key] if chosen is None else _the_chosen(key, files[key], chosen)
            items.append(
                Requirement(
                    name=c.name,
                    version=str(c.version),
                    url=pins[0].url if len(pins) == 1 else None,
                    origin=Origin.REGISTRY,
                    requested=c.name in direct,
                    hashes=tuple(f.hash for f in pins),
                )
            )
            continue
        origin = _origin_of(c.url)
        is_editable = origin is Origin.PATH and (
            c.name in editable_names or same_location(c.url, editable_urls)
        )
        items.append(
            Requirement(
                name=c.name,
                version=c.version or "",
                url=c.url,
                hashes=(),
                origin=origin,
                requested=c.name in direct or same_location(c.url, url_words(args, base)),
                source=c.url,
                editable=is_editable,
            )
        )
    built = tuple(i.key for i in items if i.url is not None and not is_wheel(i.url))
    verdict = judge(
        items, uv_sources(args, base), index_url, http, installer="uv", pinned=pinned, own=own
    )
    return PypiPlan(
        "uv pip install", args, verdict.items, {}, "uv", uv_version, built,
        verdict.findings, verdict.incomplete,
    )  # fmt: skip


def _the_chosen(
    key: tuple[str, str], files: Sequence[PinnedFile], chosen: Mapping[tuple[str, str], str]
) -> tuple[PinnedFile, ...]:
    """The file of `key` that uv's dry run chose, as the judged index publishes it (`files`).
    When uv chose a file the judged index does not publish (another source's: a build tag,
    a wheel for other tags), the judged index's file with the same wheel tags, else all its
    files of the version: what is installed is always a judged file, and `sources.judge`
    reports the other source. InstallError when uv did not say which file, or the judged
    index publishes different contents under that one filename."""
    what = f"{key[0]}=={key[1]}"
    filename = chosen.get(key)
    if filename is None:
        raise InstallError(
            f"uv's dry run does not say which file of {what} it would install, so the install "
            "cannot be pinned to the file that was checked"
        )
    found = [f for f in files if f.filename == filename]
    if len(found) > 1:
        raise InstallError(
            f"the index publishes different contents for {filename}, the file uv chose for "
            f"{what}, so the install cannot be pinned to the file that was checked"
        )
    if found:
        return (found[0],)
    tags = _wheel_tags(filename)
    same = [f for f in files if tags and _wheel_tags(f.filename) == tags]
    return (same[0],) if len(same) == 1 else tuple(files)


def _wheel_tags(filename: str) -> frozenset[str]:
    """A wheel's tags (`py3-none-any`), empty for anything else."""
    try:
        return frozenset(str(t) for t in parse_wheel_filename(filename)[3])
    except (InvalidWheelFilename, InvalidVersion):
        return frozenset()


def _origin_of(url: str) -> Origin:
    scheme = url.split(":", 1)[0].lower()
    if "+" in scheme and scheme.split("+", 1)[0] in ("git", "hg", "svn", "bzr"):
        return Origin.VCS
    if scheme == "file":
        return Origin.PATH
    return Origin.URL


def install(
    plan: UvPlan,
    *,
    python: str | None = None,
    uv: str | None = None,
    files: Mapping[str, Path] | None = None,
) -> int:
    """Install exactly `plan.items`, pinned, with the user's options; uv's exit code.

    Registry items go in one `--no-deps --require-hashes` run, each pinned to the one file
    the dry run chose: from `files` (item key -> the checked local file) with `--no-index`
    when it covers them all, so nothing is read from the index again; else uv downloads
    them, and a file that is not the pinned one fails the hash check. URL, VCS and path
    items, which uv cannot hash, follow in a second `--no-deps` run pinned by URL. uv's
    output goes to our stdout and stderr.
    """
    args = plan.args
    uv = uv or find_uv()
    hashed = [i for i in plan.items if i.hash is not None]
    unhashed = [i for i in plan.items if i.hash is None]
    with tempfile.TemporaryDirectory(prefix="chaingate-guard-") as tmp:
        local = from_files(hashed, files, Path(tmp))

        def command(extra: Sequence[str], pinned: Path) -> list[str]:
            return [
                uv, "pip", "install", *python_args(args, python), "--no-deps", *extra,
                "-r", str(pinned), *args.pass_through,
            ]  # fmt: skip

        wheels = () if plan.allow_build else WHEELS_ONLY
        runs: list[tuple[Sequence[Requirement], Sequence[str]]] = [
            (hashed, ["--require-hashes", *wheels, *local]),
            (unhashed, []),
        ]
        return run_pinned(runs, command, Path(tmp), uv)


# --- the adapter ---------------------------------------------------------------------------


class UvInstaller:
    """uv as the guard's installer (`chaingate.ecosystems.installer.Installer`). `python` is
    passed as `--python` unless the user chose an interpreter; the hashes are read through
    `http`, with `index_url` as the default index when the user gives uv none."""

    wording = WORDING

    def __init__(
        self,
        *,
        http: HttpSettings,
        python: str | None = None,
        uv: str | None = None,
        index_url: str = DEFAULT_INDEX,
        pinned: Mapping[str, str] | None = None,
        allow_build: bool = False,
        own: str | None = None,
    ) -> None:
        self.uv = uv or find_uv()
        self.pinned = dict(pinned or {})
        self.python = python
        self.http = http
        self.index_url = index_url
        self.allow_build = allow_build
        self.own = own  # chaingate's own built wheels (guard.build): not a rival source

    def plan(self, args: Sequence[str]) -> UvPlan:
        return plan(
            args,
            python=self.python,
            uv=self.uv,
            http=self.http,
            index_url=self.index_url,
            pinned=self.pinned,
            allow_build=self.allow_build,
            own=self.own,
        )

    def fetch(self, plan: UvPlan) -> Mapping[str, Path] | None:
        """The file the dry run chose for each registry item, fetched and checked against
        its pin into the cache directory (`pip.fetch_files`), or None."""
        cache_dir = self.http.cache_dir
        return fetch_files(plan, cache_dir) if cache_dir is not None else None

    def install(self, plan: UvPlan, files: Mapping[str, Path] | None) -> int:
        return install(plan, python=self.python, uv=self.uv, files=files)
