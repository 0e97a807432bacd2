"""Helpers the inventory parsers share.

Reading a file, turning tomllib's errors into `InventoryError` with a line, type checks on
parsed values, finding the line of a value in the text, names and URLs as the lock files
write them, and the steps every lock parser takes with its `[[package]]` tables and graph.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import tomli as tomllib  # the mypyc-compiled parser: 2.6x faster than the stdlib on big locks
from packaging.utils import canonicalize_name

from chaingate.core.inventory import Declared, InventoryError, Location, Origin
from chaingate.core.parsing import beyond_limits
from chaingate.net import tomlcache

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

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
    """Parse TOML text, reporting a syntax error at the line tomllib names. Large texts are
    kept parsed in the cache of this context, if any (`tomlcache.py`)."""
    cache = tomlcache.active() if len(text) >= tomlcache.MIN_CHARS else None
    if cache is not None:
        data = cache.get(text)
        if data is None:
            data = _parse_toml(text, display)
            cache.put(text, data)
        return data
    return _parse_toml(text, display)


def _parse_toml(text: str, display: str) -> dict[str, object]:
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
    except (RecursionError, ValueError) as exc:  # nesting, or digits, beyond the limits
        line, why = beyond_limits(text, exc)
        raise InventoryError(display, line, f"invalid TOML: {why}") from exc


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


class _Lines:
    """A text's line starts and the TOML keys written at the start of its lines, worked out
    once per text: finding a line for each of thousands of entries by scanning the lines
    again was quadratic in the file (a pyproject.toml of 8,000 dependencies took 42 s)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        at = text.find("\n")
        while at >= 0:
            self.starts.append(at + 1)
            at = text.find("\n", at + 1)
        self._keys: dict[str, list[int]] | None = None

    def offset(self, line: int) -> int:
        return self.starts[min(max(line, 1), len(self.starts)) - 1]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def keys(self) -> dict[str, list[int]]:
        if self._keys is None:
            self._keys = {}
            for number, line in enumerate(self.text.split("\n"), start=1):
                if (match := _TOML_KEY.match(line)) is not None:
                    key = match.group(1)
                    if key[0] in "\"'":
                        key = key[1:-1]
                    self._keys.setdefault(key, []).append(number)
        return self._keys


_TOML_KEY = re.compile(r"""\s*("[^"]*"|'[^']*'|[^\s=]+)\s*=""")


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> _Lines:
    return _Lines(text)


def line_of(text: str, needles: tuple[str, ...], start: int = 1) -> int | None:
    """1-based line of the first of `needles` found at or after line `start` (best effort).

    Each needle is tried in turn over the whole range before the next, so put the most
    specific first.
    """
    lines = _lines(text)
    begin = lines.offset(start) if start <= len(lines.starts) else len(text) + 1
    for needle in needles:
        if not needle or "\n" in needle:
            continue
        at = text.find(needle, begin)
        if at >= 0:
            return lines.line(at)
    return None


def key_line(text: str, key: str, start: int = 1) -> int | None:
    """1-based line where `key = ...` is written at or after line `start` (best effort)."""
    found = _lines(text).keys().get(key, [])
    at = bisect.bisect_left(found, max(start, 1))
    return found[at] if at < len(found) else None


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


def named_urls(
    value: object, display: str, line: int | None, what: str, entry: str | None = None
) -> dict[str, str]:
    """Name -> URL from an array of `{name = ..., url = ...}` tables (package indexes).

    `what` names the array and `entry` (by default `what` too) one table of it in errors;
    a table without a string name and URL is skipped.
    """
    found: dict[str, str] = {}
    for raw in as_list(value, display, line, what):
        table = as_table(raw, display, line, entry or what)
        name, url = table.get("name"), table.get("url")
        if isinstance(name, str) and isinstance(url, str):
            found[name] = url
    return found


def declared_from_pep508(
    text: str,
    location: Location,
    *,
    group: str | None = None,
    direct: bool = True,
    scopes: tuple[str, ...] = (),
) -> Declared:
    """One PEP 508 requirement string as a `Declared`; an invalid string is an InventoryError."""
    # (imported here: parsing PEP 508 is ~50 M instructions of imports a lock never needs)
    from packaging.requirements import InvalidRequirement, Requirement

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
        scopes=scopes,
    )


def group_scope(group: str) -> str:
    """The scope of a dependency group (PEP 735, Poetry, PDM, uv): its normalised name."""
    return canonicalize_name(group)


def package_tables(
    data: dict[str, object], text: str, display: str, key: str
) -> list[tuple[object, int | None]]:
    """A lock file's `[[key]]` entries, each with the line of its header.

    The lines are only trusted when the text holds one header per entry (an inline array
    has none); otherwise no entry gets a line.
    """
    raw = as_list(data.get(key, []), display, None, f"[[{key}]]")
    headers = header_lines(text, key)
    lines: list[int | None] = list(headers) if len(headers) == len(raw) else [None] * len(raw)
    return list(zip(raw, lines, strict=True))


def file_hashes(table: dict[str, object], display: str, line: int | None, name: str) -> list[str]:
    """The hashes of a locked package's `files = [{file = ..., hash = ...}, ...]`."""
    hashes: list[str] = []
    for file in as_list(table.get("files", []), display, line, f"{name} files"):
        file = as_table(file, display, line, f"{name} file")
        value = opt_str(file.get("hash"), display, line, f"{name} file hash")
        if value:
            hashes.append(value)
    return hashes


def locked_package(
    name: str,
    location: Location,
    version: str | None,
    *,
    origin: Origin,
    url: str | None,
    hashes: Iterable[str],
    group: str | None = None,
    marker: str | None = None,
    scopes: tuple[str, ...] = (),
) -> Declared:
    """One locked package as its lock file entry states it: transitive until the parser
    knows which packages the project asked for, each hash once, in file order."""
    return Declared(
        name=name,
        location=location,
        version=version,
        origin=origin,
        url=url,
        marker=marker,
        direct=False,
        group=group,
        hashes=tuple(dict.fromkeys(hashes)),
        scopes=scopes,
    )


def lock_graph(edges: dict[str, set[str]], names: set[str]) -> dict[str, tuple[str, ...]]:
    """The graph of a lock file: each package's dependencies among the locked `names`,
    sorted, without self-edges; packages left with none are not keys."""
    graph = {
        parent: tuple(sorted(c for c in children if c in names and c != parent))
        for parent, children in sorted(edges.items())
    }
    return {parent: children for parent, children in graph.items() if children}


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


def sibling_file(lock: Path, lock_display: str, name: str) -> tuple[Path, str] | None:
    """File `name` beside a lock file and its display path, or None when there is none."""
    sibling = lock.parent / name
    try:
        exists = sibling.is_file()
    except (OSError, ValueError):
        exists = False
    if not exists:
        return None
    return sibling, sibling_display(lock_display, name)


def sibling_display(display: str, name: str) -> str:
    """The display path of file `name` in the same folder as the file shown as `display`."""
    head, sep, _ = display.replace("\\", "/").rpartition("/")
    return f"{head}{sep}{name}"
