"""`--allow-build`: a source distribution is built only after it and its build
requirements have been judged, and the install then uses the wheel built from it.

Without `--allow-build` the guards use wheels only (`BuildRefused`). With it, the guard
does not simply let pip or uv build: their dry run would run the sdist's build backend and
install its `build-system.requires` from the index before anything is judged. Instead:

1. The wheels-only dry run names the packages it found only sources of.
2. For each, the newest source distribution on the index is fetched (checked against the
   sha256 the index publishes) and its `build-system.requires` read from its
   `pyproject.toml` inside the archive, without extracting or running anything (PEP 518's
   `setuptools>=40.8.0` and `wheel` when it declares none).
3. Those requirements are resolved to exact wheels (pip's dry run, wheels only) and judged
   with the sdist itself, like any package the guard installs: a block or a package that
   could not be analysed stops here, before any of their code ran.
4. Only then is the wheel built, in a fresh virtualenv holding exactly those judged wheels
   (installed pinned by hash) and nothing else (`pip wheel --no-build-isolation
   --no-index`); a build that asks for more fails.
5. The dry run is repeated with the built wheels as `--find-links`, still wheels only, until
   nothing is left to build; the install is then judged and made as usual, wheels only.

Limits: the sdist judged and built is the newest one on the index; when the resolver wants
another version, the dry run still refuses it and the guard stops with BuildRefused. The
wheel is built by the interpreter running chaingate.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import replace
from packaging.utils import (
    InvalidSdistFilename,
    canonicalize_name,
    parse_sdist_filename,
)

from chaingate.analysis.archive.extract import open_archive
from chaingate.analysis.interface import HostileArchive
from chaingate.core.findings import Severity
from chaingate.core.inventory import Location, Package
from chaingate.ecosystems.installer import Installer
from chaingate.ecosystems.pypi.install import pip as pip_adapter
from chaingate.ecosystems.pypi.install.common import BuildRefused, InstallError
from chaingate.ecosystems.pypi.registry import IndexUrls
from chaingate.ecosystems.pypi.simple import parse_simple_page
from chaingate.engine.scan import Progress, ScanOptions
from chaingate.guard.core import (
    Decide,
    Evaluate,
    GuardOutcome,
    Plan,
    explain,
    guard,
    plan_of,
    scan_with,
    severity_gate,
)
from chaingate.net.httpx_import import httpx

DEFAULT_REQUIRES = ("setuptools>=40.8.0", "wheel")  # PEP 518, when an sdist declares none
_MAX_ROUNDS = 10
_TIMEOUT = 60.0


class Verdict(msgspec.Struct, frozen=True):
    """How the guard judges: the scan, the policy, and what it does with a package that
    could not be analysed; `announce` receives what it says before the verdict."""

    evaluate: Evaluate
    decide: Decide
    fail_incomplete: bool
    announce: Callable[[str], None] | None
    progress: Progress | None = None

    @classmethod
    def of(
        cls,
        options: ScanOptions,
        fail_on: Severity,
        evaluate: Evaluate | None,
        decide: Decide | None,
        **rest: Any,
    ) -> Verdict:
        """The guard entry points' verdict: `evaluate` defaults to the scan with `options`,
        `decide` to `severity_gate(fail_on)`; `rest` are the other fields."""
        return cls(evaluate or scan_with(options), decide or severity_gate(fail_on), **rest)


@contextmanager
def build_space(allow_build: bool) -> Iterator[Path | None]:
    """A private working directory for `judged_builds` when building is allowed, else
    None. Its `wheels` folder (`own_wheels`) holds only wheels chaingate built from judged
    sdists: the one find-links source that `sources.judge` does not hold against the index."""
    if not allow_build:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="chaingate-build-") as work:
        (Path(work) / "wheels").mkdir()
        yield Path(work)


def own_wheels(work: Path | None) -> str | None:
    """The `file:` URL of the wheels chaingate built in `work` (see `build_space`)."""
    return None if work is None else (work / "wheels").resolve().as_uri()


def guard_building(
    installer: Installer[Any],
    args: Sequence[str],
    verdict: Verdict,
    *,
    work: Path | None,
    index_url: str,
) -> GuardOutcome:
    """`chaingate.guard.core.guard` with `installer` (which uses wheels only). With a
    `work` directory (`build_space`: building is allowed), every package the installer
    finds only a source distribution of is first judged with its build requirements and
    built into a wheel (`judged_builds`)."""

    def main(words: Sequence[str]) -> GuardOutcome:
        return guard(
            installer,
            words,
            evaluate=verdict.evaluate,
            decide=verdict.decide,
            fail_incomplete=verdict.fail_incomplete,
            announce=verdict.announce,
            progress=verdict.progress,
        )

    if work is None:
        return main(args)
    return judged_builds(args, installer.plan, main, index_url, verdict, work)


def judged_builds(
    args: Sequence[str],
    dry_run: Callable[[list[str]], object],
    main: Callable[[list[str]], GuardOutcome],
    index_url: str,
    verdict: Verdict,
    work: Path,
) -> GuardOutcome:
    """The guarded install of `args` (`main`, wheels only) once every package the
    wheels-only `dry_run` refuses for want of a wheel has been judged with its build
    requirements and built into a wheel under `work`; or the first verdict that stops it."""
    wheels = work / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    extra = ["--find-links", str(wheels)]
    built: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        try:
            dry_run([*args, *extra])
            break
        except BuildRefused as refused:
            todo = [n for n in refused.names if n not in built]
            if not todo:
                raise
            for name in todo:
                stopped = _judge_and_build(name, index_url, verdict, work, wheels)
                if stopped is not None:
                    return stopped
                built.add(name)
    else:
        raise InstallError(f"still packages to build after {_MAX_ROUNDS} rounds")
    return main([*args, *extra])


def _judge_and_build(
    name: str, index_url: str, verdict: Verdict, work: Path, wheels: Path
) -> GuardOutcome | None:
    """Judge the newest sdist of `name` with its build requirements; when allowed, build
    its wheel into `wheels` and return None, else the verdict that stops the install."""
    version, sdist = newest_sdist(name, index_url, work / "sdists")
    requires = build_requires(sdist)
    if verdict.announce:
        verdict.announce(
            f"chaingate: {name} {version} is available only as a source distribution; "
            f"before building it, judging it and its build requirements ({', '.join(requires)})."
        )
    env = work / f"build-{name}"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, capture_output=True)
    python = str(env / "bin" / "python")
    index = ["--index-url", IndexUrls.parse(index_url).simple]
    # --isolated: pip's configuration files and PIP_* variables (an extra index, find-links)
    # are not sources of the build requirements; only the judged index is.
    proposal = pip_adapter.plan(["--isolated", *index, *requires], python)
    the_plan = plan_of(proposal)
    sdist_package = Package(
        ecosystem=proposal.ecosystem,
        name=name,
        version=version,
        direct=True,
        paths=((name,),),
        locations=(Location(proposal.manifest),),
    )
    inventory = replace(
        the_plan.inventory,
        packages=(
            sdist_package,
            *(
                replace(p, direct=False, paths=((name, p.name),))
                for p in the_plan.inventory.packages
            ),
        ),
    )
    judged = Plan(proposal, inventory)
    result = verdict.evaluate(inventory, verdict.progress)
    decisions = tuple(verdict.decide(result))
    outcome = GuardOutcome(judged, result, decisions, None, verdict.fail_incomplete)
    if not outcome.allowed:
        if verdict.announce:
            verdict.announce(explain(outcome, pip_adapter.WORDING))
        return outcome
    if verdict.announce:
        for d in outcome.warnings:
            f = d.finding
            verdict.announce(
                f"  warning: {f.package} {f.version} (to build {name}): {f.id} "
                f"({f.severity.label}): {f.message}"
            )
        for inc in outcome.incomplete:  # let through by --allow-incomplete
            verdict.announce(f"  not analysed: {inc.package} (to build {name}): {inc.reason}")
    if proposal.items and pip_adapter.install(proposal, python) != 0:
        raise InstallError(f"could not install the build requirements of {name} {version}")
    done = subprocess.run(
        [python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-w", str(wheels), str(sdist)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise InstallError(
            f"building {name} {version} with its judged build requirements failed:\n"
            f"{done.stderr.strip()[-2000:]}"
        )
    return None


def newest_sdist(name: str, index_url: str, where: Path) -> tuple[str, Path]:
    """The newest source distribution of `name` on the index: its version and the file,
    downloaded into `where` and checked against the sha256 the index publishes."""
    page_url = f"{IndexUrls.parse(index_url).simple.rstrip('/')}/{name}/"
    with httpx.Client(timeout=_TIMEOUT, follow_redirects=True) as client:
        try:
            page = client.get(page_url, headers={"Accept": "text/html"})
            page.raise_for_status()
            candidates = []
            for f in parse_simple_page(page.content, page_url):
                try:
                    found, version = parse_sdist_filename(f.filename)
                except InvalidSdistFilename:
                    continue
                if found == canonicalize_name(name) and f.sha256 and not f.yanked:
                    candidates.append((version, f))
            if not candidates:
                raise InstallError(f"the index publishes no source distribution of {name}")
            version, chosen = max(candidates, key=lambda c: c[0])
            data = client.get(chosen.url).raise_for_status().content
        except httpx.HTTPError as exc:
            raise InstallError(f"cannot fetch the source distribution of {name}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != chosen.sha256:
        raise InstallError(f"{chosen.filename} does not match the sha256 the index publishes")
    where.mkdir(parents=True, exist_ok=True)
    path = where / chosen.filename
    path.write_bytes(data)
    return str(version), path


def build_requires(sdist: Path) -> tuple[str, ...]:
    """`build-system.requires` of the sdist's top-level `pyproject.toml`, read inside the
    archive (checked by the archive reader, nothing extracted); PEP 518's default when
    there is no such file or table. InstallError when it cannot be read."""
    try:
        with open_archive(sdist) as archive:
            found = [
                m for m in archive.members()
                if m.is_file and m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")
            ]  # fmt: skip
            if not found:
                return DEFAULT_REQUIRES
            doc = tomllib.loads(archive.read(found[0]).decode("utf-8"))
    except (HostileArchive, OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstallError(f"cannot read the build requirements of {sdist.name}: {exc}") from exc
    table = doc.get("build-system")
    if table is None:
        return DEFAULT_REQUIRES
    requires = table.get("requires") if isinstance(table, dict) else None
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise InstallError(f"{sdist.name}: build-system.requires must be a list of strings")
    return tuple(requires)
