"""What uv's dry run does not say, found out as uv would: which items the user asked for
(the requirements on the command line and in its `-r` files), which are editable, and the
hashes to pin each registry item to.

The hashes: for each `name==version` the judged index's simple page (PEP 691 JSON or
HTML, read through chaingate's own cached HttpClient) gives the sha256 of every file
published for that version, as `uv pip compile --generate-hashes` does; the install is
pinned to the one of them that uv's dry run chose (`uv.py`). The judged index is the one
the scan's facts come from, or the one the policy pins the name to (`judged_files`): never
another source uv would consult, whose files `sources.judge` holds against the judged
index instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import msgspec
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from chaingate.core.facts import RegistryError
from chaingate.core.inventory import InventoryError
from chaingate.ecosystems.pypi.install.common import InstallError
from chaingate.ecosystems.pypi.install.sources import index_location, simple_root
from chaingate.ecosystems.pypi.install.uv_args import UvArgs
from chaingate.ecosystems.pypi.manifests import requirements
from chaingate.ecosystems.pypi.registry import SIMPLE_JSON
from chaingate.ecosystems.pypi.simple import SimpleFile, parse_simple_page
from chaingate.net.http import FetchError, HttpClient, HttpSettings

# --- which items the user asked for, and which are editable ---------------------------------


def _names_in(line: str, display: str, base: Path) -> set[str]:
    """The canonical names a requirements line (or `-r FILE`) declares as direct, or none
    when chaingate's reader cannot tell (uv reads more formats than requirements files)."""
    try:
        manifest = requirements.parse_text(line, display, base)
    except (InventoryError, OSError, ValueError):
        return set()
    return {e.name for e in manifest.entries if e.direct}


def _is_requirements_text(value: str) -> bool:
    return not value.endswith((".toml", ".py", ".cfg")) and "://" not in value


def direct_names(args: UvArgs, base: Path) -> set[str]:
    """The requirements named on the command line (positional, `-e`) and in its `-r`
    requirement files, by canonical name."""
    lines = [*args.packages]
    for o in args.sources:
        if o.value is None:
            continue
        if o.name == "--editable":
            lines.append(f"-e {shlex.quote(o.value)}")
        elif o.name == "--requirements" and _is_requirements_text(o.value):
            lines.append(f"-r {shlex.quote(o.value)}")
    return {name for line in lines for name in _names_in(line, "command line", base)}


def editables(args: UvArgs, base: Path) -> tuple[set[str], set[str]]:
    """Names and locations (`file:` URLs) of the editables the user asked for: `-e` on the
    command line and `-e` lines in `-r` requirement files (followed through `-r` lines)."""
    names: set[str] = set()
    urls: set[str] = set()
    seen: set[Path] = set()
    for o in args.sources:
        if o.value is None:
            continue
        if o.name == "--editable":
            names |= _names_in(f"-e {shlex.quote(o.value)}", "command line", base)
            urls |= _location_url(o.value, base)
        elif o.name == "--requirements" and _is_requirements_text(o.value):
            _editables_in(base / o.value, names, urls, seen)
    return names, urls


def _editables_in(path: Path, names: set[str], urls: set[str], seen: set[Path]) -> None:
    try:
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return
    for line in re.sub(r"\\\r?\n", " ", text).splitlines():
        code = re.sub(r"(^|\s)#.*$", "", line).strip()
        try:
            words = shlex.split(code)
        except ValueError:
            continue
        if not words:
            continue
        head, _, attached = words[0].partition("=")
        value = attached or (words[1] if len(words) > 1 else "")
        if head in ("-e", "--editable") and value:
            names |= _names_in(f"-e {shlex.quote(value)}", str(path), path.parent)
            urls |= _location_url(value, path.parent) | _location_url(value, Path("."))
        elif head in ("-r", "--requirement", "--requirements") and value:
            _editables_in(path.parent / value, names, urls, seen)


def _location_url(value: str, base: Path) -> set[str]:
    """`value` (a path or a `file:` URL) as the `file:` URL uv prints for it."""
    if "://" in value or value.startswith("file:"):
        return {value}
    try:
        return {(base / value).resolve().as_uri()}
    except (OSError, ValueError):
        return set()


def url_words(args: UvArgs, base: Path) -> set[str]:
    """The URLs and paths among the positional requirements, as URLs."""
    found: set[str] = set()
    for word in args.packages:
        if "://" in word or word.startswith(("file:", ".", "/", "~")):
            found |= _location_url(os.path.expanduser(word), base)
    return found


def same_location(url: str, wanted: Iterable[str]) -> bool:
    """Whether `url` (as uv printed it, VCS URLs with `@<commit>`) is one of `wanted` (as
    the user wrote it, perhaps without a commit)."""
    plain = url.rstrip("/")
    for w in wanted:
        w = w.rstrip("/")
        if plain == w or (plain.startswith(w + "@") and "/" not in plain[len(w) + 1 :]):
            return True
    return False


# --- the hashes: the index's simple pages --------------------------------------------------


class _Sources(msgspec.Struct, frozen=True):
    indexes: tuple[str, ...]  # simple roots, in uv's order of priority
    find_links: tuple[str, ...]
    first_index: bool


def default_index(args: UvArgs, fallback: str) -> str:
    """The default index uv uses: `--default-index`/`--index-url`, else `UV_DEFAULT_INDEX`
    or `UV_INDEX_URL`, else `fallback` (chaingate's configured index)."""
    return (
        index_location(args.index_url or "")
        or index_location(os.environ.get("UV_DEFAULT_INDEX", ""))
        or index_location(os.environ.get("UV_INDEX_URL", ""))
        or fallback
    )


def judged_files(
    wanted: Sequence[tuple[str, str]],
    index_url: str,
    pinned: Mapping[str, str],
    http: HttpSettings,
    own: str | None = None,
) -> dict[tuple[str, str], tuple[PinnedFile, ...]]:
    """Every file with a sha256 that each `(name, version)` has on the judged index: the
    one the scan's facts come from (`index_url`), or the one the policy pins the name to
    (`pinned`). Never another source's: the file installed must be one that was judged.
    `own`: the wheels chaingate built from judged sdists (`guard.build`), files too."""
    pins: dict[str, str] = {canonicalize_name(k): v for k, v in pinned.items()}
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, version in wanted:
        groups.setdefault(pins.get(name, index_url), []).append((name, version))
    found: dict[tuple[str, str], tuple[PinnedFile, ...]] = {}
    for index, group in groups.items():
        only = _Sources((simple_root(index),), (own,) if own else (), first_index=True)
        found |= pin_files(group, only, http)
    return found


class PinnedFile(msgspec.Struct, frozen=True):
    """One file an index publishes for a version: what a pin names and a fetch checks."""

    filename: str
    url: str  # absolute, without the hash fragment
    sha256: str  # hex

    @property
    def hash(self) -> str:
        return f"sha256:{self.sha256}"


def pin_files(
    wanted: Sequence[tuple[str, str]], sources: _Sources, http: HttpSettings
) -> dict[tuple[str, str], tuple[PinnedFile, ...]]:
    """Every file with a sha256 that each `(name, version)` has in `sources`."""
    for name, version in wanted:
        try:
            Version(version)
        except InvalidVersion as exc:
            raise InstallError(f"uv's dry run names {name}=={version}: {exc}") from exc
    return asyncio.run(_pin_all(wanted, sources, http))


async def _pin_all(
    wanted: Sequence[tuple[str, str]], sources: _Sources, http: HttpSettings
) -> dict[tuple[str, str], tuple[PinnedFile, ...]]:
    async with HttpClient(http) as client:
        found = await asyncio.gather(*(_pin_one(client, n, v, sources) for n, v in wanted))
    return dict(zip(wanted, found, strict=True))


async def _pin_one(
    client: HttpClient, name: str, version: str, sources: _Sources
) -> tuple[PinnedFile, ...]:
    def wanted(filename: str) -> bool:
        return _is_file_of(filename, name, version)

    files: list[PinnedFile] = []
    for root in sources.indexes:
        found = await _files_at(client, f"{root.rstrip('/')}/{name}/", wanted)
        if found is None:
            continue  # the project is not on this index: uv looks at the next one
        files += found
        if sources.first_index:
            break
    for location in sources.find_links:
        files += await _files_at(client, location, wanted, flat=True) or []
    unique = {(f.filename, f.sha256): f for f in files}
    return tuple(unique.values())


async def _files_at(
    client: HttpClient, url: str, wanted: Callable[[str], bool], *, flat: bool = False
) -> list[PinnedFile] | None:
    """Each `wanted` file with a sha256 that a simple page (or a `--find-links` page)
    lists, or a local directory holds; None when there is no such page or directory."""
    if url.startswith("file:"):
        return _local_files(Path(url2pathname(unquote(urlsplit(url).path))), wanted)
    accept = "text/html" if flat else f"{SIMPLE_JSON}, text/html;q=0.1"
    try:
        resp = await client.fetch(url, accept=accept)
        if resp.status == 404:
            return None
        files = parse_simple_page(resp.body, url)
    except FetchError as exc:
        raise InstallError(f"cannot read {url} to pin the install's hashes: {exc}") from exc
    except RegistryError as exc:
        raise InstallError(str(exc)) from exc
    return _pinned(files, wanted)


def _local_files(path: Path, wanted: Callable[[str], bool]) -> list[PinnedFile] | None:
    """A local index page (`index.html`), or the files of a local directory, hashed here."""
    page = path / "index.html" if path.is_dir() else path
    try:
        if page.is_file():
            return _pinned(parse_simple_page(page.read_bytes(), page.as_uri()), wanted)
        if path.is_dir():
            return [
                PinnedFile(f.name, f.as_uri(), hashlib.sha256(f.read_bytes()).hexdigest())
                for f in sorted(path.iterdir())
                if wanted(f.name) and f.is_file()
            ]
    except OSError as exc:
        raise InstallError(f"cannot read {path} to pin the install's hashes: {exc}") from exc
    except RegistryError as exc:
        raise InstallError(str(exc)) from exc
    return None


def _pinned(files: Sequence[SimpleFile], wanted: Callable[[str], bool]) -> list[PinnedFile]:
    return [
        PinnedFile(f.filename, f.url, f.sha256) for f in files if f.sha256 and wanted(f.filename)
    ]


def _is_file_of(filename: str, name: str, version: str) -> bool:
    try:
        if filename.endswith(".whl"):
            found, found_version, _, _ = parse_wheel_filename(filename)
        else:
            found, found_version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return False
    return found == name and found_version == Version(version)
