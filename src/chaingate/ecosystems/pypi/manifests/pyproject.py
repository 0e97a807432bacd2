"""pyproject.toml: the dependencies a project declares (PEP 621, PEP 735 and Poetry tables).

A pyproject.toml is never locked: it states ranges, so the resolver must pin it. The lock
parsers read the one beside a lock through `sibling_declared_names`, to tell the packages
the project asked for from the ones they pull in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from msgspec.structs import replace
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin
from chaingate.core.scopes import RUNTIME, extra_scope, sorted_scopes
from chaingate.ecosystems.pypi.manifests._common import (
    as_list,
    as_str,
    as_table,
    declared_from_pep508,
    group_scope,
    index_url,
    key_line,
    line_of,
    load_toml,
    named_urls,
    opt_str,
    origin_of_url,
    package_name,
    sibling_file,
    table_line,
    vcs_url,
)

KIND = "pyproject"


def parse(path: Path, display: str) -> Manifest:
    """Parse a pyproject.toml into the dependencies it declares (never locked)."""
    data, text = load_toml(path, display)
    entries = tuple(_entries(data, text, display))
    project = data.get("project")
    requires = project.get("requires-python") if isinstance(project, dict) else None
    requires_python = requires if isinstance(requires, str) else None
    return Manifest(path=display, kind=KIND, entries=entries, requires_python=requires_python)


def sibling_declared_names(lock: Path, lock_display: str) -> set[str] | None:
    """Names the pyproject.toml beside a lock file declares, or None when there is none.

    An unreadable or invalid sibling pyproject.toml is an error (naming that file): it is
    the only record of which locked packages the project asked for.
    """
    found = sibling_declared_scopes(lock, lock_display)
    return None if found is None else set(found)


def sibling_declared_scopes(lock: Path, lock_display: str) -> dict[str, set[str]] | None:
    """Name -> the scopes the pyproject.toml beside a lock file declares it in, or None
    when there is none (errors as `sibling_declared_names`)."""
    found = sibling_file(lock, lock_display, "pyproject.toml")
    if found is None:
        return None
    declared: dict[str, set[str]] = {}
    for entry in parse(*found).entries:
        declared.setdefault(entry.name, set()).update(entry.scopes)
    return declared


def sibling_extras(lock: Path, lock_display: str) -> set[str]:
    """The optional-dependency extras (normalised) the pyproject.toml beside a lock
    declares, to tell a PDM group that is an extra from a development group."""
    return {
        scope[len("extra:") :]
        for scopes in (sibling_declared_scopes(lock, lock_display) or {}).values()
        for scope in scopes
        if scope.startswith("extra:")
    }


def _entries(data: dict[str, object], text: str, display: str) -> Iterator[Declared]:
    tool = data.get("tool")
    tool = as_table(tool, display, None, "[tool]") if tool is not None else {}
    sources = _uv_sources(tool.get("uv"), text, display)
    standard: list[Declared] = []
    project = data.get("project")
    if project is not None:
        project = as_table(project, display, table_line(text, "project"), "[project]")
        standard.extend(_pep621(project, text, display))
    groups = data.get("dependency-groups")
    if groups is not None:
        start = table_line(text, "dependency-groups")
        groups = as_table(groups, display, start, "[dependency-groups]")
        standard.extend(_pep735(groups, text, display))
    for entry in standard:
        source = sources.get(entry.name)
        if source is not None and entry.origin is Origin.REGISTRY:
            origin, url = source
            version = entry.version if origin is Origin.REGISTRY else None
            entry = replace(entry, origin=origin, url=url, version=version)
        yield entry
    poetry = tool.get("poetry")
    if poetry is not None:
        start = table_line(text, "tool", "poetry")
        yield from _poetry(as_table(poetry, display, start, "[tool.poetry]"), text, display)
    pdm = tool.get("pdm")
    if isinstance(pdm, dict) and "dev-dependencies" in pdm:
        yield from _pdm_dev(pdm["dev-dependencies"], text, display)


def _uv_sources(uv: object, text: str, display: str) -> dict[str, tuple[Origin, str | None]]:
    """`[tool.uv.sources]`: where uv fetches a dependency instead of the default index.

    A source given as a list (one per marker) counts by its first non-index entry, so a
    dependency that bypasses the index on any platform is reported as bypassing it.
    """
    found: dict[str, tuple[Origin, str | None]] = {}
    if uv is None:
        return found
    uv = as_table(uv, display, table_line(text, "tool", "uv"), "[tool.uv]")
    indexes = named_urls(uv.get("index", []), display, None, "[[tool.uv.index]]")
    raw = uv.get("sources")
    if raw is None:
        return found
    start = table_line(text, "tool", "uv", "sources") or 1
    for raw_name, spec in as_table(raw, display, start, "[tool.uv.sources]").items():
        line = key_line(text, raw_name, start)
        what = f"[tool.uv.sources] {raw_name}"
        options = spec if isinstance(spec, list) else [spec]
        choices = [
            _uv_source(as_table(o, display, line, what), indexes, display, line, what)
            for o in options
        ]
        bypassing = [c for c in choices if c[0] is not Origin.REGISTRY]
        if bypassing or choices:
            found[canonicalize_name(raw_name)] = (bypassing or choices)[0]
    return found


def _uv_source(
    source: dict[str, object], indexes: dict[str, str], display: str, line: int | None, what: str
) -> tuple[Origin, str | None]:
    if "git" in source:
        return Origin.VCS, _git_url(source, display, line, what)
    if "path" in source:
        return Origin.PATH, as_str(source["path"], display, line, f"{what} path")
    if "url" in source:
        return Origin.URL, as_str(source["url"], display, line, f"{what} url")
    if source.get("workspace") is True:
        return Origin.PATH, None
    if "index" in source:
        name = as_str(source["index"], display, line, f"{what} index")
        return Origin.REGISTRY, index_url(indexes.get(name, name))
    raise InventoryError(display, line, f"{what} names no git, path, url, workspace or index")


def _git_url(table: dict[str, object], display: str, line: int | None, what: str) -> str:
    """A `git = ...` dependency (uv source, Poetry) with its `rev`, `tag` or `branch` as a
    pip-style VCS URL."""
    git = as_str(table["git"], display, line, f"{what} git")
    ref = next(
        (
            as_str(table[key], display, line, f"{what} {key}")
            for key in ("rev", "tag", "branch")
            if key in table
        ),
        None,
    )
    return vcs_url("git", git, ref)


def _pep508_list(
    values: object,
    text: str,
    display: str,
    start: int,
    what: str,
    group: str | None,
    scope: str,
) -> Iterator[Declared]:
    after = start
    for value in as_list(values, display, start, what):
        if not isinstance(value, str):
            raise InventoryError(display, start, f"{what} must hold requirement strings")
        line = _string_line(text, value, start, after)
        after = line or after
        yield declared_from_pep508(value, Location(display, line), group=group, scopes=(scope,))


def _string_line(text: str, value: str, start: int, after: int = 0) -> int | None:
    """The line of a requirement string: first looked for from `after` (the line of the
    entry before it in its array, so a long array is searched once), then from `start`,
    then anywhere."""
    name = re.split(r"[\s\[<>=!~;@(]", value.strip(), maxsplit=1)[0]
    needles = (f'"{value}"', f"'{value}'", value, name)
    return (
        (line_of(text, needles[:3], after) if after > start else None)
        or line_of(text, needles, start)
        or line_of(text, needles[:3])
    )


def _pep621(project: dict[str, object], text: str, display: str) -> Iterator[Declared]:
    start = table_line(text, "project") or 1
    if "dependencies" in project:
        line = key_line(text, "dependencies", start) or start
        yield from _pep508_list(
            project["dependencies"], text, display, line, "[project].dependencies", None, RUNTIME
        )
    optional = project.get("optional-dependencies")
    if optional is not None:
        opt_start = table_line(text, "project", "optional-dependencies") or start
        what = "[project.optional-dependencies]"
        for extra, values in as_table(optional, display, opt_start, what).items():
            line = key_line(text, extra, opt_start) or opt_start
            scope = extra_scope(canonicalize_name(extra))
            yield from _pep508_list(values, text, display, line, f"{what} {extra}", extra, scope)


def _pep735(groups: dict[str, object], text: str, display: str) -> Iterator[Declared]:
    """PEP 735 groups. An `{include-group = ...}` is checked (it must name a group and not
    form a cycle) but not expanded: the included group's entries are reported once, under
    the group that writes them.
    """
    start = table_line(text, "dependency-groups") or 1
    by_norm = {canonicalize_name(name): name for name in groups}
    includes: dict[str, list[str]] = {}
    written: list[tuple[str, str, int | None]] = []  # (group, requirement, line)
    for group, values in groups.items():
        line = key_line(text, group, start) or start
        what = f"[dependency-groups] {group}"
        includes[group] = []
        for value in as_list(values, display, line, what):
            if isinstance(value, str):
                written.append((group, value, _string_line(text, value, line)))
            elif isinstance(value, dict) and set(value) == {"include-group"}:
                target = as_str(value["include-group"], display, line, f"{what} include-group")
                if canonicalize_name(target) not in by_norm:
                    raise InventoryError(display, line, f"{what} includes unknown group {target!r}")
                includes[group].append(by_norm[canonicalize_name(target)])
            else:
                raise InventoryError(
                    display, line, f"{what} must hold requirement strings or include-group tables"
                )
    _check_group_cycles(includes, text, display, start)
    including = _including(includes)
    for group, value, entry_line in written:
        scopes = sorted_scopes(group_scope(g) for g in (group, *including[group]))
        yield declared_from_pep508(value, Location(display, entry_line), group=group, scopes=scopes)


def _including(includes: dict[str, list[str]]) -> dict[str, set[str]]:
    """Each group -> the groups that include it, directly or through others (no cycles:
    `_check_group_cycles` has run)."""
    found: dict[str, set[str]] = {group: set() for group in includes}
    changed = True
    while changed:
        changed = False
        for group, targets in includes.items():
            for target in targets:
                more = {group} | found[group]
                if not more <= found[target]:
                    found[target] |= more
                    changed = True
    return found


def _pdm_dev(groups: object, text: str, display: str) -> Iterator[Declared]:
    """PDM's legacy `[tool.pdm.dev-dependencies]`: PEP 508 strings, or `-e <url>#egg=name`."""
    start = table_line(text, "tool", "pdm", "dev-dependencies") or 1
    what = "[tool.pdm.dev-dependencies]"
    for group, values in as_table(groups, display, start, what).items():
        line = key_line(text, group, start) or start
        for value in as_list(values, display, line, f"{what} {group}"):
            value = as_str(value, display, line, f"{what} {group} entry")
            location = Location(display, _string_line(text, value, line))
            scopes = (group_scope(group),)
            if value.startswith("-e "):
                yield _editable(value[3:].strip(), location, group, scopes)
            else:
                yield declared_from_pep508(value, location, group=group, scopes=scopes)


def _editable(target: str, location: Location, group: str, scopes: tuple[str, ...]) -> Declared:
    """An editable `-e` entry: `name @ url` or a URL/path with `#egg=name`."""
    if "#egg=" not in target:
        entry = declared_from_pep508(target, location, group=group, scopes=scopes)
        return replace(entry, version=None)
    egg = target.rsplit("#egg=", 1)[1].split("&", 1)[0]
    name = package_name(egg, location.file, location.line, "-e #egg= name")
    return Declared(
        name=name,
        location=location,
        origin=origin_of_url(target),
        url=target,
        group=group,
        scopes=scopes,
    )


def _check_group_cycles(
    includes: dict[str, list[str]], text: str, display: str, start: int
) -> None:
    done: set[str] = set()

    def visit(group: str, stack: tuple[str, ...]) -> None:
        if group in stack:
            cycle = " -> ".join((*stack[stack.index(group) :], group))
            line = key_line(text, stack[-1], start)
            raise InventoryError(display, line, f"[dependency-groups] include cycle: {cycle}")
        if group in done:
            return
        for target in includes.get(group, ()):
            visit(target, (*stack, group))
        done.add(group)

    for group in includes:
        visit(group, ())


def _poetry(poetry: dict[str, object], text: str, display: str) -> Iterator[Declared]:
    sources = _poetry_sources(poetry, display, text)
    extras_of = _poetry_extras(poetry, display, text)
    tables: list[tuple[tuple[str, ...], object, str | None]] = []
    if "dependencies" in poetry:
        tables.append((("tool", "poetry", "dependencies"), poetry["dependencies"], None))
    if "dev-dependencies" in poetry:
        tables.append((("tool", "poetry", "dev-dependencies"), poetry["dev-dependencies"], "dev"))
    group_table = poetry.get("group")
    if group_table is not None:
        where = table_line(text, "tool", "poetry", "group")
        for name, raw in as_table(group_table, display, where, "[tool.poetry.group]").items():
            keys = ("tool", "poetry", "group", name)
            body = as_table(raw, display, table_line(text, *keys), f"[tool.poetry.group.{name}]")
            if "dependencies" in body:
                tables.append(((*keys, "dependencies"), body["dependencies"], name))
    for table_keys, table, group in tables:
        start = table_line(text, *table_keys) or table_line(text, "tool", "poetry") or 1
        what = "[" + ".".join(table_keys) + "]"
        for raw_name, spec in as_table(table, display, start, what).items():
            if raw_name.strip().lower() == "python":
                continue
            line = key_line(text, raw_name, start)
            yield from _poetry_entry(
                raw_name, spec, Location(display, line), group, sources, extras_of
            )


def _poetry_sources(poetry: dict[str, object], display: str, text: str) -> dict[str, str]:
    raw = poetry.get("source")
    if raw is None:
        return {}
    what = "[[tool.poetry.source]]"
    return named_urls(raw, display, line_of(text, (what,)), what)


def _poetry_extras(poetry: dict[str, object], display: str, text: str) -> dict[str, list[str]]:
    """Map each optional package (canonical name) to the extras that list it, in order."""
    found: dict[str, list[str]] = {}
    raw = poetry.get("extras")
    if raw is None:
        return found
    line = table_line(text, "tool", "poetry", "extras")
    for extra, names in as_table(raw, display, line, "[tool.poetry.extras]").items():
        for name in as_list(names, display, line, f"[tool.poetry.extras] {extra}"):
            member = canonicalize_name(as_str(name, display, line, "extra member"))
            found.setdefault(member, []).append(extra)
    return found


def _poetry_entry(
    raw_name: str,
    spec: object,
    location: Location,
    group: str | None,
    sources: dict[str, str],
    extras_of: dict[str, list[str]],
) -> Iterator[Declared]:
    display, line = location.file, location.line
    name = package_name(raw_name, display, line, "dependency name")
    scopes: tuple[str, ...] = (RUNTIME,) if group is None else (group_scope(group),)
    if isinstance(spec, list):
        for each in spec:
            yield from _poetry_entry(raw_name, each, location, group, sources, extras_of)
        return
    if isinstance(spec, str):
        yield Declared(
            name=name,
            location=location,
            specifier=spec,
            version=_poetry_exact(spec),
            group=group,
            scopes=scopes,
        )
        return
    table = as_table(spec, display, line, f"dependency {raw_name!r}")
    constraint = opt_str(table.get("version"), display, line, f"{raw_name} version") or ""
    extras = tuple(
        sorted(
            as_str(e, display, line, f"{raw_name} extras")
            for e in as_list(table.get("extras", []), display, line, f"{raw_name} extras")
        )
    )
    marker = opt_str(table.get("markers"), display, line, f"{raw_name} markers")
    if table.get("optional") is True and name in extras_of:
        group = extras_of[name][0]
        scopes = sorted_scopes(extra_scope(canonicalize_name(e)) for e in extras_of[name])
    origin, url = Origin.REGISTRY, None
    if "git" in table:
        origin, url = Origin.VCS, _git_url(table, display, line, raw_name)
    elif "path" in table:
        origin, url = Origin.PATH, as_str(table["path"], display, line, f"{raw_name} path")
    elif "url" in table:
        origin, url = Origin.URL, as_str(table["url"], display, line, f"{raw_name} url")
    elif "source" in table:
        source = as_str(table["source"], display, line, f"{raw_name} source")
        url = index_url(sources.get(source))
    yield Declared(
        name=name,
        location=location,
        specifier=constraint,
        version=_poetry_exact(constraint) if origin is Origin.REGISTRY else None,
        origin=origin,
        url=url,
        extras=extras,
        marker=marker,
        group=group,
        scopes=scopes,
    )


def _poetry_exact(constraint: str) -> str | None:
    """Poetry's exact pins: a bare version (`"1.2.3"`), `==1.2.3` or `===1.2.3`."""
    text = constraint.strip()
    for prefix in ("===", "=="):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    if not text or "*" in text or "," in text or " " in text:
        return None
    try:
        Version(text)
    except InvalidVersion:
        return None
    return text


def own_name(path: Path) -> str | None:
    """The project name a pyproject.toml gives itself (`[project].name`), if any."""
    if path.name != "pyproject.toml":
        return None
    import tomli as tomllib

    try:
        project = tomllib.loads(path.read_text(encoding="utf-8")).get("project")
    except (OSError, ValueError, RecursionError):
        return None
    name = project.get("name") if isinstance(project, dict) else None
    return canonicalize_name(name) if isinstance(name, str) else None
