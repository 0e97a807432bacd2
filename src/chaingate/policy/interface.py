"""What a policy decides about each finding, in one shape for every gate (check, diff, the
install guard) and every output."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import msgspec

from chaingate.core.errors import ChaingateError
from chaingate.core.facts import ProjectFacts
from chaingate.core.findings import Finding
from chaingate.core.inventory import Package
from chaingate.core.refs import PackageRef

if TYPE_CHECKING:  # ignore.py raises PolicyError, so it imports this module, not the reverse
    from chaingate.policy.ignore import Ignore, Ignored


class Action(StrEnum):
    BLOCK = "block"
    WARN = "warn"
    IGNORE = "ignore"


class Decision(msgspec.Struct, frozen=True):
    """The action for one finding and the rule that chose it.

    `rule` says where the decision came from in words a person can find in their policy
    ("actions.typosquat = block (pyproject.toml:14)", "default: severity high or above
    blocks"); `exception` is set when an exception with a reason silenced the finding.
    """

    finding: Finding
    action: Action
    rule: str
    exception: Ignore | None = None


class Judged(Protocol):
    """What the policy decides over: a scan's packages, findings (and those an exception
    already silenced) and the registry facts by project (`engine.result.ScanResult`)."""

    @property
    def packages(self) -> tuple[Package, ...]: ...

    @property
    def findings(self) -> tuple[Finding, ...]: ...

    @property
    def ignored(self) -> tuple[Ignored, ...]: ...

    @property
    def facts(self) -> Mapping[PackageRef, ProjectFacts]: ...


class PolicyError(ChaingateError):
    """A policy chaingate cannot use: `chaingate: <file>:<line>: <key>: <what is wrong>`."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` for the closest of `choices`, or "" when none is close."""
    import difflib  # only for an error message

    hint = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {hint[0]!r}?)" if hint else ""
