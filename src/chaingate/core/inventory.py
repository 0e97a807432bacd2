"""What the inventory stage hands to the rest of the pipeline.

Parsers turn one file into a `Manifest`: the dependencies it declares, where each is
declared, and (for lock files) the dependency graph. `build.py` turns manifests into an
`Inventory` of exact packages with the path(s) that pull each one in.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from chaingate.core.errors import ChaingateError
from chaingate.core.refs import PackageRef
from chaingate.core.scopes import RUNTIME


class InventoryError(ChaingateError):
    """Bad input: a file chaingate cannot read. Rendered as `chaingate: file:line: message`."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file = file
        self.line = line
        self.message = message
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {message}")


class Origin(StrEnum):
    """Where a dependency's files come from. Anything but REGISTRY bypasses the index."""

    REGISTRY = "registry"
    URL = "url"
    VCS = "vcs"
    PATH = "path"


class Location(msgspec.Struct, frozen=True):
    """A place in a manifest: the file (relative to the scan root where possible) and line."""

    file: str
    line: int | None = None


class Declared(msgspec.Struct, frozen=True):
    """One dependency as a file states it.

    `name` is canonical (packaging.utils.canonicalize_name). `version` is the exact version
    when the file pins one (`==1.2.3` or a lock entry), else None. `direct` is False for the
    transitive entries of a lock file. `scopes` are the scopes the file itself places the
    entry in (`runtime`, `extra:<name>`, a dependency group's name); empty where the file
    does not say (a lock's transitive entry): build.py then gives it the scopes of the
    direct entries that reach it.
    """

    name: str
    location: Location
    specifier: str = ""
    version: str | None = None
    origin: Origin = Origin.REGISTRY
    url: str | None = None
    extras: tuple[str, ...] = ()
    marker: str | None = None
    direct: bool = True
    group: str | None = None
    hashes: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    # CI/CD manifests: the chain that pulls it in as written (workflow file, job, step,
    # value), what the job exposes to it (`exposure`: e.g. "write-permissions",
    # "secrets", "pull_request_target"), and the ecosystem of an entry that is not the
    # manifest's own (a pre-commit hook's PyPI `additional_dependencies`).
    via: tuple[str, ...] = ()
    exposure: tuple[str, ...] = ()
    ecosystem: str | None = None


class ScopeFailure(msgspec.Struct, frozen=True):
    """A scope of one file that the resolver could not resolve, and the resolver's reason."""

    scope: str
    file: str
    reason: str


class Manifest(msgspec.Struct, frozen=True):
    """One parsed file.

    `locked` means the file lists the complete transitive set with exact versions (a lock
    file, or a hash-pinned requirements file), so no resolution is needed. `graph` maps a
    canonical name to the canonical names it depends on, where the file records that.
    `covers` names the local projects a lock file locks besides the one beside it
    (workspace members, path dependencies), as the lock writes their paths: their own
    pyproject.toml files need no resolution of their own.
    """

    path: str
    kind: str
    entries: tuple[Declared, ...]
    locked: bool = False
    graph: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    covers: tuple[str, ...] = ()
    # How the scopes were told when no table of the file records them ("scope dev from
    # the file name"), for the report.
    scope_notes: tuple[str, ...] = ()
    # Scopes (a group, an extra) whose resolution failed, each with the resolver's reason;
    # the rest of the manifest is resolved.
    unresolved: tuple[ScopeFailure, ...] = ()
    # The Python versions the project supports (`requires-python`), where it says.
    requires_python: str | None = None
    # Dependencies the file names that no adapter reads (a pre-commit hook's npm
    # `additional_dependencies`): (what, why), each an `incomplete` entry of the scan.
    unanalysed: tuple[tuple[str, str], ...] = ()


class Package(msgspec.Struct, frozen=True):
    """One exact package the project trusts, and why it is there.

    `paths` holds chains of names from a direct dependency down to this package (the first
    element is the direct dependency, the last is this package); a direct dependency has the
    one-element path `(name,)`. `scopes` are the scopes that pull it in, runtime first
    (`runtime`, `extra:<name>`, dependency groups): for a transitive package, the union
    of the scopes of the direct ones that reach it.
    """

    ecosystem: str
    name: str
    version: str | None
    direct: bool
    paths: tuple[tuple[str, ...], ...]
    origin: Origin = Origin.REGISTRY
    url: str | None = None
    locations: tuple[Location, ...] = ()
    scopes: tuple[str, ...] = (RUNTIME,)
    # What the jobs that run it expose to it (CI/CD: token write permissions, secrets,
    # pull_request_target), the union over every place it is used.
    exposure: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.name

    @property
    def ref(self) -> PackageRef:
        return PackageRef(self.ecosystem, self.name, self.version)


class Inventory(msgspec.Struct, frozen=True):
    """Everything a scan found: the packages and the files they came from."""

    root: str
    packages: tuple[Package, ...]
    manifests: tuple[str, ...]
    resolved_with: str | None = None
    # canonical name -> names it depends on (union of the manifests' graphs), when known
    graph: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    # Why the tree may be missing packages (e.g. resolution failed and only the declared
    # packages are listed); each becomes an `incomplete` entry of the scan.
    unresolved: tuple[str, ...] = ()
    # How scopes were told where no file records them ("requirements-dev.txt: scope dev
    # from the file name").
    scope_notes: tuple[str, ...] = ()
    # Scopes (a group, an extra) that could not be resolved on their own, with the reason;
    # each becomes an `incomplete` entry naming the scope.
    unresolved_scopes: tuple[ScopeFailure, ...] = ()
    # (manifest, what, why) for each dependency a manifest names that no adapter reads.
    unanalysed: tuple[tuple[str, str, str], ...] = ()
