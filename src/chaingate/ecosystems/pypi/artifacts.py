"""Getting a release's artifacts from the index: which files pip would install here, their
download, and the check that the bytes are the ones the index vouches for.

The simple API (PEP 691 JSON, else PEP 503 HTML) lists every file of a project with its
sha256, on PyPI and on any mirror or private index, so it is the one source used here.
Downloads stream to disk under a size cap and are verified against the index's digest
before anything reads them; a mismatch is an error, never an analysis of unverified bytes.
Verified files are kept in the cache under their digest, so a second inspection of the same
release downloads nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import msgspec
from msgspec.structs import replace
from packaging.tags import Tag, sys_tags
from packaging.utils import (
    InvalidWheelFilename,
    canonicalize_name,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from chaingate.ecosystems import interface
from chaingate.ecosystems.pypi.registry import SIMPLE_JSON, IndexUrls
from chaingate.ecosystems.pypi.simple import SimpleFile, parse_simple_page, version_of
from chaingate.net.atomic import private_dirs, write_atomic
from chaingate.net.http import FetchError, HttpClient

MAX_DOWNLOAD = 1024 * 1024 * 1024  # bytes of one artifact
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*===?\s*([^\s;,]+)\s*$")
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz")


class ArtifactError(interface.ArtifactError):
    """A release's artifact could not be found, downloaded or verified. `unavailable` when
    the index could not be reached or served bad bytes (as opposed to: no such release)."""

    def __init__(self, message: str, *, unavailable: bool = False) -> None:
        super().__init__(message)
        self.unavailable = unavailable


class Pin(msgspec.Struct, frozen=True):
    name: str  # canonical
    version: str

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


class Artifact(msgspec.Struct, frozen=True):
    """A downloaded, verified file of a release."""

    pin: Pin
    filename: str
    url: str
    sha256: str
    path: Path
    kind: str  # "wheel" or "sdist"


def parse_pin(text: str) -> Pin | None:
    """`name==version` (or `===`) as a Pin; None when `text` is not one."""
    m = _PIN.match(text)
    if m is None:
        return None
    return Pin(canonicalize_name(m.group(1)), m.group(2))


def _version(filename: str) -> Version | None:
    if not filename.endswith((".whl", *_SDIST_SUFFIXES)):
        return None
    text = version_of(filename)
    return Version(text) if text is not None else None


def _same(a: str, b: Version) -> bool:
    try:
        return Version(a) == b
    except InvalidVersion:
        return False


def files_of(files: Iterable[SimpleFile], version: str) -> list[SimpleFile]:
    """The wheels and sdists of one version (1.0 and 1.0.0 are the same version)."""
    out = []
    for f in files:
        v = _version(f.filename)
        if v is not None and (_same(version, v) or str(v) == version):
            out.append(f)
    return out


def files_as_of(files: Iterable[SimpleFile], when: datetime) -> list[SimpleFile] | None:
    """The files the index listed at `when` (`--as-of`): uploaded at or before it, none
    yanked (today's listing does not say when a file was yanked). None when a file has no
    upload time (an HTML listing, no PEP 700): the listing of then cannot be known."""
    files = list(files)
    if any(f.upload_time is None for f in files):
        return None
    return [
        replace(f, yanked=False, yanked_reason=None)
        for f in files
        if f.upload_time is not None and f.upload_time <= when
    ]


def choose(files: Sequence[SimpleFile], tags: Sequence[Tag] | None = None) -> SimpleFile | None:
    """The file pip would install on this platform: the wheel whose tags rank best among
    the interpreter's supported tags, else the sdist (None when neither exists)."""
    rank = {tag: i for i, tag in enumerate(tags if tags is not None else sys_tags())}
    best: tuple[int, SimpleFile] | None = None
    for f in files:
        if not f.filename.endswith(".whl"):
            continue
        try:
            wheel_tags = parse_wheel_filename(f.filename)[3]
        except (InvalidWheelFilename, InvalidVersion):
            continue
        score = min((rank[t] for t in wheel_tags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, f)
    if best is not None:
        return best[1]
    return next((f for f in files if f.filename.endswith(_SDIST_SUFFIXES)), None)


def sdist_of(files: Sequence[SimpleFile]) -> SimpleFile | None:
    return next((f for f in files if f.filename.endswith(_SDIST_SUFFIXES)), None)


def previous_version(files: Iterable[SimpleFile], version: str) -> str | None:
    """The release before `version` on the index: the highest lower version with at least
    one file that is not yanked. Pre-releases count only when `version` is one."""
    try:
        current = Version(version)
    except InvalidVersion:
        return None
    yanked: dict[Version, bool] = {}
    for f in files:
        v = _version(f.filename)
        if v is None or v >= current or (v.is_prerelease and not current.is_prerelease):
            continue
        yanked[v] = yanked.get(v, True) and f.yanked
    candidates = [v for v, all_yanked in yanked.items() if not all_yanked]
    return str(max(candidates)) if candidates else None


async def project_files(client: HttpClient, index: IndexUrls, name: str) -> list[SimpleFile]:
    """Every file of a project the index lists. Raises ArtifactError when the project is not
    on the index or the page cannot be fetched."""
    try:
        page = await client.fetch(
            index.project_simple(name),
            accept=f"{SIMPLE_JSON}, text/html;q=0.1",
            redirect_ok=index.allows_redirect,
        )
    except FetchError as exc:
        raise ArtifactError(
            f"{name}: the index's file list is unavailable: {exc}", unavailable=True
        ) from None
    if page.status == 404:
        raise ArtifactError(f"{name} is not on the index ({index.base})")
    try:
        return parse_simple_page(page.body, page.url)
    except Exception as exc:  # RegistryError or an unreadable cached body
        client.forget(page.url, accept=f"{SIMPLE_JSON}, text/html;q=0.1")
        raise ArtifactError(f"{name}: unreadable file list: {exc}", unavailable=True) from None


async def download(client: HttpClient, pin: Pin, file: SimpleFile, cache_dir: Path) -> Artifact:
    """The verified file, from the cache when its digest is already there. A file the index
    gives no sha256 for is refused: its bytes could not be verified."""
    if not file.sha256:
        raise ArtifactError(
            f"{file.filename}: the index gives no sha256 for it, so it cannot be verified"
        )
    digest = file.sha256.lower()
    kind = "wheel" if file.filename.endswith(".whl") else "sdist"
    folder = cache_dir / digest[:2] / digest
    dest = folder / Path(file.filename).name
    if dest.is_file() and sha256_file(dest) == digest:
        return Artifact(pin, file.filename, file.url, digest, dest, kind)
    try:
        private_dirs(folder)
        await client.download(file.url, dest, sha256=digest, max_bytes=MAX_DOWNLOAD)
    except FetchError as exc:
        raise ArtifactError(f"{file.filename}: {exc}", unavailable=True) from None
    except OSError as exc:
        raise ArtifactError(f"{file.filename}: cannot keep it: {exc}", unavailable=True) from None
    return Artifact(pin, file.filename, file.url, digest, dest, kind)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


async def fetch_release(
    client: HttpClient,
    index: IndexUrls,
    pin: Pin,
    cache_dir: Path,
    *,
    files: list[SimpleFile] | None = None,
) -> Artifact:
    """Download and verify the artifact pip would install for `pin` on this platform."""
    listing = files if files is not None else await project_files(client, index, pin.name)
    mine = files_of(listing, pin.version)
    if not mine:
        raise ArtifactError(f"{pin}: no such release on the index ({index.base})")
    chosen = choose(mine)
    if chosen is None:
        raise ArtifactError(f"{pin}: no wheel for this platform and no sdist")
    return await download(client, pin, chosen, cache_dir)


class _ChosenFiles:
    """Which file was chosen for a pin on this interpreter, kept as long as the index's
    documents are (`--cache-ttl`): a warm deep scan then neither fetches nor parses the
    project's file list (tens of MB for boto3 and botocore). The file itself is verified
    again against the digest on every use."""

    def __init__(self, root: Path, index: str, ttl: float) -> None:
        self.root, self.ttl = root, ttl
        key = f"{index}\0{next(iter(sys_tags()))}"
        self.key = hashlib.sha256(key.encode()).hexdigest()[:16]

    def _path(self, pin: Pin) -> Path:
        return self.root / self.key / f"{pin.name}=={pin.version}.json"

    def load(self, pin: Pin, folder: Path) -> Artifact | None:
        import time

        path = self._path(pin)
        try:
            if time.time() - path.stat().st_mtime >= self.ttl:
                return None
            doc = json.loads(path.read_text())
            digest, filename = str(doc["sha256"]), str(doc["filename"])
            file = folder / digest[:2] / digest / Path(filename).name
            if sha256_file(file) != digest:
                return None
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None
        kind = "wheel" if filename.endswith(".whl") else "sdist"
        return Artifact(pin, filename, str(doc.get("url", "")), digest, file, kind)

    def save(self, art: Artifact) -> None:
        path = self._path(art.pin)
        doc = {"filename": art.filename, "url": art.url, "sha256": art.sha256}
        write_atomic(path, json.dumps(doc).encode())


async def fetch_chosen(
    client: HttpClient, index_url: str, name: str, version: str, folder: Path, ttl: float
) -> Artifact:
    """The file pip would install on this interpreter for `name` `version` (the choice kept
    for `ttl` seconds, the bytes verified again on every use), downloaded into `folder`."""
    index = IndexUrls.parse(index_url)
    pin = Pin(name, version)
    chosen = _ChosenFiles(folder / "chosen", index.base, ttl)
    known = chosen.load(pin, folder)
    if known is not None:
        return known
    art = await fetch_release(client, index, pin, folder)
    chosen.save(art)
    return art
