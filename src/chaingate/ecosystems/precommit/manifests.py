"""`.pre-commit-config.yaml` as a `Manifest`: hook repositories at their revs (ecosystem
`pre-commit`) and the PyPI packages their python hooks add (`ecosystem="pypi"` entries)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from chaingate.core.inventory import Declared, Location, Manifest
from chaingate.core.scopes import PRE_COMMIT

if TYPE_CHECKING:  # the reader imports PyYAML: only when a configuration is read
    from chaingate.ecosystems.actions.workflows import Use

CONFIG = "pre-commit-config"
_NAMES = (".pre-commit-config.yaml", ".pre-commit-config.yml")


class PrecommitManifests:
    kinds = frozenset({CONFIG})
    lock_kinds = frozenset({CONFIG})
    project_kind = None
    beside: tuple[str, ...] = ()
    understood = ".pre-commit-config.yaml"

    def claim(self, directory: Path, filename: str) -> str | None:
        return CONFIG if filename in _NAMES else None

    def claim_named(self, path: Path) -> str | None:
        return self.claim(path.parent, path.name)

    def keep(self, kinds: dict[str, str]) -> set[str]:
        return set(kinds)

    def includes(self, kind: str, text: str) -> list[str]:
        return []

    def parse(self, path: Path, kind: str, display: str) -> Manifest:
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        from chaingate.ecosystems.precommit.config import read_config

        uses, extras = read_config(path, display)
        entries = [
            Declared(
                name=u.name,
                location=Location(u.file, u.line),
                specifier=u.spelled,
                version=u.ref,
                via=u.via,
                scopes=(PRE_COMMIT,),
            )
            for u in uses
        ]
        unanalysed = []
        for dep in extras:
            if not dep.python:  # npm, gems, ...: no adapter reads them (docs/ci.md)
                why = (
                    f"additional_dependencies of hook {dep.hook} ({dep.repo}) that are not "
                    "PyPI packages: not analysed"
                )
                unanalysed.append((dep.spec, why))
                continue
            req = Requirement(dep.spec)
            pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
            entries.append(
                Declared(
                    name=canonicalize_name(req.name),
                    location=Location(display, dep.line),
                    specifier=str(req.specifier),
                    version=pins[0] if len(pins) == 1 and "*" not in pins[0] else None,
                    via=(display, dep.repo, f"hook {dep.hook}", dep.spec),
                    ecosystem="pypi",
                    scopes=(PRE_COMMIT,),
                )
            )
        return Manifest(
            path=display, kind=kind, entries=tuple(entries), locked=True,
            unanalysed=tuple(unanalysed),
        )  # fmt: skip

    def uses(self, path: Path, kind: str, display: str) -> list[Use]:
        from chaingate.ecosystems.precommit.config import read_config

        return read_config(path, display)[0]
