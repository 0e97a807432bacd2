"""pylock.toml and pylock.<name>.toml: the standard lock file of PEP 751.

Each `[[packages]]` entry is locked, and says where its files come from: an index (`sdist`,
`wheels`), a direct `archive`, a `vcs` checkout or a local `directory`. A `directory` entry
for the project itself (path ".") is not a dependency; its `dependencies` are the direct
ones. Otherwise the direct packages are those a pyproject.toml beside the lock declares, or
the roots of the graph when the lock records `dependencies`, or else all of them (a lock
without a graph cannot tell).
"""

from __future__ import annotations

from pathlib import Path

import msgspec
from msgspec.structs import replace

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin
from chaingate.core.scopes import RUNTIME, extra_scope, sorted_scopes
from chaingate.ecosystems.pypi.manifests._common import (
    as_list,
    as_str,
    as_table,
    graph_roots,
    group_scope,
    index_url,
    line_of,
    load_toml,
    lock_graph,
    locked_package,
    opt_str,
    package_name,
    package_tables,
    vcs_url,
)
from chaingate.ecosystems.pypi.manifests.pyproject import sibling_declared_names

KIND = "pylock"
_SUPPORTED_MAJOR = "1"


class _Package(msgspec.Struct, frozen=True):
    declared: Declared
    project: bool
    children: frozenset[str]
    has_dependencies: bool


def parse(path: Path, display: str) -> Manifest:
    """Parse a PEP 751 lock file into its locked packages and their graph."""
    data, text = load_toml(path, display)
    lock_version = as_str(data.get("lock-version"), display, None, "lock-version")
    if lock_version.split(".", 1)[0] != _SUPPORTED_MAJOR:
        line = line_of(text, ("lock-version",))
        raise InventoryError(
            display, line, f"lock-version {lock_version!r} is not supported (expected 1.x)"
        )
    tables = package_tables(data, text, display, "packages")
    packages = [_package(raw, line, display) for raw, line in tables]

    names = {p.declared.name for p in packages if not p.project}
    edges: dict[str, set[str]] = {}
    for package in packages:
        if not package.project:
            edges.setdefault(package.declared.name, set()).update(package.children)
    graph = lock_graph(edges, names)

    project_children = {c for p in packages if p.project for c in p.children} & names
    declared_names = sibling_declared_names(path, display)
    if project_children:
        direct = project_children
    elif declared_names and declared_names & names:
        direct = declared_names & names
    elif any(p.has_dependencies for p in packages):
        direct = graph_roots(names, graph)
    else:
        direct = names
    entries = tuple(
        replace(p.declared, direct=p.declared.name in direct) for p in packages if not p.project
    )
    return Manifest(path=display, kind=KIND, entries=entries, locked=True, graph=graph)


def _package(raw: object, line: int | None, display: str) -> _Package:
    table = as_table(raw, display, line, "[[packages]]")
    name = package_name(table.get("name"), display, line, "package name")
    version = opt_str(table.get("version"), display, line, f"{name} version")
    marker = opt_str(table.get("marker"), display, line, f"{name} marker")

    origin, url, project = Origin.REGISTRY, None, False
    hashes: list[str] = []
    if "vcs" in table:
        vcs = as_table(table["vcs"], display, line, f"{name} vcs")
        kind = as_str(vcs.get("type", "git"), display, line, f"{name} vcs type")
        location = opt_str(vcs.get("url"), display, line, f"{name} vcs url") or opt_str(
            vcs.get("path"), display, line, f"{name} vcs path"
        )
        if location is None:
            raise InventoryError(display, line, f"{name} vcs has neither url nor path")
        commit = opt_str(vcs.get("commit-id"), display, line, f"{name} vcs commit-id")
        origin, url = Origin.VCS, vcs_url(kind, location, commit)
    elif "directory" in table:
        directory = as_table(table["directory"], display, line, f"{name} directory")
        url = as_str(directory.get("path"), display, line, f"{name} directory path")
        origin, project = Origin.PATH, url.rstrip("/") in ("", ".")
    elif "archive" in table:
        archive = as_table(table["archive"], display, line, f"{name} archive")
        remote = opt_str(archive.get("url"), display, line, f"{name} archive url")
        local = opt_str(archive.get("path"), display, line, f"{name} archive path")
        if remote is None and local is None:
            raise InventoryError(display, line, f"{name} archive has neither url nor path")
        origin, url = (Origin.URL, remote) if remote is not None else (Origin.PATH, local)
        hashes.extend(_hashes(archive, display, line, name))
    else:
        index = opt_str(table.get("index"), display, line, f"{name} index")
        url = index_url(index)
        if "sdist" in table:
            sdist = as_table(table["sdist"], display, line, f"{name} sdist")
            hashes.extend(_hashes(sdist, display, line, name))
        for wheel in as_list(table.get("wheels", []), display, line, f"{name} wheels"):
            wheel = as_table(wheel, display, line, f"{name} wheel")
            hashes.extend(_hashes(wheel, display, line, name))

    children: set[str] = set()
    raw_dependencies = table.get("dependencies")
    if raw_dependencies is not None:
        for dep in as_list(raw_dependencies, display, line, f"{name} dependencies"):
            dep = as_table(dep, display, line, f"{name} dependency")
            children.add(package_name(dep.get("name"), display, line, f"{name} dependency name"))

    declared = locked_package(
        name,
        Location(display, line),
        version,
        origin=origin,
        url=url,
        hashes=hashes,
        marker=marker,
        scopes=_marker_scopes(marker, display, line, name),
    )
    return _Package(declared, project, frozenset(children), raw_dependencies is not None)


def _marker_scopes(
    marker: str | None, display: str, line: int | None, name: str
) -> tuple[str, ...]:
    """The scopes a package's marker names (PEP 751: `'socks' in extras`, `'dev' in
    dependency_groups`): those extras and groups; a marker naming neither leaves the
    package runtime."""
    if marker is None:
        return (RUNTIME,)
    from packaging.markers import InvalidMarker, Marker

    try:
        parsed = Marker(marker)
    except InvalidMarker as exc:
        raise InventoryError(display, line, f"{name} has an invalid marker: {exc}") from exc
    found: set[str] = set()
    stack: list[object] = [parsed._markers]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple) and len(item) == 3 and _is_term(item):
            left, op, right = (str(getattr(x, "value", x)) for x in item)
            variable = {type(item[0]).__name__: left, type(item[2]).__name__: right}
            if op in ("in", "==") and variable.get("Variable") in ("extras", "extra"):
                found.add(extra_scope(group_scope(variable.get("Value", ""))))
            elif op == "in" and variable.get("Variable") == "dependency_groups":
                found.add(group_scope(variable.get("Value", "")))
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return sorted_scopes(found) or (RUNTIME,)


def _is_term(item: list[object] | tuple[object, ...]) -> bool:
    return type(item[1]).__name__ == "Op"


def _hashes(artifact: dict[str, object], display: str, line: int | None, name: str) -> list[str]:
    raw = artifact.get("hashes")
    if raw is None:
        return []
    table = as_table(raw, display, line, f"{name} hashes")
    return [
        f"{algorithm}:{as_str(value, display, line, f'{name} hash {algorithm}')}"
        for algorithm, value in table.items()
    ]
