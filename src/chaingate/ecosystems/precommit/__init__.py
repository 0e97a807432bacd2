"""The pre-commit adapter: `.pre-commit-config.yaml` (`config.py`, `manifests.py`); hook
repositories named `github.com/owner/repo` at their `rev`, facts from the GitHub REST API
(`ecosystems/github`) for those on GitHub. A python hook's `additional_dependencies` are
PyPI packages of the same inventory."""

from __future__ import annotations

from chaingate.ecosystems.actions import GitRefNames
from chaingate.ecosystems.github.session import GithubRegistry
from chaingate.ecosystems.interface import Ecosystem
from chaingate.ecosystems.precommit.manifests import PrecommitManifests

NAME = "pre-commit"


def _slug(name: str) -> str | None:
    host, _, rest = name.partition("/")
    return rest if host == "github.com" and rest.count("/") == 1 else None


PRECOMMIT = Ecosystem(
    name=NAME,
    names=GitRefNames(),
    manifests=PrecommitManifests(),
    registry=GithubRegistry(NAME, _slug),
)
