"""pdm.lock: PDM's lock file.

Each `[[package]]` is locked; its `dependencies` are PEP 508 strings, which give the graph.
As with poetry.lock, the direct packages are those a pyproject.toml beside the lock declares,
or else the roots of the graph. PDM writes a package once more for each set of extras it
needs (`extras = [...]`); those copies add edges but not entries.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from chaingate.inventory.interface import Declared, InventoryError, Location, Manifest, Origin
from chaingate.inventory.pyproject import (
    as_list,
    as_str,
    as_table,
    graph_roots,
    header_lines,
    load_toml,
    opt_str,
    package_name,
    sibling_declared_names,
    vcs_url,
)

KIND = "pdm.lock"


def parse(path: Path, display: str) -> Manifest:
    """Parse a pdm.lock into its locked packages and their graph."""
    data, text = load_toml(path, display)
    raw_packages = as_list(data.get("package", []), display, None, "[[package]]")
    headers = header_lines(text, "package")
    lines: list[int | None] = (
        list(headers) if len(headers) == len(raw_packages) else [None] * len(raw_packages)
    )

    entries: dict[tuple[str, str | None], Declared] = {}
    edges: dict[str, set[str]] = {}
    for raw, line in zip(raw_packages, lines, strict=True):
        declared, children = _package(raw, line, display)
        entries.setdefault((declared.name, declared.version), declared)
        edges.setdefault(declared.name, set()).update(children)

    names = {name for name, _ in entries}
    graph = {
        parent: tuple(sorted(c for c in children if c in names and c != parent))
        for parent, children in sorted(edges.items())
    }
    graph = {parent: children for parent, children in graph.items() if children}
    declared_names = sibling_declared_names(path, display)
    direct = (declared_names or set()) & names or graph_roots(names, graph)
    result = tuple(replace(e, direct=e.name in direct) for e in entries.values())
    return Manifest(path=display, kind=KIND, entries=result, locked=True, graph=graph)


def _package(raw: object, line: int | None, display: str) -> tuple[Declared, set[str]]:
    table = as_table(raw, display, line, "[[package]]")
    name = package_name(table.get("name"), display, line, "package name")
    version = opt_str(table.get("version"), display, line, f"{name} version")

    groups = [
        as_str(g, display, line, f"{name} groups")
        for g in as_list(table.get("groups", []), display, line, f"{name} groups")
    ]
    group = None if not groups or "default" in groups else groups[0]

    origin, url = Origin.REGISTRY, None
    if "git" in table:
        git = as_str(table["git"], display, line, f"{name} git")
        ref = opt_str(table.get("revision") or table.get("ref"), display, line, f"{name} ref")
        origin, url = Origin.VCS, vcs_url("git", git, ref)
    elif "url" in table:
        origin, url = Origin.URL, as_str(table["url"], display, line, f"{name} url")
    elif "path" in table:
        origin, url = Origin.PATH, as_str(table["path"], display, line, f"{name} path")

    hashes: list[str] = []
    for file in as_list(table.get("files", []), display, line, f"{name} files"):
        file = as_table(file, display, line, f"{name} file")
        value = opt_str(file.get("hash"), display, line, f"{name} file hash")
        if value:
            hashes.append(value)

    children: set[str] = set()
    for dependency in as_list(table.get("dependencies", []), display, line, f"{name} dependencies"):
        text = as_str(dependency, display, line, f"{name} dependency")
        try:
            children.add(canonicalize_name(Requirement(text).name))
        except InvalidRequirement as exc:
            raise InventoryError(
                display, line, f"{name} has an invalid dependency {text!r}: {exc}"
            ) from exc

    declared = Declared(
        name=name,
        location=Location(display, line),
        version=version,
        origin=origin,
        url=url,
        direct=False,
        group=group,
        hashes=tuple(dict.fromkeys(hashes)),
    )
    return declared, children
