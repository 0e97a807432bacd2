"""Turn unpinned requirements into the exact transitive set a fresh install would get.

A requirements file or a pyproject.toml without a lock names only the direct dependencies,
usually with ranges. To know whom the project trusts we need the versions an install would
pick today and what pulls each one in, so we ask a real resolver: uv's `pip compile` (uv
ships as a PyPI package and is one of our dependencies) or, when uv is missing, pip's
`install --dry-run --report`. Like pip-audit, the resolution is for the running interpreter
and platform, so a requirement whose marker excludes this machine is not in the result.

Only registry requirements are sent: URL, VCS and path entries bypass the index, and
resolving them would fetch and build code from outside it. The caller keeps them as
declared. Note that either resolver may build a source distribution that has no static
metadata, which runs that package's build backend, as pip-audit's resolution does: code
from the index runs on this machine before anything has been judged. `build=False` forbids
it (uv's `--no-build`, pip's `--only-binary :all:`); a requirement that only a source
distribution satisfies then fails the resolution, with the resolver's explanation.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
from packaging.utils import canonicalize_name

from chaingate.core.errors import ChaingateError
from chaingate.core.inventory import Declared, Location, Manifest, Origin, ScopeFailure
from chaingate.core.scopes import EXTRA_PREFIX, sorted_scopes
from chaingate.ecosystems.interface import ANY_TARGET, Target
from chaingate.ecosystems.pypi.manifests import requirements

if TYPE_CHECKING:
    from packaging.requirements import Requirement

RESOLVED_KIND = "resolved"

_INPUT_NAME = "requirements.in"
_MESSAGE_LIMIT = 800
_FIND_UV_LOCK = threading.Lock()


class ResolutionError(ChaingateError):
    """The resolver found no solution, could not reach the index, or is missing.

    The message is the resolver's own explanation, trimmed to a few hundred characters;
    the CLI prints it as `chaingate: could not resolve dependencies: <message>`.
    """


class _Resolution(msgspec.Struct, frozen=True):
    """What a resolver run tells us: exact versions and who requires whom."""

    versions: dict[str, str]
    graph: dict[str, tuple[str, ...]]


def resolver_name() -> str:
    """The resolver `resolve` will use: `"uv 0.x.y"`, or `"pip"` when uv is missing."""
    uv = _uv_binary()
    return f"uv {_uv_version(uv)}" if uv else "pip"


def resolve(
    manifests: Sequence[Manifest],
    index_url: str,
    timeout: float = 300,
    *,
    resolver: str | None = None,
    build: bool = True,
    target: Target = ANY_TARGET,
) -> Manifest:
    """Resolve the registry requirements of `manifests` into a locked manifest.

    `index_url` is the index as a base (`https://pypi.org`) or its simple URL (see
    `simple_index`). `resolver` forces `"uv"` or `"pip"` (default: uv when available).
    `build=False` never builds a source distribution (no package code runs). `target` is
    the interpreter and platform uv resolves for (default: the running interpreter and
    this machine; pip resolves for the running interpreter only).
    The result has kind `"resolved"`, one entry per resolved package with its exact
    version, and the graph filled. Direct entries keep
    the input's location, specifier, extras, marker and group (one entry per place the
    input declares them); a transitive entry is located at each input file whose direct
    requirements pull it in. Raises ResolutionError when resolution fails.
    """
    direct = [e for m in manifests for e in m.entries if e.origin is Origin.REGISTRY]
    path = ", ".join(m.path for m in manifests)
    if not direct:
        return Manifest(path=path, kind=RESOLVED_KIND, entries=(), locked=True)
    lines = sorted({_requirement_line(e) for e in direct})
    choice = resolver or ("uv" if _uv_binary() else "pip")
    if choice == "uv":
        uv = _uv_binary()
        if uv is None:
            raise ResolutionError("uv is not installed (pip install uv)")
        found = _compile_with_uv(uv, lines, simple_index(index_url), timeout, build, target)
    elif choice == "pip":
        found = _report_with_pip(lines, simple_index(index_url), timeout, build)
    else:
        raise ValueError(f"unknown resolver {resolver!r}; expected 'uv' or 'pip'")
    return _manifest(manifests, direct, found, path)


def simple_index(index_url: str) -> str:
    """The simple-index URL for `index_url`, given as a base or the pip way.

    `https://pypi.org` becomes `https://pypi.org/simple`; a URL already ending in `/simple`
    or `/+simple` (devpi) is kept as it is.
    """
    url = index_url.strip().rstrip("/")
    if urlsplit(url).path.endswith(("/simple", "/+simple")):
        return url
    return url + "/simple"


def _requirement_line(entry: Declared) -> str:
    """One requirements.in line for a declared registry dependency."""
    extras = f"[{','.join(sorted(entry.extras))}]" if entry.extras else ""
    specifier = entry.specifier or (f"=={entry.version}" if entry.version else "")
    marker = f" ; {entry.marker}" if entry.marker else ""
    line = f"{entry.name}{extras}{specifier}{marker}"
    from packaging.requirements import InvalidRequirement, Requirement  # (see _common)

    try:
        return str(Requirement(line))
    except InvalidRequirement as exc:
        where = entry.location.file
        if entry.location.line is not None:
            where += f":{entry.location.line}"
        raise ResolutionError(f"{where}: cannot send {line!r} to the resolver: {exc}") from exc


def _uv_binary() -> str | None:
    """The uv executable shipped by the `uv` package, else one on PATH, else None."""
    with _FIND_UV_LOCK:  # the first lookup reads sysconfig, which is not thread-safe
        return _find_uv()


@functools.cache
def _find_uv() -> str | None:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


@functools.cache
def _uv_version(uv: str) -> str:
    """The version `uv --version` reports (`uv 0.5.1 (...)` -> `0.5.1`)."""
    try:
        out = subprocess.run(
            [uv, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    parts = out.split()
    return parts[1] if len(parts) > 1 else "unknown"


def _python_version() -> str:
    """The running interpreter's version as uv wants it (`3.12.4`, no pre-release tag)."""
    major, minor, micro = sys.version_info[:3]
    return f"{major}.{minor}.{micro}"


def _run(command: list[str], cwd: Path, timeout: float, tool: str) -> str:
    """Run a resolver; its stdout, or ResolutionError with its stderr trimmed."""
    try:
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ResolutionError(f"{tool} did not finish within {timeout:g} seconds") from exc
    except OSError as exc:
        raise ResolutionError(f"cannot run {tool}: {exc}") from exc
    if done.returncode != 0:
        raise ResolutionError(_trim(done.stderr) or f"{tool} exited with {done.returncode}")
    return done.stdout


def _trim(stderr: str) -> str:
    """The resolver's explanation on one line: `error:`/`cause:` chains joined by `: `."""
    parts: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line or line.lower().startswith("warning:"):
            continue
        for prefix in ("error:", "cause:", "ERROR:"):
            if line.startswith(prefix):
                line = line[len(prefix) :].strip()
        parts.append(line)
    message = ": ".join(parts)
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1].rstrip() + "…"
    return message


def _compile_with_uv(
    uv: str, lines: list[str], index: str, timeout: float, build: bool, target: Target
) -> _Resolution:
    """`uv pip compile` on a temporary requirements.in; parse its `# via` annotations."""
    with tempfile.TemporaryDirectory(prefix="chaingate-resolve-") as tmp:
        cwd = Path(tmp)
        (cwd / _INPUT_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = _run(
            [
                uv,
                "pip",
                "compile",
                _INPUT_NAME,
                "--no-header",
                "--annotate",
                "--annotation-style",
                "split",
                "--default-index",
                index,
                "--python-version",
                target.python_version or _python_version(),
                *(["--python-platform", target.platform] if target.platform else []),
                "--color",
                "never",
                "--no-progress",
                "--quiet",
                *([] if build else ["--no-build"]),
            ],
            cwd,
            timeout,
            "uv",
        )
        compiled = requirements.parse_text(out, "uv pip compile", cwd)
    versions = {e.name: e.version for e in compiled.entries if e.version is not None}
    return _Resolution(versions=versions, graph=compiled.graph)


def _report_with_pip(lines: list[str], index: str, timeout: float, build: bool) -> _Resolution:
    """`pip install --dry-run --report -`; the graph comes from each package's Requires-Dist."""
    with tempfile.TemporaryDirectory(prefix="chaingate-resolve-") as tmp:
        cwd = Path(tmp)
        (cwd / _INPUT_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = _run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--report",
                "-",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "--index-url",
                index,
                *([] if build else ["--only-binary", ":all:"]),
                "-r",
                _INPUT_NAME,
            ],
            cwd,
            timeout,
            "pip",
        )
    try:
        report = json.loads(out)
    except json.JSONDecodeError as exc:
        raise ResolutionError(f"pip printed no installation report: {exc}") from exc
    return _from_pip_report(report)


def _from_pip_report(report: Mapping[str, Any]) -> _Resolution:
    """Exact versions and edges from a pip installation report (format version 1).

    Markers are evaluated in the environment the report says pip resolved for, with the
    extras each package was asked for (by the input or by another package's requirement).
    """
    versions: dict[str, str] = {}
    requires: dict[str, list[Requirement]] = {}
    active: dict[str, set[str]] = {}
    try:
        for item in report["install"]:
            name: str = canonicalize_name(str(item["metadata"]["name"]))
            versions[name] = str(item["metadata"]["version"])
            requires[name] = [_requirement(r) for r in item["metadata"].get("requires_dist") or []]
            active[name] = {canonicalize_name(x) for x in item.get("requested_extras") or []}
        environment = {str(k): str(v) for k, v in report["environment"].items()}
    except (KeyError, TypeError, AttributeError) as exc:
        raise ResolutionError(f"pip's installation report lacks {exc}") from exc
    # Extras switch on more requirements, which may ask for more extras: run to a fixpoint.
    changed = True
    while changed:
        changed = False
        for name, reqs in requires.items():
            for req in _applicable(reqs, active[name], environment):
                child = canonicalize_name(req.name)
                wanted = {canonicalize_name(x) for x in req.extras}
                if child in active and not wanted <= active[child]:
                    active[child] |= wanted
                    changed = True
    graph: dict[str, tuple[str, ...]] = {}
    for name, reqs in requires.items():
        children = {canonicalize_name(r.name) for r in _applicable(reqs, active[name], environment)}
        graph[name] = tuple(sorted(children & versions.keys()))
    return _Resolution(versions=versions, graph=graph)


def _requirement(text: str) -> Requirement:
    from packaging.requirements import InvalidRequirement, Requirement  # (see _common)

    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise ResolutionError(f"pip reported an unreadable requirement {text!r}: {exc}") from exc


def _applicable(
    reqs: Iterable[Requirement], extras: set[str], environment: Mapping[str, str]
) -> list[Requirement]:
    """The requirements whose marker holds here, with no extra or one of `extras`."""
    chosen = []
    for req in reqs:
        if req.marker is None:
            chosen.append(req)
            continue
        for extra in ("", *sorted(extras)):
            if req.marker.evaluate({**environment, "extra": extra}):
                chosen.append(req)
                break
    return chosen


def _manifest(
    manifests: Sequence[Manifest], direct: list[Declared], found: _Resolution, path: str
) -> Manifest:
    """The locked manifest: direct entries where the input declares them, the rest where
    the input files that pull them in are."""
    graph = {
        name: tuple(sorted({c for c in found.graph.get(name, ()) if c in found.versions}))
        for name in found.versions
    }
    reached_from: dict[str, list[str]] = {}
    for manifest in manifests:
        roots = [e.name for e in manifest.entries if e.origin is Origin.REGISTRY]
        for name in _reachable(roots, graph):
            reached_from.setdefault(name, []).append(manifest.path)
    declared: dict[str, list[Declared]] = {}
    for entry in direct:
        declared.setdefault(entry.name, []).append(entry)
    entries: list[Declared] = []
    for name, version in sorted(found.versions.items()):
        if name in declared:
            entries.extend(
                Declared(
                    name=name,
                    location=d.location,
                    specifier=d.specifier,
                    version=version,
                    extras=d.extras,
                    marker=d.marker,
                    direct=d.direct,
                    group=d.group,
                    scopes=d.scopes,
                )
                for d in declared[name]
            )
        else:
            files = reached_from.get(name) or [manifests[0].path]
            entries.extend(
                Declared(name=name, location=Location(file), version=version, direct=False)
                for file in dict.fromkeys(files)
            )
    return Manifest(path=path, kind=RESOLVED_KIND, entries=tuple(entries), locked=True, graph=graph)


def _reachable(roots: Iterable[str], graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every name reachable from `roots` (roots included) over `graph`, breadth first."""
    seen = dict.fromkeys(r for r in roots if r in graph)
    queue = deque(seen)
    while queue:
        for child in graph.get(queue.popleft(), ()):
            if child not in seen:
                seen[child] = None
                queue.append(child)
    return list(seen)


def resolve_manifest(
    manifest: Manifest,
    own_name: str | None,
    index_url: str,
    timeout: float,
    build: bool,
    target: Target = ANY_TARGET,
) -> Manifest:
    """`manifest` with its registry entries replaced by the resolved transitive set.

    URL, VCS and path entries are kept as declared: they never go to the resolver. Neither
    does a project's reference to itself (`dev = ["app[test]"]` in app's own pyproject):
    the index's package of that name is somebody else's, and the extras it names are in
    the same file anyway.

    A manifest of several scopes is resolved one scope at a time (runtime alone, then each
    extra and group alone), for `target` (by default the lowest Python the manifest's
    requires-python admits): a group that cannot be resolved (a docs tool needing a newer
    Python) is listed in `unresolved` with the resolver's reason, and its entries are kept
    as declared, while the other scopes keep their transitive trees. Only when no scope
    resolves is the resolver's error raised, as for a manifest of one scope.
    """
    from msgspec.structs import replace

    if target.python_version is None:
        target = replace(target, python_version=lowest_python(manifest.requires_python))
    sent = tuple(e for e in manifest.entries if e.name != own_name)
    kept = tuple(e for e in sent if e.origin is not Origin.REGISTRY)
    scopes = sorted_scopes(s for e in sent if e.origin is Origin.REGISTRY for s in e.scopes)
    if len(scopes) <= 1:
        found = resolve(
            [replace(manifest, entries=sent)], index_url, timeout, build=build, target=target
        )
        graph = {**manifest.graph, **found.graph}
        return replace(manifest, entries=found.entries + kept, locked=True, graph=graph)
    from concurrent.futures import ThreadPoolExecutor

    def one(scope: str) -> Manifest | ResolutionError:
        mine = tuple(e for e in sent if scope in e.scopes)
        try:
            return resolve(
                [replace(manifest, entries=mine)], index_url, timeout, build=build, target=target
            )
        except ResolutionError as exc:
            return exc

    # One resolver process per scope, a few at a time (uv's cache is shared and safe).
    with ThreadPoolExecutor(max_workers=_SCOPES_AT_ONCE) as pool:
        outcomes = list(pool.map(one, scopes))
    entries: list[Declared] = []
    graph = dict(manifest.graph)
    failed: list[tuple[str, ResolutionError]] = []
    for scope, outcome in zip(scopes, outcomes, strict=True):
        if isinstance(outcome, ResolutionError):
            failed.append((scope, outcome))
            entries.extend(e for e in sent if scope in e.scopes and e.origin is Origin.REGISTRY)
            continue
        entries.extend(e if e.direct else replace(e, scopes=(scope,)) for e in outcome.entries)
        for parent, children in outcome.graph.items():
            graph[parent] = tuple(sorted({*graph.get(parent, ()), *children}))
    if len(failed) == len(scopes):
        raise failed[0][1]
    unresolved = tuple(
        ScopeFailure(scope, manifest.path, _scope_reason(scope, manifest.path, exc, target))
        for scope, exc in failed
    )
    return replace(
        manifest, entries=(*entries, *kept), locked=True, graph=graph, unresolved=unresolved
    )


def _scope_reason(scope: str, path: str, exc: ResolutionError, target: Target) -> str:
    kind = "extra" if scope.startswith(EXTRA_PREFIX) else "dependency group"
    name = scope.removeprefix(EXTRA_PREFIX)
    if scope == "runtime":
        kind, name = "runtime dependencies", ""
    where = f"{kind} {name}".strip()
    python = f" for Python {target.python_version}" if target.python_version else ""
    return (
        f"{where} of {path} could not be resolved{python}, so its transitive dependencies "
        f"are unknown (its packages are listed as declared): {exc}"
    )


_MAX_MINOR = 40
_SCOPES_AT_ONCE = 4


def lowest_python(requires_python: str | None) -> str | None:
    """The lowest Python 3 version a `requires-python` specifier admits (`>=3.9` -> 3.9,
    `>=3.9.2` -> 3.9.2), or None when it admits none up to 3.40 or cannot be read."""
    if not requires_python:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return None
    for minor in range(_MAX_MINOR):
        for patch in range(_MAX_MINOR):
            if spec.contains(f"3.{minor}.{patch}", prereleases=True):
                return f"3.{minor}" if patch == 0 else f"3.{minor}.{patch}"
    return None
