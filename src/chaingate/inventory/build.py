"""From a project directory, file or environment to the `Inventory` the pipeline audits.

Every manifest under the target is parsed, except a pyproject.toml that a lock file above
it already locks (a workspace member, a path dependency); each one that is not a lock and
names registry requirements is resolved on its own (one file is one install, so two files may pin a
package differently and both versions are audited). Entries are then merged into one
`Package` per canonical name and exact version, with the files and lines that declare it
and up to three shortest chains of names from a direct dependency down to it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
import tomli as tomllib  # the mypyc-compiled parser: 2.6x faster than the stdlib on big locks
from msgspec.structs import replace
from packaging.utils import canonicalize_name

from chaingate.core.inventory import (
    Declared,
    Inventory,
    InventoryError,
    Location,
    Manifest,
    Origin,
    Package,
)
from chaingate.ecosystems.pypi.manifests.pyproject import KIND as PYPROJECT_KIND
from chaingate.inventory.discover import LOCK_KINDS, discover, kind_of, parse_file
from chaingate.net import tomlcache

ECOSYSTEM = "pypi"
MAX_PATHS = 3
_RESOLVERS_AT_ONCE = 4


def build_inventory(
    target: Path,
    *,
    resolve_deps: bool = True,
    index_url: str,
    env: str | None = None,
    timeout: float = 300,
    build: bool = True,
    cache_dir: Path | None = None,
) -> Inventory:
    """The packages `target` trusts.

    `target` is a directory (every manifest `discover` finds under it) or one manifest or
    lock file. With `env` set, `target` is ignored and the inventory is the environment
    `env` names: a venv directory, a Python executable, or "" for this interpreter (see
    `environment.read_environment`). With `resolve_deps` (the default) unlocked manifests
    are resolved against `index_url` (ResolutionError if that fails); without it they are
    taken as complete, like pip-audit's `--no-deps`: an exact pin keeps its version and
    anything else has version None. `build=False` resolves without building any source
    distribution (see `resolve.resolve`). Large TOML files are kept parsed under
    `cache_dir` (`tomlcache.py`). Raises InventoryError for unreadable input and for a
    directory with nothing to scan.
    """
    if env is not None:
        from chaingate.ecosystems.pypi.environment import read_environment

        manifest = read_environment(env)
        return _inventory(manifest.path, [manifest], (manifest.path,), None)
    files = _manifest_files(target)
    with tomlcache.using(cache_dir):
        parsed = [parse_file(path, kind, display) for path, kind, display in files]
    # A workspace member's or path dependency's pyproject.toml under a lock that locks it
    # is that lock's business, as the pyproject beside a lock is (discover skips that one).
    covered = _covered_projects(files, parsed)
    kept = [i for i, (path, kind, _) in enumerate(files) if not _is_covered(path, kind, covered)]
    files, parsed = [files[i] for i in kept], [parsed[i] for i in kept]
    effective = list(parsed)
    pending = [i for i, m in enumerate(parsed) if resolve_deps and _needs_resolution(m)]
    resolved_with = None
    if pending:  # (a locked project, the common case, imports none of this)
        from concurrent.futures import ThreadPoolExecutor

        from chaingate.ecosystems.pypi.resolve import resolver_name

        # Each resolution is a resolver process of its own; a few at a time, results in order.
        with ThreadPoolExecutor(max_workers=_RESOLVERS_AT_ONCE) as pool:
            jobs = {
                i: pool.submit(
                    _resolved, parsed[i], _own_name(files[i][0]), index_url, timeout, build
                )
                for i in pending
            }
            for i, job in jobs.items():
                effective[i] = job.result()
        resolved_with = resolver_name()
    return _inventory(str(target), effective, tuple(m.path for m in parsed), resolved_with)


def _manifest_files(target: Path) -> list[tuple[Path, str, str]]:
    """(path, kind, display) for each file to parse; display is relative to the target."""
    if target.is_dir():
        found = [(p, k, p.relative_to(target).as_posix()) for p, k in discover(target)]
        if not found:
            raise InventoryError(
                str(target), None, f"no manifest or lock file found under {target}"
            )
        return found
    if not target.exists():
        raise InventoryError(str(target), None, "no such file or directory")
    return [(target, kind_of(target), target.name)]


def _covered_projects(files: list[tuple[Path, str, str]], parsed: list[Manifest]) -> set[Path]:
    """The directories of the local projects that the lock files among `parsed` lock:
    workspace members and path dependencies, as each lock writes their paths (relative to
    the lock's directory, or file: URLs)."""
    covered: set[Path] = set()
    for (path, kind, _), manifest in zip(files, parsed, strict=True):
        if kind not in LOCK_KINDS:
            continue
        local = {e.url for e in manifest.entries if e.origin is Origin.PATH and e.url}
        for where in local | set(manifest.covers):
            if where.startswith("file:"):
                from urllib.request import url2pathname  # (costs 15 ms to import)

                directory = Path(url2pathname(urlsplit(where).path))
            else:
                directory = path.parent / where
            covered.add(directory.resolve())
    return covered


def _is_covered(path: Path, kind: str, covered: set[Path]) -> bool:
    return kind == PYPROJECT_KIND and path.parent.resolve() in covered


def _needs_resolution(manifest: Manifest) -> bool:
    return not manifest.locked and any(e.origin is Origin.REGISTRY for e in manifest.entries)


def _own_name(path: Path) -> str | None:
    """The project name a pyproject.toml gives itself (`[project].name`), if any."""
    if path.name != "pyproject.toml":
        return None
    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project")
    except (OSError, ValueError):
        return None
    name = project.get("name") if isinstance(project, dict) else None
    return canonicalize_name(name) if isinstance(name, str) else None


def _resolved(
    manifest: Manifest, own_name: str | None, index_url: str, timeout: float, build: bool
) -> Manifest:
    """`manifest` with its registry entries replaced by the resolved transitive set.

    URL, VCS and path entries are kept as declared: they never go to the resolver. Neither
    does a project's reference to itself (`dev = ["app[test]"]` in app's own pyproject):
    the index's package of that name is somebody else's, and the extras it names are in
    the same file anyway.
    """
    sent = replace(manifest, entries=tuple(e for e in manifest.entries if e.name != own_name))
    from chaingate.ecosystems.pypi.resolve import resolve

    found = resolve([sent], index_url, timeout, build=build)
    kept = tuple(
        e for e in manifest.entries if e.origin is not Origin.REGISTRY and e.name != own_name
    )
    graph = {**manifest.graph, **found.graph}
    return replace(manifest, entries=found.entries + kept, locked=True, graph=graph)


class _Merged(msgspec.Struct):
    """Everything the manifests say about one (name, version)."""

    name: str
    version: str | None
    direct: bool = False
    origin: Origin = Origin.REGISTRY
    url: str | None = None
    locations: dict[Location, None] = msgspec.field(default_factory=dict)

    def add(self, entry: Declared) -> None:
        self.direct = self.direct or entry.direct
        if self.origin is Origin.REGISTRY and entry.origin is not Origin.REGISTRY:
            self.origin, self.url = entry.origin, entry.url  # the riskier origin wins
        self.locations[entry.location] = None


def _inventory(
    root: str,
    manifests: Sequence[Manifest],
    files: tuple[str, ...],
    resolved_with: str | None,
) -> Inventory:
    merged: dict[tuple[str, str | None], _Merged] = {}
    graph: dict[str, set[str]] = {}
    for manifest in manifests:
        for entry in manifest.entries:
            key = (entry.name, entry.version)
            merged.setdefault(key, _Merged(entry.name, entry.version)).add(entry)
        for parent, children in manifest.graph.items():
            graph.setdefault(parent, set()).update(children)
    direct = sorted({m.name for m in merged.values() if m.direct})
    paths = shortest_paths(direct, {k: sorted(v) for k, v in graph.items()}, MAX_PATHS)
    packages = tuple(
        Package(
            ecosystem=ECOSYSTEM,
            name=m.name,
            version=m.version,
            direct=m.direct,
            paths=tuple(paths.get(m.name, ())),
            origin=m.origin,
            url=m.url,
            locations=tuple(m.locations),
        )
        for _, m in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
    )
    return Inventory(
        root=root,
        packages=packages,
        manifests=files,
        resolved_with=resolved_with,
        graph={name: tuple(sorted(children)) for name, children in sorted(graph.items())},
    )


def shortest_paths(
    direct: Iterable[str], graph: Mapping[str, Sequence[str]], limit: int = MAX_PATHS
) -> dict[str, list[tuple[str, ...]]]:
    """Up to `limit` shortest chains from a direct dependency to each reachable name.

    Breadth first from all direct names at once, so shorter chains come first; a chain
    never visits a name twice, and a name is expanded at most `limit` times, which keeps
    the walk linear in the size of the graph.
    """
    found: dict[str, list[tuple[str, ...]]] = {}
    queue: deque[tuple[str, ...]] = deque((name,) for name in direct)
    while queue:
        chain = queue.popleft()
        here = found.setdefault(chain[-1], [])
        if len(here) >= limit:
            continue
        here.append(chain)
        for child in graph.get(chain[-1], ()):
            if child not in chain:
                queue.append((*chain, child))
    return found
