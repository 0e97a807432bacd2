"""pip as an installer adapter: pip's dry run says what it would install, then exactly that.

1. `plan`: `python -m pip install --dry-run --report FILE ARGS` with the user's arguments
   untouched, so pip's own semantics decide (already satisfied packages are not
   reinstalled, `--upgrade`, `--user`, `--target`, index options, pip's configuration and
   `PIP_*` variables all apply). The report lists every distribution pip would install,
   the file it chose and that file's hash.
2. The guard (`chaingate.guard`) judges that set.
3. `install`: `python -m pip install --no-deps --require-hashes -r PINNED OPTIONS`, where
   PINNED holds `name==version --hash=sha256:...` for every planned item and OPTIONS are
   the user's options without the requirement arguments (positional specifiers, `-r`,
   `-c`, `-e`, `--group`, `--requirements-from-script`). pip resolves nothing new: what
   was judged is what gets installed, and a file swapped on the index in between fails
   the hash check. While the guard judges, `fetch_files` downloads the planned wheels into
   the cache (by hash, checked), so the install reads them from disk (`--no-index
   --find-links`) instead of asking the index for every name again; when a file cannot
   be fetched that way (a private index with credentials, a source distribution), pip
   downloads it itself, still hash-pinned. When every wheel was fetched and checked, the
   target is a virtualenv and no option or setting of pip's would make a difference
   (`_SAME_FOR_UV`), uv installs them in pip's place (`uv pip install --no-deps
   --require-hashes --no-index` from those files, byte-compiled and copied as pip does,
   ending with pip's "Successfully installed" line): the same files, checked again by
   hash, in a tenth of pip's time. Their INSTALLER file says `uv`, the tool that laid the
   files; pip upgrades and uninstalls them alike. `CHAINGATE_PINNED_INSTALL=pip` keeps pip.

Splitting pip's arguments needs to know which options take a value; `_OPTIONS` is that
table, taken from pip 26.3's own parser (`pip install --help`) plus options older pips
still accept. Long options may be abbreviated as pip's optparse allows (`--index` for
`--index-url`). An option not in the table is an error rather than a guess.

Building: a source distribution's build backend and build requirements are code from the
index that would run before the verdict (pip builds an sdist during the dry run to read
its metadata). Unless the caller allows building, the dry run and the pinned install get
`--only-binary :all:`, and a set that needs a build fails with BuildRefused (exit 3) naming
the packages pip found only sources of (the failed dry run again with `-vv`, which still
builds nothing, says which). The guard never allows it here: with `--allow-build` it
judges and builds those itself (`chaingate.guard.build`). With building allowed (a library
caller), `PypiPlan.built` names what pip built.

Limits: VCS and local-directory items cannot be hash-checked by pip, so they are installed
in a second step without `--require-hashes` (VCS pinned to the commit pip resolved); pip
builds those (your own source) whatever the setting.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from msgspec.structs import replace
from packaging.utils import canonicalize_name

from chaingate.core.inventory import InventoryError, Origin
from chaingate.ecosystems.pypi.environment import _origin as origin_from_direct_url
from chaingate.ecosystems.pypi.environment import find_python
from chaingate.ecosystems.pypi.install.common import (
    WHEELS_ONLY,
    DryRunFailed,
    InstallArgs,
    InstallError,
    Option,
    OptionSpec,
    PypiPlan,
    Requirement,
    Wording,
    build_refused,
    built_note,
    from_files,
    is_wheel,
    option_table,
    parse_words,
    refuse,
    refuse_building_options,
    run_dry,
    run_pinned,
    tail,
)
from chaingate.ecosystems.pypi.install.sources import Judging, judge, pip_config, pip_sources
from chaingate.ecosystems.pypi.resolve import ResolutionError, _uv_binary
from chaingate.ecosystems.pypi.resolve import _from_pip_report as graph_from_pip_report
from chaingate.net.httpx_import import httpx

_HASH_ALGORITHMS = ("sha256", "sha384", "sha512")  # the ones pip's --hash accepts

WORDING = Wording("pip", built_note("pip ran"))


# --- pip's arguments -----------------------------------------------------------------------


def _table() -> dict[str, OptionSpec]:
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


_OPTIONS = _table()
_REFUSED = {
    "--dry-run": "the guard runs pip's dry run itself; leave --dry-run out",
    "--report": "the guard writes pip's report itself; leave --report out",
    "--help": "for pip's own help run `pip install --help`",
    "--version": "for pip's version run `pip --version`; it installs nothing",
}


class PipArgs(InstallArgs, frozen=True):
    """The arguments of `pip install`, split: `args` verbatim, `requirements` the
    positional specifiers and requirement options as written, `options` the rest."""

    # Flags that would change what the pinned install does with its requirement file.
    not_for_pinned_install = frozenset({"--only-deps", "--no-require-hashes"})

    @property
    def index_url(self) -> str | None:
        """The `--index-url` the user gave pip, if any: the scan should ask the same index."""
        return self.value("--index-url")


PipPlan = PypiPlan[PipArgs]


def _long(word: str) -> OptionSpec:
    """The option a long spelling names, allowing unique abbreviations like optparse."""
    if word in _OPTIONS:
        return _OPTIONS[word]
    matches = {o.name for spelling, o in _OPTIONS.items() if spelling.startswith(word)}
    if len(matches) == 1:
        return _OPTIONS[matches.pop()]
    if matches:
        raise InstallError(f"pip option {word} is ambiguous: {', '.join(sorted(matches))}")
    raise InstallError(f"unknown pip install option {word}")


def split_args(args: Sequence[str]) -> PipArgs:
    """Split `pip install` arguments the way pip's parser would. InstallError on an unknown
    or refused option (`--dry-run`, `--report`, `--help`) or a missing value."""
    requirements: list[str] = []
    options: list[Option] = []

    def take(option: OptionSpec, tokens: tuple[str, ...], value: str | None) -> None:
        refuse(_REFUSED, option, tokens)
        if option.requirement:
            requirements.extend(tokens)
        else:
            options.append(Option(option.name, tokens, value))

    rest = parse_words(
        args,
        "pip",
        _long,
        _short,
        take=take,
        positional=requirements.append,
        joined_short=False,
    )
    requirements.extend(rest or ())
    return PipArgs(tuple(args), tuple(requirements), tuple(options))


def _short(letter: str) -> OptionSpec:
    return _OPTIONS.get(letter) or _unknown(letter)


def _unknown(letter: str) -> OptionSpec:
    raise InstallError(f"unknown pip install option {letter}")


def target_python(where: str | None = None) -> str:
    """The interpreter whose pip the guard drives: `where` (a venv directory or a python),
    else the active virtualenv (`VIRTUAL_ENV`), else the interpreter running chaingate."""
    where = where or os.environ.get("VIRTUAL_ENV")
    if not where:
        return sys.executable
    try:
        return str(find_python(where))
    except InventoryError as exc:
        raise InstallError(str(exc)) from exc


# --- the plan: pip's dry run ---------------------------------------------------------------


def plan(
    pip_args: Sequence[str],
    python: str = sys.executable,
    judging: Judging | None = None,
    allow_build: bool = False,
) -> PipPlan:
    """Ask `python`'s pip what `pip install pip_args` would install, without installing;
    with `judging`, judge every source pip would consult (`sources.judge`).

    Unless `allow_build`, pip may use wheels only (`--only-binary :all:`), so no build
    backend runs: BuildRefused when the set needs a source distribution built (or the
    user asks for `--no-binary`). InstallError when the arguments cannot be split or pip
    fails (with the end of pip's own explanation), and when pip reports a file it gives no
    hash for.
    """
    args = split_args(pip_args)
    if not allow_build:
        refuse_building_options(args)
    if judging is None:
        return _dry_run(args, python, allow_build)
    with ThreadPoolExecutor(1) as aside:  # pip's configuration is read during the dry run
        config = aside.submit(_config_list, args, python)
        planned = _dry_run(args, python, allow_build)
        settings = pip_config(config.result())
        found = pip_sources(
            [(o.name, o.value) for o in args.options],
            _requirement_files(args),
            settings,
            Path.cwd(),
        )
    verdict = judge(planned.items, found, judging.index_url, judging.http, installer="pip",
                    pinned=judging.pinned, own=judging.own)  # fmt: skip
    return replace(
        planned,
        items=verdict.items,
        findings=verdict.findings,
        incomplete=verdict.incomplete,
        settings=tuple(sorted({key.partition(".")[2] for key in settings})),
    )


def _config_list(args: PipArgs, python: str) -> str:
    """`pip config list`: pip's configuration files and PIP_* variables, as pip reads them."""
    isolated = ["--isolated"] if any(o.name == "--isolated" for o in args.options) else []
    command = [python, "-m", "pip", "config", "list", "--disable-pip-version-check", *isolated]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise InstallError(f"cannot run {python}: {exc}") from exc
    if done.returncode != 0:
        # Its sources unknown, nothing pip would install could be judged: fail closed.
        raise InstallError(
            f"cannot read pip's configuration (`pip config list`), so the sources pip "
            f"would consult are unknown:\n{tail(done.stderr, 'pip')}"
        )
    return done.stdout


def _requirement_files(args: PipArgs) -> list[str]:
    """The `-r` and `-c` files among the requirement arguments."""
    files: list[str] = []

    def take(option: OptionSpec, tokens: tuple[str, ...], value: str | None) -> None:
        if option.name in ("--requirement", "--constraint") and value:
            files.append(value)

    with contextlib.suppress(InstallError):  # a name after `--` that looks like an option
        parse_words(args.requirements, "pip", _long, _short, take=take,
                    positional=lambda word: None, joined_short=False)  # fmt: skip
    return files


def _dry_run(args: PipArgs, python: str, allow_build: bool) -> PipPlan:
    wheels = () if allow_build else WHEELS_ONLY
    with tempfile.TemporaryDirectory(prefix="chaingate-guard-") as tmp:
        report_file = Path(tmp) / "report.json"
        command = [
            python, "-m", "pip", "install", "--dry-run", "--quiet", "--report",
            str(report_file), "--disable-pip-version-check", "--no-input", *wheels, *args.args,
        ]  # fmt: skip
        try:
            run_dry(command, "pip")
        except DryRunFailed as exc:
            names = [] if allow_build else _wheelless(command)
            if names:
                raise build_refused("pip", names, tail(exc.said, "pip")) from exc
            raise
        try:
            report = json.loads(report_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InstallError(f"pip wrote no installation report: {exc}") from exc
    return replace(plan_from_report(args, report), allow_build=allow_build)


_NO_SOURCES = re.compile(r"Skipping link: No sources permitted for ([A-Za-z0-9._-]+):")


def _wheelless(command: list[str]) -> list[str]:
    """The packages a failed wheels-only dry run found only source distributions of: the
    same dry run again (it builds nothing), with the log that names them (`-vv`)."""
    verbose = [w for w in command if w != "--quiet"] + ["-vv"]
    try:
        done = subprocess.run(verbose, capture_output=True, text=True, check=False)
    except OSError:
        return []
    found = _NO_SOURCES.findall(f"{done.stdout}\n{done.stderr}")
    return sorted({canonicalize_name(n) for n in found})


def plan_from_report(args: PipArgs, report: Mapping[str, Any]) -> PipPlan:
    """The plan a pip installation report (format version 1) describes."""
    try:
        items = tuple(_planned(item) for item in report["install"])
        pip_version = str(report.get("pip_version", "unknown"))
        graph = graph_from_pip_report(report).graph
    except ResolutionError as exc:
        raise InstallError(str(exc)) from exc
    except (KeyError, TypeError, AttributeError) as exc:
        raise InstallError(f"pip's installation report lacks {exc}") from exc
    unpinnable = [i.key for i in items if i.hash is None and i.origin in _HASHABLE]
    if unpinnable:
        raise InstallError(
            f"pip gives no hash for {', '.join(unpinnable)}, so the install cannot be pinned "
            "to the files that were checked"
        )
    built = tuple(i.key for i in items if not is_wheel(i.url))
    return PypiPlan("pip install", args, items, dict(graph), "pip", pip_version, built)


_HASHABLE = (Origin.REGISTRY, Origin.URL)


def _planned(item: Mapping[str, Any]) -> Requirement:
    metadata = item["metadata"]
    info: Mapping[str, Any] = item.get("download_info") or {}
    archive = info.get("archive_info")
    direct = bool(item.get("is_direct"))
    origin, source = origin_from_direct_url(json.dumps(info)) if direct else (Origin.REGISTRY, None)
    dir_info = info.get("dir_info")
    found = _hash(archive) if isinstance(archive, Mapping) else None
    return Requirement(
        name=canonicalize_name(str(metadata["name"])),
        version=str(metadata["version"]),
        url=str(info["url"]) if info.get("url") else None,
        hashes=(found,) if found else (),
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


# --- the install: exactly the plan ---------------------------------------------------------


def install(
    plan: PipPlan, python: str = sys.executable, files: Mapping[str, Path] | None = None
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
        local = from_files(hashed, files, Path(tmp))

        def command(extra: Sequence[str], pinned: Path) -> list[str]:
            return [
                python, "-m", "pip", "install", "--disable-pip-version-check", "--no-deps",
                *extra, "-r", str(pinned), *plan.args.pass_through,
            ]  # fmt: skip

        wheels = () if plan.allow_build else WHEELS_ONLY
        runs: list[tuple[Sequence[Requirement], Sequence[str]]] = [
            (hashed, ["--require-hashes", *wheels, *local]),
            (unhashed, []),
        ]
        uv = _uv_in_pips_place(plan, python) if local else None
        if uv is not None:
            code = run_pinned(runs[:1], _uv_command(uv, plan, python), Path(tmp), "uv")
            if code != 0:
                return code
            if not any(o.name == "--quiet" for o in plan.args.options):
                # pip's closing line, which scripts and people look for (uv ran quiet)
                done = " ".join(f"{i.name}-{i.version}" for i in hashed)
                print(f"Successfully installed {done}", flush=True)
            runs = runs[1:]
        return run_pinned(runs, command, Path(tmp), python)


# --- the pinned install with uv, where pip's would do the same -----------------------------

#: `CHAINGATE_PINNED_INSTALL=pip` keeps pip for the pinned install too.
PINNED_INSTALL_VARIABLE = "CHAINGATE_PINNED_INSTALL"

# pip options (canonical names) and configuration keys that do not change what installing
# checked wheels from local files into a virtualenv does: indexes and network settings
# (the install reads no index), output and pip's own checks. Any other (--user, --target,
# --prefix, --root, --force-reinstall, -v, a configured `target`...) keeps pip.
_SAME_FOR_UV = frozenset(
    {
        "--index-url", "--extra-index-url", "--find-links", "--no-index", "--trusted-host",
        "--cert", "--client-cert", "--proxy", "--retries", "--timeout", "--cache-dir",
        "--no-cache-dir", "--keyring-provider", "--disable-pip-version-check", "--no-input",
        "--no-color", "--progress-bar", "--quiet", "--upgrade", "--upgrade-strategy", "--pre",
        "--prefer-binary", "--only-binary", "--no-deps", "--require-hashes", "--compile",
        "--no-compile", "--no-warn-script-location", "--no-warn-conflicts",
        "--require-virtualenv", "--root-user-action", "--isolated", "--exists-action",
        "--config-file",
    }
)  # fmt: skip


def _uv_in_pips_place(plan: PipPlan, python: str) -> str | None:
    """uv, when it may install the checked wheels in pip's place: `python` is a
    virtualenv's, pip's options and configuration are all ones that make no difference
    there (`_SAME_FOR_UV`), and the user did not ask for pip (`CHAINGATE_PINNED_INSTALL`).
    uv does in ~0.1 s what takes pip ~1-2 s for twenty wheels (bench/bench_guard.py)."""
    if os.environ.get(PINNED_INSTALL_VARIABLE, "uv") == "pip" or plan.settings is None:
        return None
    options = {o.name for o in plan.args.options}
    configured = {f"--{key}" for key in plan.settings}  # (whose compile setting is not read)
    if (
        not options <= _SAME_FOR_UV
        or not configured <= _SAME_FOR_UV - {"--compile", "--no-compile"}
        or not (Path(python).parent.parent / "pyvenv.cfg").is_file()
    ):
        return None
    return _uv_binary()


def _uv_command(uv: str, plan: PipPlan, python: str) -> Callable[[Sequence[str], Path], list[str]]:
    """`uv pip install` as pip would install the pinned file into `python`'s virtualenv:
    byte-compiled unless --no-compile, files copied (not linked to uv's cache), uv's own
    configuration files ignored. uv runs quiet (its errors still show); `install` says
    what pip says at the end."""
    compile_ = () if _no_compile(plan) else ("--compile-bytecode",)

    def command(extra: Sequence[str], pinned: Path) -> list[str]:
        return [
            uv, "pip", "install", "--quiet", "--no-config", "--python", python, "--no-deps",
            "--link-mode", "copy", *compile_, *extra, "-r", str(pinned),
        ]  # fmt: skip

    return command


def _no_compile(plan: PipPlan) -> bool:
    """Whether the last of --compile / --no-compile says no (pip compiles by default)."""
    last = [o.name for o in plan.args.options if o.name in ("--compile", "--no-compile")]
    return bool(last) and last[-1] == "--no-compile"


_FETCH_WORKERS = 8


def fetch_files(
    plan: PypiPlan[Any], cache_dir: Path, timeout: float = 60.0
) -> dict[str, Path] | None:
    """The wheel of every hash-pinned item as a local file, item key -> path, or None when
    any cannot be had (then `install` lets pip download from the index).

    Files are kept under `cache_dir/files/<algorithm>-<hex>/<filename>`: named by their
    hash, they never go stale, and a warm install downloads nothing. Every file is
    checked against the planned hash, from the network and from the cache alike. Source
    distributions are left to pip: building one needs the index for its build
    dependencies.
    """
    wanted = [i for i in plan.items if i.hash is not None]
    if not wanted or not all(is_wheel(i.url) for i in wanted):
        return None
    with (
        httpx.Client(timeout=timeout, follow_redirects=True) as client,
        ThreadPoolExecutor(_FETCH_WORKERS) as pool,
    ):
        paths = list(pool.map(lambda i: _fetch(client, i, cache_dir), wanted))
    if any(p is None for p in paths):
        return None
    return {i.key: p for i, p in zip(wanted, paths, strict=True) if p is not None}


def _fetch(client: httpx.Client, item: Requirement, cache_dir: Path) -> Path | None:
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


# --- the adapter ---------------------------------------------------------------------------


class PipInstaller:
    """pip as the guard's installer (`chaingate.ecosystems.installer.Installer`): `python`'s
    pip plans and installs; with a `cache_dir`, the planned wheels are fetched there while
    the guard judges them."""

    wording = WORDING

    def __init__(
        self,
        python: str = sys.executable,
        cache_dir: Path | None = None,
        judging: Judging | None = None,
        allow_build: bool = False,
    ) -> None:
        self.python = python
        self.cache_dir = cache_dir
        self.judging = judging
        self.allow_build = allow_build

    def plan(self, args: Sequence[str]) -> PipPlan:
        return plan(args, self.python, self.judging, self.allow_build)

    def fetch(self, plan: PipPlan) -> dict[str, Path] | None:
        return fetch_files(plan, self.cache_dir) if self.cache_dir is not None else None

    def install(self, plan: PipPlan, files: Mapping[str, Path] | None) -> int:
        return install(plan, self.python, files)
