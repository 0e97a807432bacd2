"""pdm.lock: PDM's lock file.

Each `[[package]]` is locked; its `dependencies` are PEP 508 strings, which give the graph.
As with poetry.lock, the direct packages are those a pyproject.toml beside the lock declares,
or else the roots of the graph. PDM writes a package once more for each set of extras it
needs (`extras = [...]`); those copies add edges but not entries.
"""

from __future__ import annotations

from pathlib import Path

from msgspec.structs import replace
from packaging.utils import canonicalize_name

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin
from chaingate.core.scopes import RUNTIME, extra_scope, sorted_scopes
from chaingate.ecosystems.pypi.manifests._common import (
    as_list,
    as_str,
    as_table,
    file_hashes,
    graph_roots,
    group_scope,
    load_toml,
    lock_graph,
    locked_package,
    opt_str,
    package_name,
    package_tables,
    vcs_url,
)
from chaingate.ecosystems.pypi.manifests.pyproject import sibling_declared_names, sibling_extras

KIND = "pdm.lock"


def parse(path: Path, display: str) -> Manifest:
    """Parse a pdm.lock into its locked packages and their graph."""
    data, text = load_toml(path, display)
    extras = sibling_extras(path, display)  # PDM locks extras and dev groups alike

    entries: dict[tuple[str, str | None], Declared] = {}
    edges: dict[str, set[str]] = {}
    for raw, line in package_tables(data, text, display, "package"):
        declared, children = _package(raw, line, display, extras)
        entries.setdefault((declared.name, declared.version), declared)
        edges.setdefault(declared.name, set()).update(children)

    names = {name for name, _ in entries}
    graph = lock_graph(edges, names)
    declared_names = sibling_declared_names(path, display)
    direct = (declared_names or set()) & names or graph_roots(names, graph)
    result = tuple(replace(e, direct=e.name in direct) for e in entries.values())
    return Manifest(path=display, kind=KIND, entries=result, locked=True, graph=graph)


def _package(
    raw: object, line: int | None, display: str, extras: set[str]
) -> tuple[Declared, set[str]]:
    table = as_table(raw, display, line, "[[package]]")
    name = package_name(table.get("name"), display, line, "package name")
    version = opt_str(table.get("version"), display, line, f"{name} version")

    groups = [
        as_str(g, display, line, f"{name} groups")
        for g in as_list(table.get("groups", []), display, line, f"{name} groups")
    ]
    group = None if not groups or "default" in groups else groups[0]
    scopes = sorted_scopes(
        RUNTIME
        if g == "default"
        else (extra_scope(group_scope(g)) if group_scope(g) in extras else group_scope(g))
        for g in groups
    )

    origin, url = Origin.REGISTRY, None
    if "git" in table:
        git = as_str(table["git"], display, line, f"{name} git")
        ref = opt_str(table.get("revision") or table.get("ref"), display, line, f"{name} ref")
        origin, url = Origin.VCS, vcs_url("git", git, ref)
    elif "url" in table:
        origin, url = Origin.URL, as_str(table["url"], display, line, f"{name} url")
    elif "path" in table:
        origin, url = Origin.PATH, as_str(table["path"], display, line, f"{name} path")

    hashes = file_hashes(table, display, line, name)

    from packaging.requirements import InvalidRequirement, Requirement  # (see _common)

    children: set[str] = set()
    for dependency in as_list(table.get("dependencies", []), display, line, f"{name} dependencies"):
        text = as_str(dependency, display, line, f"{name} dependency")
        try:
            children.add(canonicalize_name(Requirement(text).name))
        except InvalidRequirement as exc:
            raise InventoryError(
                display, line, f"{name} has an invalid dependency {text!r}: {exc}"
            ) from exc

    declared = locked_package(
        name,
        Location(display, line),
        version,
        origin=origin,
        url=url,
        hashes=hashes,
        group=group,
        scopes=scopes,
    )
    return declared, children
