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

from chaingate.core.inventory import (
    Declared,
    Inventory,
    InventoryError,
    Location,
    Manifest,
    Origin,
    Package,
)
from chaingate.core.scopes import RUNTIME, sorted_scopes
from chaingate.ecosystems.interface import Ecosystem, Target
from chaingate.inventory.discover import discover, kind_of, owner, parse_file
from chaingate.net import tomlcache

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
    ecosystems: Sequence[Ecosystem] | None = None,
    python_version: str | None = None,
    platform: str | None = None,
) -> Inventory:
    """The packages `target` trusts, as the adapters of `ecosystems` (default: every
    shipped one) read and resolve them.

    `target` is a directory (every manifest `discover` finds under it) or one manifest or
    lock file. With `env` set, `target` is ignored and the inventory is the environment
    `env` names: a venv directory, a Python executable, or "" for this interpreter (see
    `environment.read_environment`). With `resolve_deps` (the default) unlocked manifests
    are resolved against `index_url` (ResolutionError if that fails); without it they are
    taken as complete, like pip-audit's `--no-deps`: an exact pin keeps its version and
    anything else has version None. `build=False` resolves without building any source
    distribution (see `resolve.resolve`). Large TOML files are kept parsed under
    `cache_dir` (`tomlcache.py`). `python_version` and `platform` are the target of the
    resolution (default: the lowest Python a project's requires-python admits, this
    machine); a manifest's scope that does not resolve is in `unresolved_scopes`, the
    rest of it resolved. Raises InventoryError for unreadable input and for a directory
    with nothing to scan.
    """
    if ecosystems is None:
        from chaingate.ecosystems import default_ecosystems

        ecosystems = default_ecosystems()
    if env is not None:
        reader = next((e for e in ecosystems if e.environment is not None), None)
        if reader is None or reader.environment is None:
            raise InventoryError(env or ".", None, "no ecosystem here reads an environment")
        manifest = reader.environment(env)
        return _inventory(manifest.path, [(reader, manifest)], (manifest.path,), None)
    files = _manifest_files(target, ecosystems)
    owners = [owner(kind, ecosystems) for _, kind, _ in files]
    with tomlcache.using(cache_dir):
        parsed = [parse_file(path, kind, display, ecosystems) for path, kind, display in files]
    # A workspace member's or path dependency's pyproject.toml under a lock that locks it
    # is that lock's business, as the pyproject beside a lock is (discover skips that one).
    covered = _covered_projects(files, parsed, owners)
    kept = [
        i
        for i, (path, kind, _) in enumerate(files)
        if not (kind == owners[i].manifests.project_kind and path.parent.resolve() in covered)
    ]
    files, parsed = [files[i] for i in kept], [parsed[i] for i in kept]
    owners = [owners[i] for i in kept]
    effective = list(parsed)
    pending = [
        i
        for i, m in enumerate(parsed)
        if resolve_deps and owners[i].resolver is not None and _needs_resolution(m)
    ]
    resolved_with = None
    goal = Target(python_version, platform)
    if pending:  # (a locked project, the common case, imports none of this)
        from concurrent.futures import ThreadPoolExecutor

        def resolved(i: int) -> Manifest:
            resolver = owners[i].resolver
            assert resolver is not None
            own = resolver.own_name(files[i][0])
            return resolver.resolve(parsed[i], own, index_url, timeout, build, goal)

        # Each resolution is a resolver process of its own; a few at a time, results in order.
        with ThreadPoolExecutor(max_workers=_RESOLVERS_AT_ONCE) as pool:
            jobs = {i: pool.submit(resolved, i) for i in pending}
            for i, job in jobs.items():
                effective[i] = job.result()
        names = {r.name for i in pending if (r := owners[i].resolver) is not None}
        resolved_with = ", ".join(sorted(names))
    return _inventory(
        str(target), list(zip(owners, effective, strict=True)), tuple(m.path for m in parsed),
        resolved_with,
    )  # fmt: skip


def _manifest_files(target: Path, ecosystems: Sequence[Ecosystem]) -> list[tuple[Path, str, str]]:
    """(path, kind, display) for each file to parse; display is relative to the target."""
    if target.is_dir():
        found = [(p, k, p.relative_to(target).as_posix()) for p, k in discover(target, ecosystems)]
        if not found:
            raise InventoryError(
                str(target), None, f"no manifest or lock file found under {target}"
            )
        return found
    if not target.exists():
        raise InventoryError(str(target), None, "no such file or directory")
    return [(target, kind_of(target, ecosystems), target.name)]


def _covered_projects(
    files: list[tuple[Path, str, str]], parsed: list[Manifest], owners: list[Ecosystem]
) -> set[Path]:
    """The directories of the local projects that the lock files among `parsed` lock:
    workspace members and path dependencies, as each lock writes their paths (relative to
    the lock's directory, or file: URLs)."""
    covered: set[Path] = set()
    for (path, kind, _), manifest, eco in zip(files, parsed, owners, strict=True):
        if kind not in eco.manifests.lock_kinds:
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


def _needs_resolution(manifest: Manifest) -> bool:
    return not manifest.locked and any(e.origin is Origin.REGISTRY for e in manifest.entries)


class _Merged(msgspec.Struct):
    """Everything the manifests say about one (name, version)."""

    name: str
    version: str | None
    direct: bool = False
    origin: Origin = Origin.REGISTRY
    url: str | None = None
    locations: dict[Location, None] = msgspec.field(default_factory=dict)
    scopes: set[str] = msgspec.field(default_factory=set)
    via: dict[tuple[str, ...], None] = msgspec.field(default_factory=dict)
    exposure: set[str] = msgspec.field(default_factory=set)

    def add(self, entry: Declared, scopes: set[str]) -> None:
        self.direct = self.direct or entry.direct
        if entry.via:
            self.via[entry.via] = None
        self.exposure.update(entry.exposure)
        if self.origin is Origin.REGISTRY and entry.origin is not Origin.REGISTRY:
            self.origin, self.url = entry.origin, entry.url  # the riskier origin wins
        self.locations[entry.location] = None
        self.scopes |= scopes


def manifest_scopes(manifest: Manifest) -> dict[str, set[str]]:
    """Name -> the scopes that pull it in, in one manifest: the scopes the file states for
    an entry, and the union of those of every entry whose dependencies (over the
    manifest's graph) reach it. A package nothing places in a scope is runtime: a scope
    filter never hides what an install may bring in."""
    found: dict[str, set[str]] = {}
    for entry in manifest.entries:
        found.setdefault(entry.name, set()).update(entry.scopes)
    # Breadth first from every entry that has scopes, carrying each scope to what it reaches.
    queue = deque((name, scope) for name, scopes in found.items() for scope in scopes)
    while queue:
        name, scope = queue.popleft()
        for child in manifest.graph.get(name, ()):
            here = found.setdefault(child, set())
            if scope not in here:
                here.add(scope)
                queue.append((child, scope))
    for scopes in found.values():
        if not scopes:
            scopes.add(RUNTIME)
    return found


def _inventory(
    root: str,
    manifests: Sequence[tuple[Ecosystem, Manifest]],
    files: tuple[str, ...],
    resolved_with: str | None,
) -> Inventory:
    merged: dict[tuple[str, str, str | None], _Merged] = {}
    graph: dict[str, set[str]] = {}
    graphs: dict[str, dict[str, set[str]]] = {}  # by ecosystem: names are per ecosystem
    for eco, manifest in manifests:
        scopes = manifest_scopes(manifest)
        for entry in manifest.entries:
            key = (entry.ecosystem or eco.name, entry.name, entry.version)
            merged.setdefault(key, _Merged(entry.name, entry.version)).add(
                entry, scopes[entry.name]
            )
        for parent, children in manifest.graph.items():
            graph.setdefault(parent, set()).update(children)
            graphs.setdefault(eco.name, {}).setdefault(parent, set()).update(children)
    paths: dict[str, dict[str, list[tuple[str, ...]]]] = {}
    for eco_name in {k[0] for k in merged}:
        direct = sorted({k[1] for k, m in merged.items() if k[0] == eco_name and m.direct})
        eco_graph = {k: sorted(v) for k, v in graphs.get(eco_name, {}).items()}
        paths[eco_name] = shortest_paths(direct, eco_graph, MAX_PATHS)
    packages = tuple(
        Package(
            ecosystem=key[0],
            name=m.name,
            version=m.version,
            direct=m.direct,
            # a CI/CD entry says its own chain (file, job, step); others' come from the graph
            paths=tuple(m.via)[:MAX_PATHS] if m.via else tuple(paths[key[0]].get(m.name, ())),
            origin=m.origin,
            url=m.url,
            locations=tuple(m.locations),
            scopes=sorted_scopes(m.scopes),
            exposure=tuple(sorted(m.exposure)),
        )
        for key, m in sorted(merged.items(), key=lambda kv: (kv[0][1], kv[0][2] or "", kv[0][0]))
    )
    return Inventory(
        root=root,
        packages=packages,
        manifests=files,
        resolved_with=resolved_with,
        unanalysed=tuple((m.path, what, why) for _, m in manifests for what, why in m.unanalysed),
        graph={name: tuple(sorted(children)) for name, children in sorted(graph.items())},
        scope_notes=tuple(sorted({n for _, m in manifests for n in m.scope_notes})),
        unresolved_scopes=tuple(f for _, m in manifests for f in m.unresolved),
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
