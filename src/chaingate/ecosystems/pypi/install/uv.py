"""uv as an installer adapter: uv's dry run says what it would install, then exactly that.

The pip adapter (`pip.py`) with uv in pip's place. uv writes no installation report, so
the steps differ in how the set is found and pinned:

1. `plan`: `uv pip install --dry-run --color never ARGS` with the user's arguments (minus
   `-q`/`-v`/`--color`, which would hide or decorate what uv prints), so uv's own semantics
   decide: already satisfied packages, `--upgrade`, `--reinstall`, indexes, `--python`,
   `--system`, `--target`, uv's configuration and `UV_*` variables. uv prints the exact set
   to stderr (`Would install 2 packages`, ` + six==1.17.0`, ` + pkg @ git+https://...@<commit>`,
   ` - six==1.16.0` for what an upgrade replaces); `parse_dry_run` reads it and refuses
   output it does not fully understand rather than guess.
2. The hashes uv gives none of come from the judged index's simple page (the index the
   scan's facts come from, or the one the policy's `[sources]` pins the name to;
   `uv_sources.py`): never another source's. A version with no hash there cannot be
   pinned: InstallError. Every other source uv would consult (`uv_config.py`) is judged
   (`sources.py`): a name it offers with other files is a `dependency-confusion` finding.
3. The guard (`chaingate.guard`) judges the set, as for pip.
4. `install`: `uv pip install --no-deps --require-hashes -r PINNED OPTIONS`, where OPTIONS
   are the user's options without the requirement arguments; URL, VCS and path items (uv
   cannot hash a checkout or a directory) follow in a second run pinned by URL (VCS at the
   commit uv resolved), editables as editables.

The arguments are split with uv's own option table (`uv_args.py`).

Limits: uv does not say which file it chose, so a registry item is pinned to all files of
its version on the index (not the one file that gets installed), and the dependency graph
is unknown (transitive items carry the path `(name,)`). When uv prefers another source's
file for a name the policy pins to one index, the pinned install fails its hash check and
installs nothing. Editables are recognised from
`-e` on the command line and in `-r` requirement files; an editable that comes from
`[tool.uv.sources]` is installed non-editable.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import msgspec
from packaging.utils import canonicalize_name

from chaingate.core.inventory import Origin
from chaingate.ecosystems.pypi.install.common import (
    InstallError,
    PypiPlan,
    Requirement,
    Wording,
    built_note,
    is_wheel,
    run_dry,
    run_pinned,
    tail,
)
from chaingate.ecosystems.pypi.install.sources import judge
from chaingate.ecosystems.pypi.install.uv_args import UvArgs, python_args, split_args
from chaingate.ecosystems.pypi.install.uv_config import uv_sources
from chaingate.ecosystems.pypi.install.uv_sources import (
    default_index,
    direct_names,
    editables,
    judged_hashes,
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
) -> UvPlan:
    """Ask uv what `uv pip install uv_args` would install, without installing, and pin each
    registry item to the hashes its index publishes.

    `python` is passed as `--python` unless the user chose an interpreter; `index_url` is
    the default index when the user gives uv none. InstallError when the arguments cannot
    be split, uv fails (with the end of uv's explanation), its output cannot be read, or
    an item cannot be pinned.
    """
    args = split_args(uv_args)
    uv = uv or find_uv()
    command = [
        uv, "pip", "install", "--dry-run", "--color", "never",
        *python_args(args, python), *args.dry_run,
    ]  # fmt: skip
    changes = parse_dry_run(run_dry(command, "uv").stderr)
    return plan_from_changes(
        args, changes, http=http, index_url=index_url, uv_version=_uv_version(uv), pinned=pinned
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
    pinned: Mapping[str, str] | None = None,
) -> UvPlan:
    """The plan for the set a dry run printed: hashes from the judged index (`index_url`,
    or the index the policy pins a name to), direct items (the requirements the user
    named) told from the rest, editables recognised, and every source uv would consult
    judged (`sources.judge`)."""
    base = Path(args.value("--directory") or ".")
    direct = direct_names(args, base)
    editable_names, editable_urls = editables(args, base)
    wanted = [(c.name, c.version) for c in changes if c.url is None and c.version]
    hashes = judged_hashes(wanted, index_url, pinned or {}, http)
    unpinnable = [f"{n}=={v}" for n, v in wanted if not hashes.get((n, v))]
    if unpinnable:
        raise InstallError(
            f"the index publishes no sha256 for {', '.join(unpinnable)}, so the install "
            "cannot be pinned to the files that were checked"
        )
    items: list[Requirement] = []
    for c in changes:
        if c.url is None:
            found = hashes[(c.name, str(c.version))]
            items.append(
                Requirement(
                    name=c.name,
                    version=str(c.version),
                    url=None,
                    origin=Origin.REGISTRY,
                    requested=c.name in direct,
                    hashes=found,
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
    built = tuple(i.key for i in items if i.origin is not Origin.REGISTRY and not is_wheel(i.url))
    verdict = judge(items, uv_sources(args, base), index_url, http, installer="uv", pinned=pinned)
    return PypiPlan(
        "uv pip install", args, verdict.items, {}, "uv", uv_version, built,
        verdict.findings, verdict.incomplete,
    )  # fmt: skip


def _origin_of(url: str) -> Origin:
    scheme = url.split(":", 1)[0].lower()
    if "+" in scheme and scheme.split("+", 1)[0] in ("git", "hg", "svn", "bzr"):
        return Origin.VCS
    if scheme == "file":
        return Origin.PATH
    return Origin.URL


def install(plan: UvPlan, *, python: str | None = None, uv: str | None = None) -> int:
    """Install exactly `plan.items`, pinned, with the user's options; uv's exit code.

    Registry items go in one `--no-deps --require-hashes` run; URL, VCS and path items,
    which uv cannot hash, follow in a second `--no-deps` run pinned by URL. uv's output
    goes to our stdout and stderr.
    """
    args = plan.args
    uv = uv or find_uv()
    hashed = [i for i in plan.items if i.hash is not None]
    unhashed = [i for i in plan.items if i.hash is None]
    with tempfile.TemporaryDirectory(prefix="chaingate-guard-") as tmp:

        def command(extra: Sequence[str], pinned: Path) -> list[str]:
            return [
                uv, "pip", "install", *python_args(args, python), "--no-deps", *extra,
                "-r", str(pinned), *args.pass_through,
            ]  # fmt: skip

        runs: list[tuple[Sequence[Requirement], Sequence[str]]] = [
            (hashed, ["--require-hashes"]),
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
    ) -> None:
        self.uv = uv or find_uv()
        self.pinned = dict(pinned or {})
        self.python = python
        self.http = http
        self.index_url = index_url

    def plan(self, args: Sequence[str]) -> UvPlan:
        return plan(
            args, python=self.python, uv=self.uv, http=self.http, index_url=self.index_url,
            pinned=self.pinned,
        )  # fmt: skip

    def fetch(self, plan: UvPlan) -> Mapping[str, Path] | None:
        """Nothing: uv reads the files through its own cache."""
        return None

    def install(self, plan: UvPlan, files: Mapping[str, Path] | None) -> int:
        return install(plan, python=self.python, uv=self.uv)
