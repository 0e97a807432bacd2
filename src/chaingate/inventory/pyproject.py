"""pyproject.toml: the dependencies a project declares (PEP 621, PEP 735 and Poetry tables).

A pyproject.toml is never locked: it states ranges, so the resolver must pin it. This module
also holds the small helpers every TOML-based parser shares (reading a file, turning tomllib's
errors into `InventoryError` with a line, type checks on parsed values, finding the line of a
value in the text), because the lock parsers read their sibling pyproject.toml through it
anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast

import tomli as tomllib  # the mypyc-compiled parser: 2.6x faster than the stdlib on big locks
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chaingate.inventory.interface import Declared, InventoryError, Location, Manifest, Origin

KIND = "pyproject"

# ---------------------------------------------------------------------------------------------
# Helpers shared by the TOML-based parsers.
# ---------------------------------------------------------------------------------------------

_TOML_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")
_VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_VCS_PREFIX = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_PYPI_INDEXES = frozenset(
    {"https://pypi.org/simple", "https://pypi.python.org/simple", "https://pypi.org/pypi"}
)


def read_text(path: Path, display: str) -> str:
    """Read a manifest as UTF-8 (a BOM is tolerated); any failure is an `InventoryError`."""
    try:
        if not path.is_file():
            raise InventoryError(display, None, "not a regular file")
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryError(display, None, f"cannot read file: {exc.strerror or exc}") from exc
    except ValueError as exc:  # e.g. an embedded NUL byte in the path
        raise InventoryError(display, None, f"cannot read file: {exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InventoryError(display, line, "not valid UTF-8 text") from exc


def parse_toml(text: str, display: str) -> dict[str, object]:
    """Parse TOML text, reporting a syntax error at the line tomllib names."""
    try:
        return cast(dict[str, object], tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line: int | None = None
        found = _TOML_AT_LINE.search(message)
        if found:
            line = int(found.group(1))
            message = message[: found.start()]
        else:
            ended = _TOML_AT_END.search(message)
            if ended:
                line = text.count("\n") + 1
                message = message[: ended.start()]
        raise InventoryError(display, line, f"invalid TOML: {message}") from exc
    except RecursionError as exc:
        raise InventoryError(display, None, "invalid TOML: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise InventoryError(display, None, f"invalid TOML: {exc}") from exc


def load_toml(path: Path, display: str) -> tuple[dict[str, object], str]:
    """Read and parse a TOML file; returns the data and the text (for finding lines)."""
    text = read_text(path, display)
    return parse_toml(text, display), text


def as_table(value: object, display: str, line: int | None, what: str) -> dict[str, object]:
    """`value` as a TOML table / JSON object, or an `InventoryError` naming `what`."""
    if not isinstance(value, dict):
        raise InventoryError(display, line, f"{what} must be a table")
    return cast(dict[str, object], value)


def as_list(value: object, display: str, line: int | None, what: str) -> list[object]:
    """`value` as an array, or an `InventoryError` naming `what`."""
    if not isinstance(value, list):
        raise InventoryError(display, line, f"{what} must be an array")
    return cast(list[object], value)


def as_str(value: object, display: str, line: int | None, what: str) -> str:
    """`value` as a string, or an `InventoryError` naming `what`."""
    if not isinstance(value, str):
        raise InventoryError(display, line, f"{what} must be a string")
    return value


def opt_str(value: object, display: str, line: int | None, what: str) -> str | None:
    """Like `as_str`, but an absent value (None) is allowed."""
    return None if value is None else as_str(value, display, line, what)


def valid_name(name: str) -> bool:
    """Whether `name` is a valid (not yet canonical) package name, per PEP 508."""
    return _VALID_NAME.match(name) is not None


def package_name(value: object, display: str, line: int | None, what: str) -> str:
    """A required package name, canonicalised; invalid or non-string names are errors."""
    name = as_str(value, display, line, what).strip()
    if not valid_name(name):
        raise InventoryError(display, line, f"{what} {name!r} is not a valid package name")
    return canonicalize_name(name)


def header_lines(text: str, name: str) -> list[int]:
    """1-based lines of every `[[name]]` array-of-tables header, in file order."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(name)}\s*\]\]")
    return [n for n, line in enumerate(text.split("\n"), start=1) if pattern.match(line)]


def table_line(text: str, *keys: str) -> int | None:
    """1-based line of the `[a.b.c]` header for `keys`, allowing quotes and spaces."""
    part = r"\s*\.\s*".join(_key_pattern(k) for k in keys)
    pattern = re.compile(rf"^\s*\[\s*{part}\s*\]")
    for n, line in enumerate(text.split("\n"), start=1):
        if pattern.match(line):
            return n
    return None


def line_of(text: str, needles: tuple[str, ...], start: int = 1) -> int | None:
    """1-based line of the first of `needles` found at or after line `start` (best effort).

    Each needle is tried in turn over the whole range before the next, so put the most
    specific first.
    """
    lines = text.split("\n")
    for needle in needles:
        if not needle:
            continue
        for n in range(max(start, 1), len(lines) + 1):
            if needle in lines[n - 1]:
                return n
    return None


def key_line(text: str, key: str, start: int = 1) -> int | None:
    """1-based line where `key = ...` is written at or after line `start` (best effort)."""
    pattern = re.compile(rf"^\s*{_key_pattern(key)}\s*=")
    lines = text.split("\n")
    for n in range(max(start, 1), len(lines) + 1):
        if pattern.match(lines[n - 1]):
            return n
    return None


def _key_pattern(key: str) -> str:
    """A regex for a TOML key written bare, "double-quoted" or 'single-quoted'."""
    escaped = re.escape(key)
    return rf"(?:{escaped}|\"{escaped}\"|'{escaped}')"


def exact_version(specifier: SpecifierSet) -> str | None:
    """The pinned version when the specifier is an exact pin (`==X` without `*`, `===X`)."""
    for spec in specifier:
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith("*")):
            return spec.version
    return None


def origin_of_url(url: str) -> Origin:
    """How a direct reference fetches its files: VCS checkout, local path, or plain URL."""
    if _VCS_PREFIX.match(url):
        return Origin.VCS
    if url.lower().startswith("file:") or "://" not in url:
        return Origin.PATH
    return Origin.URL


def index_url(url: str | None) -> str | None:
    """The index URL worth recording for a registry package: None when it is PyPI itself."""
    if url is None or url.rstrip("/") in _PYPI_INDEXES:
        return None
    return url


def vcs_url(kind: str, url: str, ref: str | None) -> str:
    """A pip-style VCS URL (`git+https://host/repo@ref`) from a lock file's separate fields."""
    prefix = "" if _VCS_PREFIX.match(url) else f"{kind}+"
    return f"{prefix}{url}@{ref}" if ref else f"{prefix}{url}"


def declared_from_pep508(
    text: str, location: Location, *, group: str | None = None, direct: bool = True
) -> Declared:
    """One PEP 508 requirement string as a `Declared`; an invalid string is an InventoryError."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise InventoryError(
            location.file, location.line, f"invalid requirement {text!r}: {exc}"
        ) from exc
    return Declared(
        name=canonicalize_name(req.name),
        location=location,
        specifier=str(req.specifier),
        version=exact_version(req.specifier),
        origin=origin_of_url(req.url) if req.url else Origin.REGISTRY,
        url=req.url or None,
        extras=tuple(sorted(req.extras)),
        marker=str(req.marker) if req.marker is not None else None,
        direct=direct,
        group=group,
    )


def graph_roots(names: set[str], graph: dict[str, tuple[str, ...]]) -> set[str]:
    """The packages nothing else in the lock depends on, to stand in for the direct ones.

    Used when a lock file does not say which packages the project asked for. Packages only
    reachable through a dependency cycle that no root leads into are counted as roots too,
    so every package keeps a path from some direct dependency.
    """
    depended = {c for parent, children in graph.items() for c in children if c != parent}
    roots = names - depended
    reached = _reach(roots, graph, set())
    for name in sorted(names - reached):
        if name not in reached:
            roots.add(name)
            _reach({name}, graph, reached)
    return roots


def _reach(start: set[str], graph: dict[str, tuple[str, ...]], reached: set[str]) -> set[str]:
    """Add to `reached` everything reachable from `start`; returns `reached`."""
    stack = list(start)
    while stack:
        name = stack.pop()
        if name not in reached:
            reached.add(name)
            stack.extend(graph.get(name, ()))
    return reached


def sibling_declared_names(lock: Path, lock_display: str) -> set[str] | None:
    """Names the pyproject.toml beside a lock file declares, or None when there is none.

    An unreadable or invalid sibling pyproject.toml is an error (naming that file): it is
    the only record of which locked packages the project asked for.
    """
    sibling = lock.parent / "pyproject.toml"
    try:
        exists = sibling.is_file()
    except (OSError, ValueError):
        exists = False
    if not exists:
        return None
    display = sibling_display(lock_display, "pyproject.toml")
    return {entry.name for entry in parse(sibling, display).entries}


def sibling_display(display: str, name: str) -> str:
    """The display path of file `name` in the same folder as the file shown as `display`."""
    head, sep, _ = display.replace("\\", "/").rpartition("/")
    return f"{head}{sep}{name}"


# ---------------------------------------------------------------------------------------------
# The pyproject.toml parser.
# ---------------------------------------------------------------------------------------------


def parse(path: Path, display: str) -> Manifest:
    """Parse a pyproject.toml into the dependencies it declares (never locked)."""
    data, text = load_toml(path, display)
    entries = tuple(_entries(data, text, display))
    return Manifest(path=display, kind=KIND, entries=entries)


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
    indexes: dict[str, str] = {}
    for index in as_list(uv.get("index", []), display, None, "[[tool.uv.index]]"):
        index = as_table(index, display, None, "[[tool.uv.index]]")
        name, url = index.get("name"), index.get("url")
        if isinstance(name, str) and isinstance(url, str):
            indexes[name] = url
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
        git = as_str(source["git"], display, line, f"{what} git")
        ref = next(
            (
                as_str(source[key], display, line, f"{what} {key}")
                for key in ("rev", "tag", "branch")
                if key in source
            ),
            None,
        )
        return Origin.VCS, vcs_url("git", git, ref)
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


def _pep508_list(
    values: object, text: str, display: str, start: int, what: str, group: str | None
) -> Iterator[Declared]:
    for value in as_list(values, display, start, what):
        if not isinstance(value, str):
            raise InventoryError(display, start, f"{what} must hold requirement strings")
        line = _string_line(text, value, start)
        yield declared_from_pep508(value, Location(display, line), group=group)


def _string_line(text: str, value: str, start: int) -> int | None:
    name = re.split(r"[\s\[<>=!~;@(]", value.strip(), maxsplit=1)[0]
    return line_of(text, (f'"{value}"', f"'{value}'", value, name), start) or line_of(
        text, (f'"{value}"', f"'{value}'", value)
    )


def _pep621(project: dict[str, object], text: str, display: str) -> Iterator[Declared]:
    start = table_line(text, "project") or 1
    if "dependencies" in project:
        line = key_line(text, "dependencies", start) or start
        yield from _pep508_list(
            project["dependencies"], text, display, line, "[project].dependencies", None
        )
    optional = project.get("optional-dependencies")
    if optional is not None:
        opt_start = table_line(text, "project", "optional-dependencies") or start
        what = "[project.optional-dependencies]"
        for extra, values in as_table(optional, display, opt_start, what).items():
            line = key_line(text, extra, opt_start) or opt_start
            yield from _pep508_list(values, text, display, line, f"{what} {extra}", extra)


def _pep735(groups: dict[str, object], text: str, display: str) -> Iterator[Declared]:
    """PEP 735 groups. An `{include-group = ...}` is checked (it must name a group and not
    form a cycle) but not expanded: the included group's entries are reported once, under
    the group that writes them.
    """
    start = table_line(text, "dependency-groups") or 1
    by_norm = {canonicalize_name(name): name for name in groups}
    includes: dict[str, list[str]] = {}
    for group, values in groups.items():
        line = key_line(text, group, start) or start
        what = f"[dependency-groups] {group}"
        includes[group] = []
        for value in as_list(values, display, line, what):
            if isinstance(value, str):
                entry_line = _string_line(text, value, line)
                yield declared_from_pep508(value, Location(display, entry_line), group=group)
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


def _pdm_dev(groups: object, text: str, display: str) -> Iterator[Declared]:
    """PDM's legacy `[tool.pdm.dev-dependencies]`: PEP 508 strings, or `-e <url>#egg=name`."""
    start = table_line(text, "tool", "pdm", "dev-dependencies") or 1
    what = "[tool.pdm.dev-dependencies]"
    for group, values in as_table(groups, display, start, what).items():
        line = key_line(text, group, start) or start
        for value in as_list(values, display, line, f"{what} {group}"):
            value = as_str(value, display, line, f"{what} {group} entry")
            location = Location(display, _string_line(text, value, line))
            if value.startswith("-e "):
                yield _editable(value[3:].strip(), location, group)
            else:
                yield declared_from_pep508(value, location, group=group)


def _editable(target: str, location: Location, group: str) -> Declared:
    """An editable `-e` entry: `name @ url` or a URL/path with `#egg=name`."""
    if "#egg=" not in target:
        return replace(declared_from_pep508(target, location, group=group), version=None)
    egg = target.rsplit("#egg=", 1)[1].split("&", 1)[0]
    name = package_name(egg, location.file, location.line, "-e #egg= name")
    return Declared(
        name=name, location=location, origin=origin_of_url(target), url=target, group=group
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
    found: dict[str, str] = {}
    raw = poetry.get("source")
    if raw is None:
        return found
    line = line_of(text, ("[[tool.poetry.source]]",))
    for source in as_list(raw, display, line, "[[tool.poetry.source]]"):
        table = as_table(source, display, line, "[[tool.poetry.source]]")
        name, url = table.get("name"), table.get("url")
        if isinstance(name, str) and isinstance(url, str):
            found[name] = url
    return found


def _poetry_extras(poetry: dict[str, object], display: str, text: str) -> dict[str, str]:
    """Map each optional package (canonical name) to the first extra that lists it."""
    found: dict[str, str] = {}
    raw = poetry.get("extras")
    if raw is None:
        return found
    line = table_line(text, "tool", "poetry", "extras")
    for extra, names in as_table(raw, display, line, "[tool.poetry.extras]").items():
        for name in as_list(names, display, line, f"[tool.poetry.extras] {extra}"):
            found.setdefault(canonicalize_name(as_str(name, display, line, "extra member")), extra)
    return found


def _poetry_entry(
    raw_name: str,
    spec: object,
    location: Location,
    group: str | None,
    sources: dict[str, str],
    extras_of: dict[str, str],
) -> Iterator[Declared]:
    display, line = location.file, location.line
    name = package_name(raw_name, display, line, "dependency name")
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
        group = extras_of[name]
    origin, url = Origin.REGISTRY, None
    if "git" in table:
        git = as_str(table["git"], display, line, f"{raw_name} git")
        ref = next(
            (
                as_str(table[key], display, line, f"{raw_name} {key}")
                for key in ("rev", "tag", "branch")
                if key in table
            ),
            None,
        )
        origin, url = Origin.VCS, vcs_url("git", git, ref)
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
