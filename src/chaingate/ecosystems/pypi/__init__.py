"""The PyPI adapter: PEP 503 names and PEP 440 versions, the Python manifests and lock files,
resolution with uv (or pip), the JSON and simple APIs of PyPI-compatible indexes, and
installed environments."""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

from chaingate.core.facts import version_rules
from chaingate.core.inventory import Manifest
from chaingate.ecosystems.interface import ANY_TARGET, ArtifactFile, Ecosystem, Target
from chaingate.ecosystems.pypi.fetch import PypiRegistry
from chaingate.ecosystems.pypi.manifests import PypiManifests
from chaingate.net.http import HttpClient

NAME = "pypi"


class PypiNames:
    def normalize(self, name: str) -> str:
        from packaging.utils import canonicalize_name

        return canonicalize_name(name)

    def version_key(self, version: str) -> Hashable | None:
        from packaging.version import InvalidVersion, Version

        try:
            return Version(version)
        except InvalidVersion:
            return None


class PypiResolver:
    """uv's `pip compile` (pip's dry-run report where uv is missing), as `resolve.py` runs it."""

    def resolve(
        self,
        manifest: Manifest,
        own_name: str | None,
        index_url: str,
        timeout: float,
        build: bool,
        target: Target = ANY_TARGET,
    ) -> Manifest:
        from chaingate.ecosystems.pypi.resolve import resolve_manifest

        return resolve_manifest(manifest, own_name, index_url, timeout, build, target)

    def own_name(self, path: Path) -> str | None:
        from chaingate.ecosystems.pypi.manifests.pyproject import own_name

        return own_name(path)

    @property
    def name(self) -> str:
        from chaingate.ecosystems.pypi.resolve import resolver_name

        return resolver_name()


class PypiArtifacts:
    """The file pip would install here, from the simple API, sha256-verified
    (`artifacts.py`, imported when a file is first wanted)."""

    async def fetch(
        self, client: HttpClient, index_url: str, name: str, version: str, folder: Path, ttl: float
    ) -> ArtifactFile:
        from chaingate.ecosystems.pypi.artifacts import fetch_chosen

        return await fetch_chosen(client, index_url, name, version, folder, ttl)


def _popular() -> str:
    from chaingate.data import read_text

    # scripts/make_popular_names.py writes canonical names (a test holds it to that)
    return read_text("popular_pypi.txt")


def _environment(where: str) -> Manifest:
    from chaingate.ecosystems.pypi.environment import read_environment

    return read_environment(where)


version_rules(NAME, PypiNames().version_key)

PYPI = Ecosystem(
    name=NAME,
    names=PypiNames(),
    manifests=PypiManifests(),
    registry=PypiRegistry(),
    resolver=PypiResolver(),
    popular=_popular,
    environment=_environment,
    artifacts=PypiArtifacts(),
)
