"""Every index and find-links location `uv pip install` would consult, learnt as uv learns
them: the command line, the option lines of its `-r` requirement files, `UV_*` variables,
and its configuration files (`uv.toml`, `[tool.uv]` in the nearest `pyproject.toml`, the
user's and the system's `uv.toml`, or `--config-file`/`UV_CONFIG_FILE`; none under
`--no-config`/`UV_NO_CONFIG`). The guard judges what each offers (`sources.judge`).

Explicit indexes (`explicit = true`) are taken too: uv uses them only for names pinned to
them, but a source counted once too often costs a request, while one left out is a file
installed unjudged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli as tomllib

from chaingate.ecosystems.pypi.install.sources import (
    PYPI,
    Source,
    from_requirement_files,
    index_location,
    index_source,
    links_source,
    unique,
)
from chaingate.ecosystems.pypi.install.uv_args import UvArgs

_TRUE = ("1", "true", "yes", "on", "y", "t")


def uv_sources(args: UvArgs, base: Path) -> tuple[Source, ...]:
    """Every source uv would consult for `args`, run in `base`."""
    main: list[Source] = []
    indexes: list[Source] = []
    links: list[Source] = []
    no_index = args.given("--no-index") or _truthy(os.environ.get("UV_NO_INDEX"))

    def take(table: Mapping[str, Any], given: str) -> None:
        nonlocal no_index
        for entry in _list(table.get("index")):
            if isinstance(entry, Mapping) and isinstance(entry.get("url"), str):
                target = main if entry.get("default") else indexes
                target += [s] if (s := index_source(entry["url"], given)) else []
        for key in ("index-url",):
            if isinstance(table.get(key), str):
                main.extend([s] if (s := index_source(table[key], given)) else [])
        for url in _list(table.get("extra-index-url")):
            indexes.extend([s] if isinstance(url, str) and (s := index_source(url, given)) else [])
        for where in _list(table.get("find-links")):
            if isinstance(where, str):
                links.append(links_source(where, given, base))
        no_index |= table.get("no-index") is True

    for path, table in _config_tables(args, base):
        take(table, str(path))
        pip = table.get("pip")
        if isinstance(pip, Mapping):
            take(pip, f"{path} [pip]")
    env = os.environ
    for value, given in (
        (" ".join(args.values("--index")) or env.get("UV_INDEX", ""), "--index / UV_INDEX"),
        (
            " ".join(args.values("--extra-index-url")) or env.get("UV_EXTRA_INDEX_URL", ""),
            "--extra-index-url / UV_EXTRA_INDEX_URL",
        ),
    ):
        indexes += [s for v in value.split() if (s := index_source(index_location(v), given))]
    default = (
        args.value("--default-index")
        or args.value("--index-url")
        or env.get("UV_DEFAULT_INDEX")
        or env.get("UV_INDEX_URL")
    )
    if default:
        main += [s] if (s := index_source(index_location(default), "the default index")) else []
    for value in [*args.values("--find-links"), env.get("UV_FIND_LINKS", "")]:
        links += [
            links_source(v, "--find-links / UV_FIND_LINKS", base)
            for v in value.split(",")
            if v.strip()
        ]
    files = [o.value for o in args.sources if o.name == "--requirements" and o.value]
    in_files = from_requirement_files([f for f in files if not f.endswith((".toml", ".py"))], base)
    indexes += [s for s in in_files.sources if s.kind == "index"]
    links += [s for s in in_files.sources if s.kind == "find-links"]
    if not main and not in_files.main_index:
        main.append(Source(PYPI, "index", "uv's default index"))
    if no_index or in_files.no_index:
        return unique(links)
    return unique([*indexes, *main, *links])


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def _list(value: object) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _config_tables(args: UvArgs, base: Path) -> list[tuple[Path, Mapping[str, Any]]]:
    """uv's configuration tables, as uv finds them."""
    if args.given("--no-config") or _truthy(os.environ.get("UV_NO_CONFIG")):
        return []
    explicit = args.value("--config-file") or os.environ.get("UV_CONFIG_FILE")
    if explicit:
        return _read(Path(explicit), tool=False)
    found: list[tuple[Path, Mapping[str, Any]]] = []
    for directory in (base.resolve(), *base.resolve().parents):
        project = _read(directory / "uv.toml", tool=False) or _read(
            directory / "pyproject.toml", tool=True
        )
        if project:
            found += project
            break
    home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    found += _read(home / "uv" / "uv.toml", tool=False)
    for system in (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep):
        found += _read(Path(system) / "uv" / "uv.toml", tool=False)
    found += _read(Path("/etc/uv/uv.toml"), tool=False)
    return found


def _read(path: Path, *, tool: bool) -> list[tuple[Path, Mapping[str, Any]]]:
    """The file's uv table (`[tool.uv]` of a pyproject.toml), or nothing. A file uv would
    read but that cannot be parsed stops uv itself, so nothing is lost here."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if tool:
        table = doc.get("tool", {}).get("uv") if isinstance(doc.get("tool"), dict) else None
        return [(path, table)] if isinstance(table, dict) else []
    return [(path, doc)]
