"""The GitHub Actions adapter: workflows and action files as manifests (`manifests.py`,
`workflows.py`), `owner/repo` packages at their refs, facts from the GitHub REST API
(`ecosystems/github`). Container images (`docker://...`, job containers and services) are
listed as `docker://name` packages that bypass the registry (never fetched)."""

from __future__ import annotations

from collections.abc import Hashable

from chaingate.ecosystems.actions.manifests import ActionsManifests
from chaingate.ecosystems.github.session import GithubRegistry
from chaingate.ecosystems.interface import Ecosystem

NAME = "github-actions"


class GitRefNames:
    """`owner/repo`, lower-cased (GitHub names are case-insensitive); a version is a git
    ref, compared as written."""

    def normalize(self, name: str) -> str:
        return name.strip().lower()

    def version_key(self, version: str) -> Hashable | None:
        return None


def _slug(name: str) -> str | None:
    return name if name.count("/") == 1 and not name.startswith("docker://") else None


ACTIONS = Ecosystem(
    name=NAME,
    names=GitRefNames(),
    manifests=ActionsManifests(),
    registry=GithubRegistry(NAME, _slug),
)
