"""uv.lock: uv's universal lock file.

Every `[[package]]` is locked with its source and its dependencies, so the graph is exact.
The project's own packages (the root, `source = { virtual = "." }` or `{ editable = "." }`,
and the workspace members listed in `[manifest] members`) are not dependencies: what they
depend on, including their optional and dev groups, is what the project asked for directly.
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
    load_toml,
    lock_graph,
    locked_package,
    opt_str,
    package_name,
    package_tables,
)

KIND = "uv.lock"


class _Package(msgspec.Struct, frozen=True):
    """One `[[package]]` as read, before direct-ness is known."""

    declared: Declared
    project: bool
    # (name, group, marker, scope): scope is runtime, extra:<name> or a dev group's name
    dependencies: tuple[tuple[str, str | None, str | None, str], ...]
    specifiers: dict[str, str]  # what a project package's metadata asks for, by name
    local: str | None  # the directory of a local source (editable, virtual, directory, path)


def parse(path: Path, display: str) -> Manifest:
    """Parse a uv.lock into its locked packages and their graph."""
    data, text = load_toml(path, display)
    members = _members(data, display)
    packages = [
        _package(raw, line, display, members)
        for raw, line in package_tables(data, text, display, "package")
    ]

    names = {p.declared.name for p in packages if not p.project}
    edges: dict[str, set[str]] = {}
    for package in packages:
        if not package.project:
            children = (child for child, _, _, _ in package.dependencies)
            edges.setdefault(package.declared.name, set()).update(children)
    graph = lock_graph(edges, names)

    # What the project packages ask for: name -> (group, marker) of the first mention,
    # preferring a main dependency (group None) over an optional or dev one.
    wanted: dict[str, tuple[str | None, str | None]] = {}
    scopes: dict[str, set[str]] = {}  # every scope in which a project package asks for it
    specifiers: dict[str, str] = {}
    for package in packages:
        if not package.project:
            continue
        for child, specifier in package.specifiers.items():
            specifiers.setdefault(child, specifier)
        for child, group, marker, scope in package.dependencies:
            if child in names:
                scopes.setdefault(child, set()).add(scope)
            if child in names and (child not in wanted or (group is None and wanted[child][0])):
                wanted[child] = (group, marker)
    if not any(p.project for p in packages):
        wanted = {name: (None, None) for name in graph_roots(names, graph)}

    entries = []
    for package in packages:
        if package.project:
            continue
        declared = package.declared
        if declared.name in wanted:
            group, marker = wanted[declared.name]
            specifier = specifiers.get(declared.name, "")
            declared = replace(
                declared,
                direct=True,
                group=group,
                marker=marker,
                specifier=specifier,
                scopes=sorted_scopes(scopes.get(declared.name, {RUNTIME})),
            )
        else:
            declared = replace(declared, direct=False, group=None, marker=None)
        entries.append(declared)
    covers = tuple(sorted({p.local for p in packages if p.local is not None}))
    return Manifest(
        path=display, kind=KIND, entries=tuple(entries), locked=True, graph=graph, covers=covers
    )


def _members(data: dict[str, object], display: str) -> set[str]:
    manifest = data.get("manifest")
    if manifest is None:
        return set()
    manifest = as_table(manifest, display, None, "[manifest]")
    members = as_list(manifest.get("members", []), display, None, "[manifest] members")
    return {package_name(m, display, None, "[manifest] members") for m in members}


def _package(raw: object, line: int | None, display: str, members: set[str]) -> _Package:
    table = as_table(raw, display, line, "[[package]]")
    name = package_name(table.get("name"), display, line, "package name")
    version = opt_str(table.get("version"), display, line, f"{name} version")
    source = as_table(table.get("source", {}), display, line, f"{name} source")
    origin, url, local = _source(source, display, line, name)
    project = name in members or (local is not None and local.rstrip("/") in ("", "."))
    directory = url if origin is Origin.PATH else None

    dependencies: list[tuple[str, str | None, str | None, str]] = []
    dependencies.extend(
        _dependencies(table.get("dependencies"), None, RUNTIME, display, line, name)
    )
    for key in ("optional-dependencies", "dev-dependencies"):
        groups = as_table(table.get(key, {}), display, line, f"{name} {key}")
        for group, deps in groups.items():
            scope = extra_scope(group_scope(group)) if key[0] == "o" else group_scope(group)
            dependencies.extend(_dependencies(deps, group, scope, display, line, name))

    hashes: list[str] = []
    sdist = table.get("sdist")
    if sdist is not None:
        hashes.extend(_hash(sdist, display, line, name))
    for wheel in as_list(table.get("wheels", []), display, line, f"{name} wheels"):
        hashes.extend(_hash(wheel, display, line, name))

    declared = locked_package(
        name, Location(display, line), version, origin=origin, url=url, hashes=hashes
    )
    specifiers = _requested(table.get("metadata"), display, line, name) if project else {}
    return _Package(declared, project, tuple(dependencies), specifiers, directory)


def _requested(raw: object, display: str, line: int | None, name: str) -> dict[str, str]:
    """Name -> specifier from a project's `[package.metadata]` requires-dist / requires-dev."""
    if raw is None:
        return {}
    metadata = as_table(raw, display, line, f"{name} metadata")
    lists = [metadata.get("requires-dist", [])]
    dev = metadata.get("requires-dev")
    if dev is not None:
        lists.extend(as_table(dev, display, line, f"{name} requires-dev").values())
    found: dict[str, str] = {}
    for requirements in lists:
        for raw_requirement in as_list(requirements, display, line, f"{name} requires-dist"):
            requirement = as_table(raw_requirement, display, line, f"{name} requirement")
            child = package_name(requirement.get("name"), display, line, f"{name} requirement")
            specifier = opt_str(requirement.get("specifier"), display, line, f"{child} specifier")
            if specifier:
                found.setdefault(child, specifier)
    return found


def _source(
    source: dict[str, object], display: str, line: int | None, name: str
) -> tuple[Origin, str | None, str | None]:
    """(origin, url, local path) for a package's `source` table."""
    what = f"{name} source"
    if "registry" in source:
        registry = as_str(source["registry"], display, line, f"{what} registry")
        return Origin.REGISTRY, index_url(registry), None
    if "git" in source:
        git = as_str(source["git"], display, line, f"{what} git")
        return Origin.VCS, git if git.startswith("git+") else f"git+{git}", None
    if "url" in source:
        return Origin.URL, as_str(source["url"], display, line, f"{what} url"), None
    for key in ("editable", "virtual", "directory", "path"):
        if key in source:
            local = as_str(source[key], display, line, f"{what} {key}")
            return Origin.PATH, local, (local if key in ("editable", "virtual") else None)
    if not source:
        return Origin.REGISTRY, None, None
    raise InventoryError(display, line, f"{what} has an unknown kind: {sorted(source)}")


def _dependencies(
    raw: object, group: str | None, scope: str, display: str, line: int | None, parent: str
) -> list[tuple[str, str | None, str | None, str]]:
    if raw is None:
        return []
    found = []
    for dep in as_list(raw, display, line, f"{parent} dependencies"):
        dep = as_table(dep, display, line, f"{parent} dependency")
        child = package_name(dep.get("name"), display, line, f"{parent} dependency name")
        marker = opt_str(dep.get("marker"), display, line, f"{parent} dependency marker")
        found.append((child, group, marker, scope))
    return found


def _hash(raw: object, display: str, line: int | None, name: str) -> list[str]:
    artifact = as_table(raw, display, line, f"{name} artifact")
    value = opt_str(artifact.get("hash"), display, line, f"{name} artifact hash")
    return [value] if value else []
