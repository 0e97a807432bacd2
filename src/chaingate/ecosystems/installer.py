"""What an installer adapter gives the install guard (`guard/core.py`): its plan, its
install, its words. Beside `interface.py`, one of the ecosystem protocols.

The adapters live with their ecosystems (`chaingate.ecosystems.pypi.install`: pip, uv); the
guard core drives any object that satisfies `Installer`. Nothing here knows about wheels,
index URLs or requirements files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from chaingate.core.findings import Finding
from chaingate.core.inventory import Origin
from chaingate.core.status import Incomplete


class PlannedPackage(Protocol):
    """One package the installer would install."""

    @property
    def name(self) -> str: ...  # as the ecosystem normalises it

    @property
    def version(self) -> str: ...  # "" when the installer does not say (a URL item)

    @property
    def origin(self) -> Origin: ...

    @property
    def requested(self) -> bool: ...  # the user asked for it (else a dependency)

    @property
    def url(self) -> str | None: ...  # the file the installer chose, when it says

    @property
    def source(self) -> str | None: ...  # where an item outside the registry comes from

    @property
    def hashes(self) -> Sequence[str]: ...  # "<algorithm>:<hex>" of each acceptable file

    @property
    def key(self) -> str: ...  # one item of the plan, e.g. "six==1.17.0"


class InstallPlan(Protocol):
    """What the installer would install: the exact set, the dependency edges among it (empty
    when the installer gives none), and how it was asked for."""

    @property
    def ecosystem(self) -> str: ...

    @property
    def items(self) -> Sequence[PlannedPackage]: ...

    @property
    def graph(self) -> Mapping[str, Sequence[str]]: ...

    @property
    def manifest(self) -> str: ...  # the command, e.g. "pip install six"

    @property
    def resolved_with(self) -> str: ...  # the installer and its version, e.g. "pip 26.0"

    @property
    def built(self) -> Sequence[str]: ...  # keys of items whose own code ran while planning

    @property
    def findings(self) -> Sequence[Finding]: ...  # what the plan itself shows (its sources)

    @property
    def incomplete(self) -> Sequence[Incomplete]: ...  # items whose sources were not all asked


class Wording(Protocol):
    """The installer's words in the guard's explanation."""

    @property
    def installer(self) -> str: ...  # "pip" in "pip would install 2 package(s)"

    @property
    def built_note(self) -> str: ...  # the note on `InstallPlan.built`; `{packages}` names them


P = TypeVar("P", bound=InstallPlan)


class Installer(Protocol[P]):
    """An installer adapter: the plan of an install (its own dry run, arguments verbatim),
    the planned files fetched ahead (optional: None), and the install of exactly that plan,
    pinned. Errors are `ChaingateError`s that say what went wrong; nothing is installed
    before `install`."""

    @property
    def wording(self) -> Wording: ...

    def plan(self, args: Sequence[str]) -> P: ...

    def fetch(self, plan: P) -> Mapping[str, Path] | None:
        """Runs while the guard evaluates; its result goes to `install`."""
        ...

    def install(self, plan: P, files: Mapping[str, Path] | None) -> int:
        """The installer's exit code."""
        ...
