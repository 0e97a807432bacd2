"""Every source pip or uv would take a file from, learnt as they learn it, and the guard's
judgement of what those sources offer (issue 12, item 2).

The scan's facts come from one index, the judged one. pip and uv may also look elsewhere:
more indexes (`--extra-index-url`, uv's `--index`), `--find-links` locations, given on the
command line, in a requirements file's option lines, in the environment or in their
configuration files. A file from such a source is installed while the facts came from the
judged index: the same name and version with a build tag, which pip prefers, is enough.

So, for every registry item of a plan (`judge`):

- every source is asked what it offers of the name (its simple page, a find-links page or
  directory); a source that cannot be asked makes the item incomplete (fail closed);
- a source other than the judged index that offers files of the name the judged index
  does not publish (by sha256) makes a `dependency-confusion` finding, unless the policy
  pins the name to one index (`[sources]`); a mirror or a wheelhouse of the judged files
  is no finding;
- the file the installer chose must be one the judged index publishes for that version:
  when it is not, the item is pinned to the judged index's file of that version instead
  (the same wheel tags, else every file of the version), or, when the judged index has no
  file of that version, a `dependency-confusion` finding says so.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal
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
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Origin
from chaingate.core.status import Incomplete
from chaingate.ecosystems.pypi.install.common import ECOSYSTEM, Requirement
from chaingate.ecosystems.pypi.registry import SIMPLE_JSON, IndexUrls
from chaingate.ecosystems.pypi.simple import SimpleFile, parse_simple_page
from chaingate.net.http import FetchError, HttpClient, HttpSettings

FINDING = "dependency-confusion"
Kind = Literal["index", "find-links"]


class Source(msgspec.Struct, frozen=True):
    """One place the installer may take files from: an index's simple root (ending in
    `/`) or a find-links location (a URL; local paths as `file:` URLs), and where it was
    learnt (`--extra-index-url`, `requirements.txt:3`, `PIP_EXTRA_INDEX_URL`, a file)."""

    url: str
    kind: Kind
    given: str

    def describe(self) -> str:
        return f"{self.url} ({self.kind}, from {self.given})"


def simple_root(value: str) -> str:
    """An index URL as the root its projects' pages hang from: a base URL
    (`https://pypi.org`) gets `/simple/`; any other URL is taken as the installers take it
    (`https://download.pytorch.org/whl/cpu/`). ValueError for no index URL."""
    urls = IndexUrls.parse(value)  # checks the scheme
    if urlsplit(urls.base).path in ("", "/"):
        return urls.simple
    return value.strip().rstrip("/") + "/"


def index_source(value: str, given: str) -> Source | None:
    """An index URL as its simple root; None for a value that is no index URL."""
    try:
        return Source(simple_root(value), "index", given)
    except ValueError:
        return None


def links_source(value: str, given: str, base: Path) -> Source:
    """A find-links location: URLs as given, paths (relative to `base`) as `file:` URLs."""
    value = value.strip()
    if "://" in value or value.startswith("file:"):
        return Source(value, "find-links", given)
    return Source((base / os.path.expanduser(value)).resolve().as_uri(), "find-links", given)


def unique(sources: Sequence[Source]) -> tuple[Source, ...]:
    """Each location once, the first mention kept."""
    seen: dict[str, Source] = {}
    for s in sources:
        seen.setdefault(s.url, s)
    return tuple(seen.values())


# --- requirement files' option lines -------------------------------------------------------


_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
_VALUED = frozenset(
    {"-r", "--requirement", "--requirements", "-c", "--constraint", "-e", "--editable",
     "-i", "--index-url", "--extra-index-url", "--index", "--default-index", "-f",
     "--find-links", "--trusted-host", "--no-binary", "--only-binary", "--use-feature",
     "--hash", "--global-option", "--install-option", "--config-settings", "-C"}
)  # fmt: skip


def option_lines(path: Path, seen: set[Path] | None = None) -> list[tuple[str, str, str, Path]]:
    """`(option, value, "file:line", directory)` for every option of a requirements file's
    option lines and of the files it includes (`-r`, `-c`), as pip and uv read them. A
    file that cannot be read gives nothing here: the installer's own dry run reports it."""
    seen = set() if seen is None else seen
    try:
        key = path.resolve()
        if key in seen:
            return []
        seen.add(key)
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return []
    out: list[tuple[str, str, str, Path]] = []
    for number, raw in enumerate(text.replace("\\\r\n", " ").replace("\\\n", " ").splitlines(), 1):
        code = _ENV_VAR.sub(
            lambda m: os.environ.get(m[1], m[0]), raw.split(" #", 1)[0].strip()
        )  # pip expands ${NAME} in requirements files
        if not code.startswith("-"):
            continue
        try:
            words = shlex.split(code)
        except ValueError:
            continue
        i = 0
        while i < len(words):
            head, eq, value = words[i].partition("=")
            i += 1
            if not eq and not head.startswith("--") and len(head) > 2:
                head, value, eq = head[:2], head[2:], "="
            if head in _VALUED and not eq:
                value = words[i] if i < len(words) else ""
                i += 1
            if head in ("-r", "--requirement", "--requirements", "-c", "--constraint"):
                out += option_lines(path.parent / value, seen)
            else:
                out.append((head, value, f"{path}:{number}", path.parent))
    return out


class FileSources(msgspec.Struct, frozen=True):
    """What requirement files' option lines say about sources."""

    sources: tuple[Source, ...] = ()
    no_index: bool = False
    main_index: bool = False  # an `--index-url` (not only extra indexes)


def from_requirement_files(files: Sequence[str], base: Path) -> FileSources:
    """The indexes and find-links locations the option lines of `files` name. Relative
    find-links are relative to the file when they exist there (as pip does), else to
    `base`."""
    found: list[Source] = []
    no_index = main = False
    for name in files:
        for option, value, where, directory in option_lines(base / name):
            if option in ("-i", "--index-url", "--extra-index-url", "--index", "--default-index"):
                main |= option in ("-i", "--index-url", "--default-index")
                url = index_location(value) if option == "--index" else value
                found += [s] if (s := index_source(url, where)) else []
            elif option in ("-f", "--find-links"):
                near = directory / value
                found.append(links_source(value, where, directory if near.exists() else base))
            elif option == "--no-index":
                no_index = True
    return FileSources(tuple(found), no_index, main)


def index_location(value: str) -> str:
    """The URL of a uv `--index` value (`name=url` or `url`)."""
    named = re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*=(.+)$", value.strip())
    return named.group(1) if named else value.strip()


# --- pip's sources --------------------------------------------------------------------------

PYPI = "https://pypi.org/simple/"
_TRUE = ("1", "true", "yes", "on", "y", "t")


def pip_config(lines: str) -> dict[str, str]:
    """`pip config list` output (`global.extra-index-url='...'`, `:env:.find-links='...'`)
    as key -> value: pip's own answer for its configuration files and `PIP_*` variables."""
    found: dict[str, str] = {}
    for line in lines.splitlines():
        key, eq, quoted = line.partition("=")
        if not eq:
            continue
        try:
            value = ast.literal_eval(quoted.strip())
        except (ValueError, SyntaxError):
            value = quoted.strip().strip("'\"")
        found[key.strip()] = str(value)
    return found


def pip_sources(
    options: Sequence[tuple[str, str | None]],
    files: Sequence[str],
    config: Mapping[str, str],
    base: Path,
) -> tuple[Source, ...]:
    """Every index and find-links location pip would consult: the command line's
    (`options`, canonical name -> value), the option lines of the requirement files
    (`files`), and its configuration and environment (`config`, `pip_config`).

    The main index is pip's: the command line's `--index-url`, else `PIP_INDEX_URL`, else
    the configuration's (`install` over `global`), else pypi.org; a requirements file's
    `--index-url` replaces it. Extra indexes and find-links locations add up, as in
    pip (a configured list is the default the command line appends to). None of the
    indexes under `--no-index`."""
    indexes: list[Source] = []
    links: list[Source] = []
    no_index = False
    main: Source | None = None
    configured: list[str] = []
    for key in (":env:.index-url", "install.index-url", "global.index-url"):
        if main is None and config.get(key):
            main = index_source(config[key].split()[0], _config_given(key))
    for key, value in config.items():
        option = key.rpartition(".")[2]
        given = _config_given(key)
        if option == "extra-index-url":
            indexes += [s for v in value.split() if (s := index_source(v, given))]
        elif option == "find-links":
            links += [links_source(v, given, base) for v in value.split()]
        elif option == "no-index":
            no_index |= value.strip().lower() in _TRUE
        elif option in ("constraint", "requirement"):  # files whose option lines count too
            configured += value.split()
    for name, given_value in options:
        if name == "--index-url" and given_value:
            main = index_source(given_value, name) or main
        elif name == "--extra-index-url" and given_value:
            indexes += [s] if (s := index_source(given_value, name)) else []
        elif name == "--find-links" and given_value:
            links.append(links_source(given_value, name, base))
        elif name == "--no-index":
            no_index = True
    in_files = from_requirement_files([*configured, *files], base)
    indexes += [s for s in in_files.sources if s.kind == "index"]
    links += [s for s in in_files.sources if s.kind == "find-links"]
    main = main or Source(PYPI, "index", "pip's default index")
    if no_index or in_files.no_index:
        return unique(links)
    # A requirements file's --index-url replaces pip's main index (its own is in `indexes`).
    return unique([*([] if in_files.main_index else [main]), *indexes, *links])


def _config_given(key: str) -> str:
    """Where a `pip config list` key comes from, in words."""
    return "the environment (PIP_*)" if key.startswith(":env:.") else f"pip's configuration ({key})"


# --- what a source offers ------------------------------------------------------------------


class Offer(msgspec.Struct, frozen=True):
    """What one source offers of one name: its files (None: the name is not there), or
    why the source could not be asked."""

    source: Source
    files: tuple[SimpleFile, ...] | None
    error: str | None = None


async def _offer(client: HttpClient, source: Source, name: str) -> Offer:
    try:
        if source.url.startswith("file:"):
            path = Path(url2pathname(unquote(urlsplit(source.url).path)))
            files = _local_files(path, name, source.kind == "find-links")
        else:
            files = await _remote_files(client, source, name)
    except (OSError, FetchError, RegistryError) as exc:
        return Offer(source, None, f"cannot read {source.url}: {exc}")
    if files is None:
        return Offer(source, None)
    mine = tuple(f for f in files if _name_of(f.filename) == name)
    return Offer(source, mine or None)


async def _remote_files(client: HttpClient, source: Source, name: str) -> list[SimpleFile] | None:
    if source.kind == "index":
        url = f"{source.url.rstrip('/')}/{name}/"
        resp = await client.fetch(url, accept=f"{SIMPLE_JSON}, text/html;q=0.1")
    else:
        url = source.url
        resp = await client.fetch(url, accept="text/html")
    if resp.status == 404 and source.kind == "index":
        return None
    if resp.status != 200:
        raise FetchError(f"HTTP {resp.status}")
    return parse_simple_page(resp.body, url)


def _local_files(path: Path, name: str, flat: bool) -> list[SimpleFile] | None:
    """A local index (`<root>/<name>/index.html`) or find-links location (a directory of
    files, hashed here, or an HTML page). OSError when it cannot be read at all."""
    where = path if flat else path / name
    if not flat and not where.exists():
        return None
    if not where.exists():
        raise FileNotFoundError("no such file or directory")
    page = where / "index.html" if where.is_dir() else where
    if page.is_file():
        return parse_simple_page(page.read_bytes(), page.as_uri())
    return [
        SimpleFile(
            f.name, f.as_uri(), hashlib.sha256(f.read_bytes()).hexdigest(), None, False, None
        )
        for f in sorted(where.iterdir())
        if f.is_file() and _name_of(f.name) == name
    ]


def _name_of(filename: str) -> str | None:
    return _parsed(filename)[0]


def _parsed(filename: str) -> tuple[str | None, Version | None, frozenset[str]]:
    """Name, version and wheel tags of a distribution file name (all None/empty when it is
    not one)."""
    try:
        if filename.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(filename)
            return name, version, frozenset(str(t) for t in tags)
        name, version = parse_sdist_filename(filename)
        return name, version, frozenset()
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None, None, frozenset()


# --- the judgement -------------------------------------------------------------------------


class Judging(msgspec.Struct, frozen=True):
    """What judging an installer's sources needs: the judged index (where the scan's facts
    come from), how to ask the sources, and the names the policy pins to one index."""

    index_url: str
    http: HttpSettings
    pinned: Mapping[str, str] = msgspec.field(default_factory=dict)
    own: str | None = None  # `file:` URL of the wheels chaingate built (guard.build)


class Verdict(msgspec.Struct, frozen=True):
    """What the sources say of a plan: its items (re-pinned to the judged files where the
    installer chose another), the findings, and the items a source could not be asked
    about."""

    items: tuple[Requirement, ...]
    findings: tuple[Finding, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()


def judge(
    items: Sequence[Requirement],
    sources: Sequence[Source],
    judged_index: str,
    http: HttpSettings,
    *,
    installer: str,
    pinned: Mapping[str, str] | None = None,
    own: str | None = None,
) -> Verdict:
    """Judge the registry items of a plan against every source (see the module's doc).
    `judged_index` is the index the scan's facts come from; `pinned` maps names the policy
    pins to one index (`[sources]`) to that index. `own` is the folder of wheels chaingate
    built from sdists it judged (`guard.build`): not a rival source, and its wheels are
    installed as they are."""
    pins: dict[str, str] = {canonicalize_name(k): simple_root(v) for k, v in (pinned or {}).items()}
    judged = simple_root(judged_index)
    if own is not None:
        mine = own.rstrip("/") + "/"
        sources = [s for s in sources if s.url.rstrip("/") + "/" != mine]
        items_built = {i.key for i in items if (i.url or "").startswith(mine)}
    else:
        items_built = set()
    registry = [i for i in items if i.origin is Origin.REGISTRY and i.key not in items_built]
    if not registry:
        return Verdict(tuple(items))
    return asyncio.run(_judge(items, registry, unique(sources), judged, pins, http, installer))


async def _judge(
    items: Sequence[Requirement],
    registry: Sequence[Requirement],
    sources: tuple[Source, ...],
    judged: str,
    pins: Mapping[str, str],
    http: HttpSettings,
    installer: str,
) -> Verdict:
    async with HttpClient(http) as client:

        async def one(item: Requirement) -> tuple[Offer, list[Offer]]:
            home = Source(pins.get(item.name, judged), "index", "the judged index")
            others = [s for s in sources if s.url != home.url]
            found = await asyncio.gather(*(_offer(client, s, item.name) for s in (home, *others)))
            return found[0], list(found[1:])

        answers = await asyncio.gather(*(one(i) for i in registry))
    by_key = dict(zip((i.key for i in registry), answers, strict=True))
    out: list[Requirement] = []
    findings: list[Finding] = []
    incomplete: list[Incomplete] = []
    for item in items:
        if item.key not in by_key:
            out.append(item)
            continue
        home, others = by_key[item.key]
        errors = [o.error for o in (home, *others) if o.error]
        if errors:
            incomplete.append(
                Incomplete(
                    item.name,
                    item.version,
                    f"a source {installer} would consult could not be asked: {errors[0]}",
                    ECOSYSTEM,
                )
            )
            out.append(item)
            continue
        published = {f.sha256 for f in home.files or () if f.sha256}
        rivals = [
            o
            for o in others
            if o.files and any(f.sha256 is None or f.sha256 not in published for f in o.files)
        ]
        if rivals and item.name not in pins:
            findings.append(_confusion(item, home, rivals, installer))
        repinned, missing = _repin(item, home)
        if missing:
            findings.append(_unpublished(item, home, installer))
        out.append(repinned)
    return Verdict(tuple(out), tuple(findings), tuple(incomplete))


def _repin(item: Requirement, home: Offer) -> tuple[Requirement, bool]:
    """The item pinned to a file the judged index publishes for its version: as it is
    when the installer chose one, else that index's file with the same wheel tags (else
    all its files of the version). `missing`: the judged index has no file of it."""
    version = Version(item.version)
    mine = [f for f in home.files or () if _parsed(f.filename)[1] == version and f.sha256]
    chosen = {h.partition(":")[2] for h in item.hashes if h.startswith("sha256:")}
    if not item.hashes or any(f.sha256 in chosen for f in mine):
        return item, False
    if not mine:
        return item, True
    tags = _parsed(_filename(item.url))[2]
    same = [f for f in mine if tags and _parsed(f.filename)[2] == tags]
    if len(same) == 1:
        return msgspec.structs.replace(
            item, url=same[0].url, hashes=(f"sha256:{same[0].sha256}",)
        ), False
    hashes = tuple(f"sha256:{f.sha256}" for f in mine)
    return msgspec.structs.replace(item, url=None, hashes=hashes), False


def _filename(url: str | None) -> str:
    return unquote((url or "").split("#")[0].split("?")[0].rsplit("/", 1)[-1])


def _confusion(item: Requirement, home: Offer, rivals: list[Offer], installer: str) -> Finding:
    theirs = [
        f"{o.source.describe()}: "
        + ", ".join(f.filename for f in (o.files or ()) if f.sha256 not in _hashes(home))[:300]
        for o in rivals
    ]
    message = (
        f"{item.name} is offered by more than one source {installer} would consult: the "
        f"judged index {home.source.url} and {'; '.join(theirs)}. {installer} may take "
        "its file from any of them (a higher version or a build tag wins) while the "
        "facts come from the judged index. Remove the other source, or pin the name to "
        "one index in the policy ([sources])."
    )
    sources = [
        {
            "url": o.source.url,
            "kind": o.source.kind,
            "given": o.source.given,
            "files": [f.filename for f in o.files or ()],
        }
        for o in rivals
    ]
    return _finding(item, message, {"judged": home.source.url, "sources": sources})


def _unpublished(item: Requirement, home: Offer, installer: str) -> Finding:
    message = (
        f"{installer} would install {item.name} {item.version} from "
        f"{item.url or 'another source'}, but the judged index {home.source.url} "
        "publishes no file of that version: what would be installed is not what was judged."
    )
    return _finding(item, message, {"judged": home.source.url, "file": item.url})


def _finding(item: Requirement, message: str, evidence: dict[str, object]) -> Finding:
    return Finding(FINDING, Severity.HIGH, item.name, item.version, message, evidence, ECOSYSTEM)


def _hashes(offer: Offer) -> set[str | None]:
    return {f.sha256 for f in offer.files or ()}
