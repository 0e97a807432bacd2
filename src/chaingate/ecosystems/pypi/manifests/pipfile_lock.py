"""Pipfile.lock: Pipenv's lock file (JSON).

`default` and `develop` hold the complete transitive set with exact versions and hashes,
but no graph. The direct packages are those the Pipfile beside the lock names in
`[packages]` / `[dev-packages]`; without a Pipfile every package counts as direct.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path

from msgspec.structs import replace
from packaging.utils import canonicalize_name

from chaingate.core.inventory import Declared, InventoryError, Location, Manifest, Origin
from chaingate.core.parsing import beyond_limits
from chaingate.core.scopes import RUNTIME
from chaingate.ecosystems.pypi.manifests._common import (
    as_list,
    as_str,
    as_table,
    index_url,
    load_toml,
    named_urls,
    opt_str,
    package_name,
    read_text,
    sibling_file,
    vcs_url,
)

KIND = "Pipfile.lock"
_SECTIONS = {"default": None, "develop": "develop"}


def parse(path: Path, display: str) -> Manifest:
    """Parse a Pipfile.lock into its locked packages (no graph: the file records none)."""
    text = read_text(path, display)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(display, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    except (RecursionError, ValueError) as exc:  # nesting, or digits, beyond the limits
        line, why = beyond_limits(text, exc)
        raise InventoryError(display, line, f"invalid JSON: {why}") from exc
    document = as_table(data, display, 1, "Pipfile.lock")

    indexes = _indexes(document, display)
    entries: list[Declared] = []
    keys = _key_lines(text)
    for section, group in _SECTIONS.items():
        if section not in document:
            continue
        start = _key_line(keys, section, 1) or 1
        packages = as_table(document[section], display, start, f'"{section}"')
        for raw_name, raw in packages.items():
            line = _key_line(keys, raw_name, start)
            entries.append(_entry(raw_name, raw, Location(display, line), group, indexes))

    declared_names = _pipfile_names(path, display)
    if declared_names is not None and declared_names & {e.name for e in entries}:
        entries = [replace(e, direct=e.name in declared_names) for e in entries]
    return Manifest(path=display, kind=KIND, entries=tuple(entries), locked=True)


def _indexes(document: dict[str, object], display: str) -> dict[str, str]:
    """Index name -> URL from `_meta.sources`, to say where a registry package comes from."""
    meta = document.get("_meta")
    if not isinstance(meta, dict):
        return {}
    return named_urls(
        meta.get("sources", []), display, None, "_meta.sources", "_meta.sources entry"
    )


def _entry(
    raw_name: str,
    raw: object,
    location: Location,
    group: str | None,
    indexes: dict[str, str],
) -> Declared:
    display, line = location.file, location.line
    name = package_name(raw_name, display, line, "package name")
    table = as_table(raw, display, line, f'"{raw_name}"')
    specifier = opt_str(table.get("version"), display, line, f"{raw_name} version") or ""
    version = None
    if specifier.startswith("==="):
        version = specifier[3:].strip()
    elif specifier.startswith("==") and "*" not in specifier:
        version = specifier[2:].strip()
    hashes = tuple(
        as_str(h, display, line, f"{raw_name} hashes")
        for h in as_list(table.get("hashes", []), display, line, f"{raw_name} hashes")
    )
    origin, url = Origin.REGISTRY, None
    for vcs in ("git", "hg", "svn", "bzr"):
        if vcs in table:
            ref = opt_str(table.get("ref"), display, line, f"{raw_name} ref")
            origin = Origin.VCS
            url = vcs_url(vcs, as_str(table[vcs], display, line, f"{raw_name} {vcs}"), ref)
            break
    else:
        index = opt_str(table.get("index"), display, line, f"{raw_name} index")
        url = index_url(indexes.get(index, index)) if index else None
        if "file" in table:
            url = as_str(table["file"], display, line, f"{raw_name} file")
            origin = Origin.URL if "://" in url and not url.startswith("file:") else Origin.PATH
        elif "path" in table:
            origin, url = Origin.PATH, as_str(table["path"], display, line, f"{raw_name} path")
    extras = tuple(
        sorted(
            canonicalize_name(as_str(e, display, line, f"{raw_name} extras"))
            for e in as_list(table.get("extras", []), display, line, f"{raw_name} extras")
        )
    )
    return Declared(
        name=name,
        location=location,
        specifier=specifier,
        version=version if origin is Origin.REGISTRY else None,
        origin=origin,
        url=url,
        extras=extras,
        marker=opt_str(table.get("markers"), display, line, f"{raw_name} markers"),
        group=group,
        hashes=hashes,
        scopes=("dev",) if group == "develop" else (RUNTIME,),
    )


_JSON_KEY = re.compile(r'^\s*("(?:[^"\\]|\\.)*")\s*:')


def _key_lines(text: str) -> dict[str, list[int]]:
    """Every JSON key written at the start of a line, with the 1-based lines it is on: one
    pass, where searching the lines again for each package was quadratic in the lock."""
    found: dict[str, list[int]] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if (match := _JSON_KEY.match(line)) is not None:
            try:
                key = json.loads(match.group(1))
            except ValueError:
                continue
            found.setdefault(key, []).append(number)
    return found


def _key_line(keys: dict[str, list[int]], key: str, start: int) -> int | None:
    """1-based line where the JSON key `"key":` is written at or after line `start`."""
    lines = keys.get(key, [])
    at = bisect.bisect_left(lines, start)
    return lines[at] if at < len(lines) else None


def _pipfile_names(lock: Path, lock_display: str) -> set[str] | None:
    """Names the Pipfile beside the lock declares, or None when there is none."""
    found = sibling_file(lock, lock_display, "Pipfile")
    if found is None:
        return None
    pipfile, display = found
    data, _ = load_toml(pipfile, display)
    names: set[str] = set()
    for section in ("packages", "dev-packages"):
        if section in data:
            table = as_table(data[section], display, None, f"[{section}]")
            names.update(package_name(n, display, None, f"[{section}] name") for n in table)
    return names
