"""What an ecosystem adapter provides: the seams between chaingate's pipeline and one package
ecosystem (PyPI today; GitHub Actions and npm next).

Everything above this package (inventory, facts, signals, policy, engine, reports) sees
packages only as `PackageRef(ecosystem, name, version)` and the shared value types of
`chaingate.core`; what a name is, which files declare dependencies, how a registry answers and
how versions compare is the adapter's business. An adapter is one `Ecosystem` value built from
the small protocols below; `chaingate.ecosystems.default_ecosystems()` lists the shipped ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Sequence
from pathlib import Path
from typing import Protocol

import msgspec

from chaingate.core.errors import ChaingateError
from chaingate.core.facts import ProjectFacts, Vulnerability
from chaingate.core.inventory import Manifest
from chaingate.net.http import HttpClient, HttpSettings


class Names(Protocol):
    """Name rules: how a name is written canonically and how versions compare."""

    def normalize(self, name: str) -> str:
        """The canonical spelling (PEP 503 for PyPI). Applied once, at the edge."""
        ...

    def version_key(self, version: str) -> Hashable | None:
        """A key under which equal versions are equal ("1.0" and "1.0.0" on PyPI), or None
        for a version the ecosystem cannot read (then only the exact string matches)."""
        ...


class ManifestParser(Protocol):
    """The files an ecosystem declares dependencies in, and how each one is read."""

    def claim(self, directory: Path, filename: str) -> str | None:
        """The kind of `filename` found while walking `directory`, or None if not ours.
        Kinds are unique across ecosystems (e.g. "uv.lock", "toy-manifest")."""
        ...

    def claim_named(self, path: Path) -> str | None:
        """The kind of a file named on the command line (may accept more than `claim`)."""
        ...

    def keep(self, kinds: dict[str, str]) -> set[str]:
        """Of the files one directory holds (filename -> kind, all this adapter's), the
        ones to read: e.g. a pyproject.toml beside a lock file is the lock's business."""
        ...

    @property
    def kinds(self) -> frozenset[str]:
        """Every kind this parser reads."""
        ...

    @property
    def lock_kinds(self) -> frozenset[str]:
        """The kinds that are locks: they list the complete set with exact versions, and
        may lock local projects besides the one beside them (`Manifest.covers`)."""
        ...

    @property
    def project_kind(self) -> str | None:
        """The kind of a local project's own file (pyproject.toml), which a lock that
        covers the project makes redundant."""
        ...

    @property
    def beside(self) -> tuple[str, ...]:
        """Names of files the parsers read next to a manifest (a lock's pyproject.toml)."""
        ...

    def includes(self, kind: str, text: str) -> list[str]:
        """The local files a manifest of `kind` with this text pulls in, as written
        (relative to its folder): a requirements file's `-r` and `-c`."""
        ...

    def parse(self, path: Path, kind: str, display: str) -> Manifest:
        """Read one file; raise InventoryError (file, line, what) on bad input."""
        ...

    @property
    def understood(self) -> str:
        """The file names this parser reads, for an error message."""
        ...


class Target(msgspec.Struct, frozen=True):
    """The interpreter and platform a resolution is for (`--python-version`, `--platform`);
    None: the resolver's default (the lowest Python the project admits, this machine)."""

    python_version: str | None = None
    platform: str | None = None


ANY_TARGET = Target()  # the resolver's defaults


class Resolver(Protocol):
    """Turns a manifest that is not a lock into the exact transitive set it installs."""

    def resolve(
        self,
        manifest: Manifest,
        own_name: str | None,
        index_url: str,
        timeout: float,
        build: bool,
        target: Target = ANY_TARGET,
    ) -> Manifest:
        """`manifest`, locked: its registry entries replaced by the resolved set. A scope
        (group, extra) that cannot be resolved is listed in the result's `unresolved`
        with the resolver's reason; when nothing resolves, the resolver's error."""
        ...

    def own_name(self, path: Path) -> str | None:
        """The name the project at `path` gives itself, if the file says (so a project's
        reference to itself is not sent to the public index)."""
        ...

    @property
    def name(self) -> str:
        """What resolved the tree ("uv 0.5.1"), for the report."""
        ...


class Answer(msgspec.Struct):
    """What a registry said about one project.

    Exactly one of `facts`, `not_found` or `unavailable` says how the request went.
    `vulns` holds the vulnerabilities of each pinned version the registry could say
    anything about (missing: it could not say); `vulns_note` explains a registry that
    cannot report per-version vulnerabilities at all.
    """

    facts: ProjectFacts | None = None
    not_found: bool = False
    unavailable: str | None = None
    vulns: dict[str, tuple[Vulnerability, ...]] = msgspec.field(default_factory=dict)
    vulns_note: str | None = None
    network: bool = False  # True when answering needed a request to the registry


class RegistrySession(Protocol):
    """One collection of facts from one index, on one HTTP client."""

    def cached(self, name: str, versions: Collection[str]) -> Answer | None:
        """The answer from the cache alone, without an event loop, or None when anything
        (a document, a per-version document, a revalidation) needs the network."""
        ...

    def fresh(self, name: str) -> bool:
        """Whether the project's document is in the cache and fresh: a cheap look (nothing
        decoded) for a caller deciding how much there is to download."""
        ...

    async def fetch(self, name: str, versions: Collection[str]) -> Answer:
        """The answer, asking the registry where the cache cannot answer."""
        ...


class Registry(Protocol):
    """Where an ecosystem's project facts come from."""

    default_index: str

    def session(self, index_url: str, client: HttpClient, http: HttpSettings) -> RegistrySession:
        """A session against `index_url` (validated here: ValueError when malformed)."""
        ...

    def display_index(self, index_url: str) -> str:
        """The index as reports name it (e.g. its base URL)."""
        ...


class ArtifactError(ChaingateError):
    """A release's file could not be found, downloaded or verified (the package is then
    incomplete: never analysed as clean)."""


class ArtifactFile(Protocol):
    """A downloaded file of a release, verified against the registry's digest."""

    @property
    def filename(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def path(self) -> Path: ...


class ArtifactSource(Protocol):
    """Where the files of a release come from, for reading their code (`scan --deep`)."""

    async def fetch(
        self, client: HttpClient, index_url: str, name: str, version: str, folder: Path, ttl: float
    ) -> ArtifactFile:
        """The file this machine would install for `name` `version`, downloaded into `folder`
        and verified; which file was chosen may be remembered for `ttl` seconds. Raises
        ArtifactError."""
        ...


class Ecosystem(msgspec.Struct, frozen=True):
    """One ecosystem adapter: its name and its parts. `resolver` is None where every
    manifest is a lock (nothing to resolve); `popular` gives the text of the packages a
    look-alike name imitates (`rank<TAB>name` lines, canonical names; None: the typosquat
    check has no list for this ecosystem); `environment` reads an installed environment
    (`scan --env`) where the ecosystem has one; `artifacts` fetches a release's files for code
    analysis (None: `--deep` reports the ecosystem's packages as not analysed)."""

    name: str
    names: Names
    manifests: ManifestParser
    registry: Registry
    resolver: Resolver | None = None
    popular: Callable[[], str] | None = None
    environment: Callable[[str], Manifest] | None = None
    artifacts: ArtifactSource | None = None


def by_name(ecosystems: Sequence[Ecosystem]) -> dict[str, Ecosystem]:
    return {e.name: e for e in ecosystems}
