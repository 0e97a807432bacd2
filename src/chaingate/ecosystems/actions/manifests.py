"""The files the GitHub Actions ecosystem reads: workflows (`.github/workflows/*.yml`) and
action files (`action.yml` / `action.yaml` anywhere), as `Manifest`s of `owner/repo`
packages at their refs, and container images (`docker://name`, never fetched: `Origin.URL`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chaingate.core.inventory import Declared, Location, Manifest, Origin
from chaingate.core.scopes import CI

if TYPE_CHECKING:  # the readers import PyYAML: only when a file of ours is read
    from chaingate.ecosystems.actions.workflows import Use

WORKFLOW, ACTION = "github-workflow", "github-action"
_YAML = (".yml", ".yaml")


def repository_root(path: Path) -> Path:
    """The repository a file belongs to: the nearest folder above it holding `.git` or
    `.github`, else the file's own folder (where `./local` actions are looked up)."""
    for folder in path.resolve().parents:
        if (folder / ".git").exists() or (folder / ".github").is_dir():
            return folder
    return path.resolve().parent


def declared(use: Use) -> Declared:
    image = use.kind in ("docker", "image")
    return Declared(
        name=use.name,
        location=Location(use.file, use.line),
        specifier=use.spelled,
        version=use.ref,
        origin=Origin.URL if image else Origin.REGISTRY,
        url=f"docker://{use.spelled.removeprefix('docker://')}" if image else None,
        via=use.via,
        exposure=use.exposure,
        scopes=(CI,),
    )


class ActionsManifests:
    kinds = frozenset({WORKFLOW, ACTION})
    lock_kinds = frozenset({WORKFLOW, ACTION})  # every ref is exact: nothing to resolve
    project_kind = None
    beside: tuple[str, ...] = ()
    understood = ".github/workflows/*.yml, action.yml"

    def claim(self, directory: Path, filename: str) -> str | None:
        if filename in ("action.yml", "action.yaml"):
            return ACTION
        if (
            filename.endswith(_YAML)
            and directory.name == "workflows"
            and directory.parent.name == ".github"
        ):
            return WORKFLOW
        return None

    def claim_named(self, path: Path) -> str | None:
        kind = self.claim(path.parent, path.name)
        if kind is None and path.suffix in _YAML and path.parent.name == "workflows":
            return WORKFLOW
        return kind

    def keep(self, kinds: dict[str, str]) -> set[str]:
        return set(kinds)

    def includes(self, kind: str, text: str) -> list[str]:
        return []

    def parse(self, path: Path, kind: str, display: str) -> Manifest:
        uses = self.uses(path, kind, display)
        return Manifest(
            path=display, kind=kind, entries=tuple(declared(u) for u in uses), locked=True
        )

    def uses(self, path: Path, kind: str, display: str) -> list[Use]:
        """The uses of one file with their offsets (for `chaingate pin`)."""
        from chaingate.ecosystems.actions.workflows import read_action, read_workflow

        reader = read_workflow if kind == WORKFLOW else read_action
        return reader(path, display, repository_root(path))
