"""poetry.lock: Poetry's lock file.

Each `[[package]]` is locked with its `[package.dependencies]`, which give the graph. The
lock does not say which packages the project asked for: when a pyproject.toml sits beside
it, the locked packages it declares are the direct ones; otherwise (or when it declares none
of them) the packages nothing else in the lock depends on, the roots of the graph, stand in
for them.
"""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin
from chaingate.core.scopes import RUNTIME, extra_scope, sorted_scopes
from chaingate.ecosystems.pypi.manifests._common import (
    as_list,
    as_str,
    as_table,
    file_hashes,
    graph_roots,
    group_scope,
    index_url,
    load_toml,
    lock_graph,
    locked_package,
    opt_str,
    package_name,
    package_tables,
    vcs_url,
)
from chaingate.ecosystems.pypi.manifests.pyproject import sibling_declared_names

KIND = "poetry.lock"


def parse(path: Path, display: str) -> Manifest:
    """Parse a poetry.lock into its locked packages and their graph."""
    data, text = load_toml(path, display)
    tables = package_tables(data, text, display, "package")
    legacy_hashes = _legacy_hashes(data, display)
    extras = _extras(data, display)

    entries: list[Declared] = []
    edges: dict[str, set[str]] = {}
    for raw, line in tables:
        declared, children = _package(raw, line, display, legacy_hashes, extras)
        entries.append(declared)
        edges.setdefault(declared.name, set()).update(children)

    names = {e.name for e in entries}
    graph = lock_graph(edges, names)
    declared_names = sibling_declared_names(path, display)
    direct = (declared_names or set()) & names or graph_roots(names, graph)
    entries = [replace(e, direct=e.name in direct) for e in entries]
    return Manifest(path=display, kind=KIND, entries=tuple(entries), locked=True, graph=graph)


def _extras(data: dict[str, object], display: str) -> dict[str, set[str]]:
    """Package -> the extras (as scopes) the lock's `[extras]` table lists it under."""
    found: dict[str, set[str]] = {}
    for extra, members in as_table(data.get("extras", {}), display, None, "[extras]").items():
        for member in as_list(members, display, None, f"[extras] {extra}"):
            text = as_str(member, display, None, f"[extras] {extra} entry").split("[")[0]
            name = package_name(text.split(" ")[0], display, None, f"[extras] {extra} entry")
            found.setdefault(name, set()).add(extra_scope(group_scope(extra)))
    return found


def _package(
    raw: object,
    line: int | None,
    display: str,
    legacy_hashes: dict[str, tuple[str, ...]],
    extras: dict[str, set[str]],
) -> tuple[Declared, set[str]]:
    table = as_table(raw, display, line, "[[package]]")
    name = package_name(table.get("name"), display, line, "package name")
    version = as_str(table.get("version"), display, line, f"{name} version")

    group = _group(table, display, line, name)
    scopes = set(_scopes(table, display, line, name))
    if table.get("optional") is True:  # installed only with an extra, never for runtime
        scopes = (scopes - {RUNTIME}) | extras.get(name, set())
    origin, url = _source(table.get("source"), display, line, name)

    hashes = file_hashes(table, display, line, name) or list(legacy_hashes.get(name, ()))

    dependencies = as_table(table.get("dependencies", {}), display, line, f"{name} dependencies")
    children = {package_name(child, display, line, f"{name} dependency") for child in dependencies}

    declared = locked_package(
        name,
        Location(display, line),
        version,
        origin=origin,
        url=url,
        hashes=hashes,
        group=group,
        scopes=sorted_scopes(scopes),
    )
    return declared, children


def _scopes(table: dict[str, object], display: str, line: int | None, name: str) -> list[str]:
    """Every group the lock says the package is in (Poetry 2 `groups`, or the older
    `category`), as scopes: `main` is runtime."""
    if "groups" in table:
        groups = [
            as_str(g, display, line, f"{name} groups")
            for g in as_list(table["groups"], display, line, f"{name} groups")
        ]
    else:
        groups = [opt_str(table.get("category"), display, line, f"{name} category") or "main"]
    return [RUNTIME if g == "main" else group_scope(g) for g in groups]


def _group(table: dict[str, object], display: str, line: int | None, name: str) -> str | None:
    """The group a package belongs to: None for main, else Poetry's group or category."""
    if "groups" in table:
        groups = [
            as_str(g, display, line, f"{name} groups")
            for g in as_list(table["groups"], display, line, f"{name} groups")
        ]
        return None if not groups or "main" in groups else groups[0]
    category = opt_str(table.get("category"), display, line, f"{name} category")
    return None if category in (None, "main") else category


def _source(raw: object, display: str, line: int | None, name: str) -> tuple[Origin, str | None]:
    if raw is None:
        return Origin.REGISTRY, None
    source = as_table(raw, display, line, f"{name} source")
    kind = as_str(source.get("type", ""), display, line, f"{name} source type")
    url = opt_str(source.get("url"), display, line, f"{name} source url")
    if kind in ("legacy", "pypi", ""):
        return Origin.REGISTRY, index_url(url)
    if url is None:
        raise InventoryError(display, line, f"{name} source of type {kind!r} has no url")
    if kind == "git":
        ref = opt_str(
            source.get("resolved_reference") or source.get("reference"),
            display,
            line,
            f"{name} source reference",
        )
        return Origin.VCS, vcs_url("git", url, ref)
    if kind in ("hg", "svn", "bzr"):
        return Origin.VCS, vcs_url(kind, url, None)
    if kind == "url":
        return Origin.URL, url
    if kind in ("directory", "file"):
        return Origin.PATH, url
    raise InventoryError(display, line, f"{name} source has unknown type {kind!r}")


def _legacy_hashes(data: dict[str, object], display: str) -> dict[str, tuple[str, ...]]:
    """Hashes from the `[metadata.files]` table of lock files before Poetry 1.5."""
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return {}
    files = metadata.get("files")
    if files is None:
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for raw_name, artifacts in as_table(files, display, None, "[metadata.files]").items():
        hashes = []
        for artifact in as_list(artifacts, display, None, f"[metadata.files] {raw_name}"):
            artifact = as_table(artifact, display, None, f"[metadata.files] {raw_name}")
            value = opt_str(artifact.get("hash"), display, None, f"{raw_name} hash")
            if value:
                hashes.append(value)
        found[package_name(raw_name, display, None, "[metadata.files] key")] = tuple(hashes)
    return found
