"""What the registry stage knows about a project, and how it says it could not find out.

`ProjectFacts` is extracted once from a registry document (PyPI's `/pypi/<name>/json`) and
is all the signals ever see of the registry. A project that could not be fetched is an
`Unavailable` value with a reason, never an empty `ProjectFacts`.

Like every value passed between stages, the facts are frozen msgspec structs. A warm scan
decodes ~30,000 releases from the facts cache (`factscache.py`), so the leaves, which hold
only strings, numbers, datetimes and tuples of leaves and cannot be part of a reference
cycle, are kept out of the garbage collector's sight (`gc=False`), and releases and files
are encoded as arrays (`array_like`), which halves the cache.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from datetime import datetime

import msgspec


class RegistryError(Exception):
    """A registry document could not be obtained or understood."""


class Account(msgspec.Struct, frozen=True, gc=False):
    """A registry account with a role on a project (PyPI `ownership.roles`)."""

    user: str
    role: str  # "Owner" or "Maintainer" on PyPI


class Person(msgspec.Struct, frozen=True, gc=False):
    """A name and email from the package metadata (author / maintainer fields)."""

    email: str
    name: str | None = None
    field: str = "author_email"  # which metadata field it came from

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()


class ReleaseFile(msgspec.Struct, frozen=True, gc=False, array_like=True):
    filename: str
    packagetype: str  # sdist, bdist_wheel, ...
    upload_time: datetime
    sha256: str | None
    size: int
    yanked: bool
    url: str = ""


class Release(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One version: when it first appeared (earliest file upload) and whether it is yanked.

    `files` is filled for the latest release only (the document's `urls`): popular projects
    carry hundreds of thousands of files across their history, and nothing but artifact
    analysis needs them, which asks the simple API for the version it inspects.
    """

    version: str
    uploaded_at: datetime | None  # None for a version with no files
    yanked: bool
    yanked_reason: str | None
    files: tuple[ReleaseFile, ...] = ()


class Publisher(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """The trusted publisher an attestation bundle names (PEP 740 `publisher`)."""

    kind: str  # "GitHub", "GitLab", "Google", ...
    repository: str | None = None
    workflow: str | None = None
    environment: str | None = None


class ReleaseProvenance(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Whether a release's files carry PEP 740 attestations (the PEP 691 JSON `provenance`
    key, or `data-provenance` in HTML), and who published them where the Integrity API said
    (`publishers` is empty when it was not asked)."""

    version: str
    attested: bool
    publishers: tuple[Publisher, ...] = ()
    url: str = ""  # the provenance object of one of its files (Integrity API), if attested


class GitRef(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """For an ecosystem whose versions are git refs (GitHub Actions, pre-commit hooks): the
    commit a ref in use resolved to. `kind` is "tag", "branch" or "commit" (a SHA as
    written). `own`, for a commit: whether the repository's own branches or tags reach it
    (False: an impostor commit, pushed to a fork and served through the parent's name);
    None where that could not be told (`why`)."""

    ref: str
    kind: str
    commit: str
    own: bool | None = None
    why: str = ""


class Vulnerability(msgspec.Struct, frozen=True, gc=False):
    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed_in: tuple[str, ...]
    link: str | None
    withdrawn: bool = False
    # From an OSV record (facts/advisories): its severity as published (a CVSS vector or the
    # database's word) and the vector's base score, whether it reports malicious code, when
    # it was published, and the versions it covers: explicit ones, and ECOSYSTEM ranges
    # (introduced, fixed, last_affected; None where the event is absent). `whole_package`:
    # it names no version, so it covers them all.
    severity: str | None = None
    score: float | None = None  # the CVSS base score of `severity` when it is a vector
    malicious: bool = False
    published: datetime | None = None
    # When the advisory database could first have answered with it: `published`, or for a
    # malicious-packages report imported later, its earliest origin's `import_time` (the
    # time machine counts a record only from then).
    known_since: datetime | None = None
    versions: tuple[str, ...] = ()
    ranges: tuple[tuple[str | None, str | None, str | None], ...] = ()
    whole_package: bool = False


class ProjectFacts(msgspec.Struct, frozen=True, dict=True):
    """What the registry says about one project, and when we asked."""

    ecosystem: str
    name: str  # canonical
    fetched_at: datetime
    source_url: str
    latest_version: str | None
    owners: tuple[Account, ...]
    organization: str | None
    people: tuple[Person, ...]
    releases: tuple[Release, ...]  # sorted by uploaded_at (versions without files last)
    project_urls: dict[str, str] = msgspec.field(default_factory=dict)
    repository: str | None = None
    # What the project document reports, which on PyPI is for `latest_version` only.
    vulnerabilities: tuple[Vulnerability, ...] = ()
    last_serial: int | None = None
    # False when the index publishes no ownership data (older PyPI, private indexes): the
    # owner checks are then unavailable for this project, not passed.
    has_ownership: bool = True
    # PEP 792 project status ("archived", "quarantined", "deprecated"; None: active or not
    # said) and its reason, from the simple page.
    status: str | None = None
    status_reason: str | None = None
    # PEP 740: per release, whether its files are attested; None when the index does not
    # serve provenance at all (the provenance checks are then unavailable, not passed).
    provenance: tuple[ReleaseProvenance, ...] | None = None
    # Git refs in use and the commits they resolved to (GitHub Actions, pre-commit hooks).
    refs: tuple[GitRef, ...] = ()

    @functools.cached_property
    def _exact(self) -> dict[str, Release]:
        """Releases by their exact version string, built on first use: signals ask several
        times per package, and botocore has thousands of releases. (Not a field: equality,
        hashing and encoding are unchanged.)"""
        exact: dict[str, Release] = {}
        for r in self.releases:
            exact.setdefault(r.version, r)  # the first, as a scan in order would find
        return exact

    def release(self, version: str | None) -> Release | None:
        """The release for `version`, if the registry has it: the exact string, else a
        version its ecosystem holds equal ("1.0" and "1.0.0" on PyPI; `version_rules`)."""
        if version is None:
            return None
        if version in self._exact:
            return self._exact[version]
        key_of = VERSION_KEYS.get(self.ecosystem)
        wanted = key_of(version) if key_of is not None else None
        if key_of is None or wanted is None:
            return None
        return next((r for r in self.releases if key_of(r.version) == wanted), None)


# ecosystem -> the key under which its equal versions are equal (`Names.version_key`), as
# each ecosystem adapter registers it when it is imported (`version_rules`).
VERSION_KEYS: dict[str, Callable[[str], Hashable | None]] = {}


def version_rules(ecosystem: str, key: Callable[[str], Hashable | None]) -> None:
    """Compare `ecosystem`'s versions by `key` in `ProjectFacts.release`."""
    VERSION_KEYS[ecosystem] = key


class Unavailable(msgspec.Struct, frozen=True):
    """A project whose facts could not be obtained, and why (shown in `incomplete`)."""

    name: str
    reason: str


class NotFound(msgspec.Struct, frozen=True):
    """The index answered 404: the name does not exist there."""

    name: str
