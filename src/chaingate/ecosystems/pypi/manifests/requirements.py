"""requirements*.txt in pip's format, including pip-compile / `uv pip compile` output.

Lines are read the way pip reads them: `\\` joins lines, `#` after whitespace starts a
comment, `-r`/`-c` include other files relative to the including one, and global options
(`--index-url`, `--pre`, ...) are accepted. Constraint files (`-c`) only narrow versions, so
their entries are not dependencies and are left out.

A file is *locked* (the complete transitive set, no resolution needed) when every entry is
pinned exactly (`==`/`===`, or a URL, VCS or path reference) and either every entry carries
a `--hash` (pip's hash-checking mode refuses incomplete sets) or the file carries the
`# via` annotations pip-compile and uv write. Those annotations also give the dependency
graph and tell direct entries from transitive ones: an entry is direct when a via item is
a request (`-r requirements.in`, `my-app (pyproject.toml)`) or names no package at all;
`-c constraints.txt` alone does not make an entry direct. Without annotations every entry
is direct.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import msgspec
import tomli as tomllib  # the mypyc-compiled parser: 2.6x faster than the stdlib on big locks
from msgspec.structs import replace
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin
from chaingate.core.scopes import RUNTIME
from chaingate.ecosystems.pypi.manifests import comment_start
from chaingate.ecosystems.pypi.manifests._common import (
    declared_from_pep508,
    origin_of_url,
    read_text,
    valid_name,
)

KIND = "requirements"

_COMMENT_ONLY = re.compile(r"^\s*#")
_VCS = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_VIA_PACKAGE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?$")
# One `\s*` either side of the extras: two adjacent ones split a run of spaces every way.
_PEP508_URL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\]\s*)?@")
_EXTRAS = re.compile(r"^(.*?)\[([^\]]*)\]$")
_ARCHIVE_SUFFIXES = (
    ".whl",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".zip",
    ".tar",
)

# Options pip accepts in a requirements file; the value is the option's canonical name.
_WITH_VALUE = {
    "-r": "requirement",
    "--requirement": "requirement",
    "-c": "constraint",
    "--constraint": "constraint",
    "-e": "editable",
    "--editable": "editable",
    "-i": "index-url",
    "--index-url": "index-url",
    "--extra-index-url": "extra-index-url",
    "-f": "find-links",
    "--find-links": "find-links",
    "--trusted-host": "trusted-host",
    "--no-binary": "no-binary",
    "--only-binary": "only-binary",
    "--use-feature": "use-feature",
    "--hash": "hash",
    "--global-option": "global-option",
    "--install-option": "install-option",
    "--config-settings": "config-settings",
    "-C": "config-settings",
}
_FLAGS = {"--pre", "--no-index", "--prefer-binary", "--require-hashes"}
_SHORT_WITH_VALUE = {k for k in _WITH_VALUE if len(k) == 2}


def parse(path: Path, display: str) -> Manifest:
    """Parse a requirements file and the files it includes with `-r`.

    Nothing in a requirements file records a scope, so each entry gets one from the name
    of the file that writes it (`scope_from_file_name`), and the manifest says so.
    """
    reader = _Reader()
    reader.read_file(path, display, (), constraint=False)
    manifest = reader.manifest(display)
    named = {e.location.file: scope_from_file_name(e.location.file) for e in manifest.entries}
    return replace(
        manifest,
        entries=tuple(replace(e, scopes=(named[e.location.file],)) for e in manifest.entries),
        scope_notes=tuple(f"{f}: scope {scope} from the file name" for f, scope in named.items()),
    )


_RUNTIME_NAMES = frozenset(
    {"", "base", "main", "prod", "production", "runtime", "common", "install", "default"}
)
_SCOPE_FOLDERS = frozenset({"dev", "docs", "doc", "test", "tests", "lint", "ci", "typing"})


def scope_from_file_name(display: str) -> str:
    """The scope a requirements file's name suggests: `requirements-dev.txt`,
    `dev-requirements.txt` and `requirements/dev.txt` are `dev`, `docs/requirements.txt`
    is `docs`; `requirements.txt`, `requirements/base.txt` or `main.txt` are runtime."""
    parts = [p for p in display.replace("\\", "/").split("/") if p]
    stem = (parts[-1] if parts else "").rsplit(".", 1)[0].lower()
    word = re.sub(r"requirements?|reqs?\b", "", stem).strip("-_. ")
    if not word and len(parts) > 1 and parts[-2].lower() in _SCOPE_FOLDERS:
        word = parts[-2].lower()
    if word in _RUNTIME_NAMES:
        return RUNTIME
    return canonicalize_name(word)


def parse_text(text: str, display: str, base_dir: Path) -> Manifest:
    """Parse requirements text that is not (yet) a file, e.g. `uv pip compile` output.

    `-r`/`-c` includes are resolved relative to `base_dir`; `display` names the text in
    errors and locations.
    """
    reader = _Reader()
    reader.read_text(text, display, base_dir, (), constraint=False)
    return reader.manifest(display)


def read_index_options(path: Path, display: str | None = None) -> list[str]:
    """The `--index-url` and `--extra-index-url` values of a requirements file, in order.

    Includes (`-r`, `-c`) are followed, as pip would. `--find-links` locations are not
    returned: they are not package indexes.
    """
    reader = _Reader()
    reader.read_file(path, display or str(path), (), constraint=False)
    return list(dict.fromkeys(reader.index_urls))


class _Entry(msgspec.Struct):
    """An entry being read, with its `# via` annotation (None when there is none)."""

    declared: Declared
    via: list[str] | None = None


class _Reader(msgspec.Struct):
    """Reads one requirements file and everything it includes."""

    entries: list[_Entry] = msgspec.field(default_factory=list)
    index_urls: list[str] = msgspec.field(default_factory=list)
    done: set[tuple[str, bool]] = msgspec.field(default_factory=set)

    def read_file(
        self, path: Path, display: str, stack: tuple[str, ...], *, constraint: bool
    ) -> None:
        text = read_text(path, display)
        key = _file_key(path)
        self.done.add((key or display, constraint))
        stack = (*stack, key) if key else stack
        self.read_text(text, display, path.parent, stack, constraint=constraint)

    def read_text(
        self, text: str, display: str, base_dir: Path, stack: tuple[str, ...], *, constraint: bool
    ) -> None:
        last: _Entry | None = None
        via_block: list[str] | None = None  # the list an indented `#   name` line adds to
        for line, code, comment, comment_only in _logical_lines(text):
            if comment_only:
                body = comment.strip()
                if via_block is not None and comment[:1].isspace() and body:
                    via_block.append(body)
                    continue
                via_block = None
                if last is not None and (body == "via" or body.startswith("via ")):
                    last.via = (last.via or []) + _via_items(body[3:])
                    via_block = last.via if body == "via" else None
                continue
            via_block = None
            if not code:
                continue
            location = Location(display, line)
            declared = self._line(code, location, base_dir, stack, constraint=constraint)
            last = None
            if declared is None:
                continue
            entry = _Entry(declared)
            body = comment.strip()
            if body.startswith("via "):
                entry.via = _via_items(body[3:])
            if not constraint:
                self.entries.append(entry)
                last = entry

    def _line(
        self,
        code: str,
        location: Location,
        base_dir: Path,
        stack: tuple[str, ...],
        *,
        constraint: bool,
    ) -> Declared | None:
        """Handle one logical line; returns the entry it declares, if any."""
        args, rest = _split_args_options(code)
        options = _options(_shlex(rest, location), location)
        if args:
            requirement = _target(args, location, base_dir, editable=False)
            hashes = tuple(_hash(value, location) for name, value in options if name == "hash")
            return replace(requirement, hashes=hashes) if hashes else requirement
        declared: Declared | None = None
        for name, value in options:
            if name in ("requirement", "constraint"):
                self._include(
                    value,
                    location,
                    base_dir,
                    stack,
                    constraint=constraint or name == "constraint",
                )
            elif name in ("index-url", "extra-index-url"):
                self.index_urls.append(value)
            elif name == "editable":
                if declared is not None:
                    raise InventoryError(location.file, location.line, "one -e per line")
                declared = _target(value, location, base_dir, editable=True)
            elif name == "hash":
                if declared is None:
                    raise InventoryError(
                        location.file, location.line, "--hash must follow a requirement"
                    )
                declared = replace(declared, hashes=(*declared.hashes, _hash(value, location)))
        return declared

    def _include(
        self,
        arg: str,
        location: Location,
        base_dir: Path,
        stack: tuple[str, ...],
        *,
        constraint: bool,
    ) -> None:
        where, line = location.file, location.line
        if arg.lower().startswith("file:"):
            arg = unquote(_url_path(arg))
        elif _SCHEME.match(arg):
            raise InventoryError(where, line, f"cannot follow remote include {arg!r}")
        target = base_dir / arg
        display = _include_display(where, arg)
        key = _file_key(target)
        if key is not None and key in stack:
            raise InventoryError(where, line, f"include cycle: {where} includes {arg} again")
        if (key or display, constraint) in self.done:
            return
        try:
            present = target.is_file()
        except (OSError, ValueError):
            present = False
        if not present:
            raise InventoryError(where, line, f"included file {arg!r} not found")
        self.read_file(target, display, stack, constraint=constraint)

    def manifest(self, display: str) -> Manifest:
        """The entries read, with direct-ness, graph and locked worked out."""
        compiled = any(entry.via is not None for entry in self.entries)
        graph: dict[str, set[str]] = {}
        entries: list[Declared] = []
        for entry in self.entries:
            declared = entry.declared
            if entry.via is not None:
                parents = {
                    parent
                    for item in entry.via
                    if (parent := _via_package(item)) and parent != declared.name
                }
                for parent in parents:
                    graph.setdefault(parent, set()).add(declared.name)
                asked = any(_via_is_request(item) for item in entry.via)
                declared = replace(declared, direct=asked or not parents)
            entries.append(declared)
        pinned = all(e.origin is not Origin.REGISTRY or e.version is not None for e in entries)
        hashed = all(e.hashes for e in entries)
        locked = bool(entries) and pinned and (hashed or compiled)
        return Manifest(
            path=display,
            kind=KIND,
            entries=tuple(entries),
            locked=locked,
            graph={parent: tuple(sorted(children)) for parent, children in sorted(graph.items())},
        )


def _logical_lines(text: str) -> Iterator[tuple[int, str, str, bool]]:
    """Yield (line, code, comment, comment_only) for each logical line, as pip joins them.

    A line ending in `\\` continues on the next, unless it is a comment line; a comment line
    ends a continuation. `line` is the 1-based number of the first physical line.
    """
    buffer: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if _COMMENT_ONLY.match(raw):
            if buffer:
                yield (first, *_split_comment("".join(buffer)), False)
                buffer = []
            yield number, "", raw.strip()[1:], True
            continue
        if raw.endswith("\\"):
            if not buffer:
                first = number
            buffer.append(raw[:-1])
            continue
        if buffer:
            buffer.append(raw)
            yield (first, *_split_comment("".join(buffer)), False)
            buffer = []
        else:
            yield (number, *_split_comment(raw), False)
    if buffer:
        yield (first, *_split_comment("".join(buffer)), False)


def _split_comment(line: str) -> tuple[str, str]:
    at = comment_start(line)
    if at < 0:
        return line.strip(), ""
    return line[:at].strip(), line[at:].strip()[1:]


def _split_args_options(line: str) -> tuple[str, str]:
    """Split a line into its requirement and its options, as pip does: at the first word
    that starts with `-`."""
    tokens = line.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]).strip(), " ".join(tokens[index:])
    return line.strip(), ""


def _shlex(text: str, location: Location) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise InventoryError(location.file, location.line, f"cannot split options: {exc}") from exc


def _options(tokens: list[str], location: Location) -> list[tuple[str, str]]:
    """The (canonical name, value) pairs of pip options; flags get an empty value."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token in _FLAGS:
            found.append((token[2:], ""))
        elif token in _WITH_VALUE:
            if index >= len(tokens):
                raise InventoryError(location.file, location.line, f"{token} needs a value")
            found.append((_WITH_VALUE[token], tokens[index]))
            index += 1
        elif token.startswith("--") and token.partition("=")[0] in _WITH_VALUE:
            option, _, value = token.partition("=")
            found.append((_WITH_VALUE[option], value))
        elif token[:2] in _SHORT_WITH_VALUE:
            found.append((_WITH_VALUE[token[:2]], token[2:].lstrip("=")))
        elif token.startswith("-"):
            raise InventoryError(location.file, location.line, f"unknown option {token!r}")
        else:
            raise InventoryError(
                location.file, location.line, f"unexpected {token!r} after options"
            )
    for name, value in found:
        if name in ("requirement", "constraint", "editable") and not value:
            raise InventoryError(location.file, location.line, f"--{name} needs a value")
    return found


def _hash(value: str, location: Location) -> str:
    algorithm, _, digest = value.partition(":")
    if not algorithm or not digest:
        raise InventoryError(
            location.file, location.line, f"--hash {value!r} is not of the form sha256:<hex>"
        )
    return f"{algorithm.lower()}:{digest}"


def _target(text: str, location: Location, base_dir: Path, *, editable: bool) -> Declared:
    """One requirement: a PEP 508 string, or a URL, VCS or local path reference."""
    is_url = bool(_SCHEME.match(text)) or text.lower().startswith("file:")
    if not (is_url or _looks_like_path(text)):
        if editable:
            raise InventoryError(
                location.file, location.line, f"-e needs a path or VCS URL, not {text!r}"
            )
        return declared_from_pep508(text, location)
    target, marker = _split_marker(text, location, is_url=is_url)
    extras: tuple[str, ...] = ()
    if is_url:
        origin = origin_of_url(target)
        egg = _egg(target)
        name_text = egg or _name_from_location(_url_path(target))
        found = _EXTRAS.match(name_text)
        if found:
            name_text, extras = found.group(1), _split_extras(found.group(2))
    else:
        origin = Origin.PATH
        found = _EXTRAS.match(target)
        if found and not found.group(1).endswith(("/", "\\")):
            target, extras = found.group(1), _split_extras(found.group(2))
        name_text = _local_project_name(base_dir, target) or _name_from_location(target, base_dir)
    if not valid_name(name_text):
        raise InventoryError(
            location.file,
            location.line,
            f"cannot tell the package name of {target!r}; add #egg=<name>",
        )
    return Declared(
        name=canonicalize_name(name_text),
        location=location,
        origin=origin,
        url=target,
        extras=extras,
        marker=marker,
    )


def _looks_like_path(text: str) -> bool:
    head = text.split(";", 1)[0].strip()
    if _PEP508_URL.match(head):
        return False
    return (
        head.startswith((".", "/", "~"))
        or "/" in head
        or "\\" in head
        or head.lower().endswith(_ARCHIVE_SUFFIXES)
    )


def _split_marker(text: str, location: Location, *, is_url: bool) -> tuple[str, str | None]:
    """Split `target ; marker` (pip needs `; ` with a space after URLs)."""
    separator = re.compile(r";\s") if is_url else re.compile(r";")
    found = separator.search(text)
    if found is None:
        return text.strip(), None
    target, marker = text[: found.start()].strip(), text[found.end() :].strip()
    from packaging.markers import InvalidMarker, Marker  # (see _common.declared_from_pep508)

    try:
        return target, str(Marker(marker))
    except InvalidMarker as exc:
        raise InventoryError(
            location.file, location.line, f"invalid environment marker {marker!r}: {exc}"
        ) from exc


def _url_path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return url.split("#", 1)[0].split("?", 1)[0]


def _egg(url: str) -> str | None:
    fragment = url.partition("#")[2]
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            return unquote(value)
    return None


def _split_extras(text: str) -> tuple[str, ...]:
    return tuple(sorted({canonicalize_name(e.strip()) for e in text.split(",") if e.strip()}))


def _name_from_location(location: str, base_dir: Path | None = None) -> str:
    """A best guess at a package name from the last component of a path or URL path."""
    path = location.replace("\\", "/").rstrip("/")
    if base_dir is not None and (path in ("", ".", "..") or path.endswith(("/.", "/.."))):
        path = os.path.abspath(os.path.join(base_dir, path)).replace("\\", "/")
    last = unquote(path.rsplit("/", 1)[-1]).split("@", 1)[0]
    try:
        if last.endswith(".whl"):
            return parse_wheel_filename(last)[0]
        for suffix in _ARCHIVE_SUFFIXES:
            if last.endswith(suffix) and suffix != ".whl":
                return parse_sdist_filename(last[: -len(suffix)] + ".tar.gz")[0]
    except ValueError:
        pass
    for suffix in (*_ARCHIVE_SUFFIXES, ".git"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
            break
    return last


def _local_project_name(base_dir: Path, target: str) -> str | None:
    """The name a local project directory gives itself in its pyproject.toml, if readable."""
    if target.lower().startswith("file:"):
        return None
    try:
        pyproject = base_dir / os.path.expanduser(target) / "pyproject.toml"
        if not pyproject.is_file():
            return None
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("name"), str):
        return str(project["name"])
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict) and isinstance(poetry.get("name"), str):
        return str(poetry["name"])
    return None


def _via_items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _via_package(item: str) -> str | None:
    """The package a `# via` item names, or None for `-r file`, `-c file`, `app (pyproject)`."""
    found = _VIA_PACKAGE.match(item)
    return canonicalize_name(found.group(1)) if found else None


def _via_is_request(item: str) -> bool:
    """Whether a `# via` item says the user asked for the package: `-r requirements.in`, or
    the project itself (`my-app (pyproject.toml)`). `-c constraints.txt` only narrows the
    version of something else pulls in, so it does not count.
    """
    if item.startswith(("-c ", "--constraint", "--override")):
        return False
    return item.startswith("-") or _via_package(item) is None


def _file_key(path: Path) -> str | None:
    try:
        return os.path.normcase(os.path.realpath(path))
    except (OSError, ValueError):
        return None


def _include_display(including: str, arg: str) -> str:
    arg = arg.replace("\\", "/")
    if arg.startswith("/"):
        return arg
    return posixpath.normpath(posixpath.join(posixpath.dirname(including), arg))
