"""The Python detectors, declared bandit-style: each is one function registered with the
finding id it reports, that id's default severity and, once per id, its docs entry (a one-line
summary; the anchor is the id's row in docs/artifacts.md), and with what it wants to see:

- `file_detector(suffix=".pth")`: the bytes of every file whose name ends so;
- `tree_detector(calls=(...), setup=...)`: the syntax-tree index (`Context`) of a `.py` file
  that makes a call of one of those kinds (`CallKinds`; "network+process" wants both), or of
  every file when `calls` is empty; `setup=True` runs only on setup.py and in-tree build
  backends, `setup=False` never on them;
- `text_detector()`: the text of a `.py` file that does not parse.

Detectors run in the order they are registered: the order of `detectors.FAMILIES`, then of
definition in each family module. Adding a detector is one function in a family module (or a
new module listed in `detectors.FAMILIES`) and its row in docs/artifacts.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, TypeVar

from chaingate.analysis.interface import FindingKind
from chaingate.analysis.python.calls import CallKinds
from chaingate.analysis.python.index import source_text
from chaingate.core.findings import Severity

Stage = Literal["file", "tree", "text"]
F = TypeVar("F", bound=Callable[..., object])


class SourceFile:
    """One file handed to file and text detectors: its path in the archive and its bytes,
    decoded on first use (a `.pyc` is never decoded)."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path, self.data = path, data

    @cached_property
    def text(self) -> str:
        return source_text(self.data)


@dataclass(frozen=True)
class Detector:
    """One registered detector and what it declared."""

    finding: str  # the id of the findings it reports
    severity: Severity  # their default (usual worst) severity
    stage: Stage
    # file and text checks: (SourceFile) -> list[CodeFinding]; tree checks: (Context) -> None
    check: Callable[..., Any]
    suffix: str = ".py"
    calls: tuple[str, ...] = ()
    setup: bool | None = None

    @property
    def name(self) -> str:
        return f"{self.check.__module__.rsplit('.', 1)[-1]}.{self.check.__name__}"

    def wanted(self, kinds: CallKinds, setup: bool) -> bool:
        """Does a file with these kinds of calls (and this setup-ness) need this detector?"""
        if self.setup is not None and self.setup != setup:
            return False
        return not self.calls or any(
            all(getattr(kinds, kind) for kind in want.split("+")) for want in self.calls
        )


DETECTORS: list[Detector] = []
KINDS: dict[str, FindingKind] = {}


def declare(finding: str, severity: Severity, summary: str) -> None:
    """The docs entry of a finding id (once per id): what the summary says in SARIF rules,
    the signal catalog under `scan --deep` and `chaingate inspect --format sarif`."""
    if finding in KINDS:
        raise ValueError(f"finding id {finding!r} is declared twice")
    KINDS[finding] = FindingKind(finding, severity, summary)


def _register(
    finding: str,
    severity: Severity,
    summary: str | None,
    stage: Stage,
    *,
    suffix: str = ".py",
    calls: tuple[str, ...] = (),
    setup: bool | None = None,
) -> Callable[[F], F]:
    unknown = {k for want in calls for k in want.split("+")} - set(CallKinds.__struct_fields__)
    if unknown:
        raise ValueError(f"unknown call kinds {sorted(unknown)} for {finding!r}")

    def wrap(check: F) -> F:
        if summary is not None:
            declare(finding, severity, summary)
        DETECTORS.append(Detector(finding, severity, stage, check, suffix, calls, setup))
        return check

    return wrap


def file_detector(
    finding: str, severity: Severity, summary: str | None = None, *, suffix: str
) -> Callable[[F], F]:
    """A check of every file whose lower-cased name ends with `suffix`."""
    return _register(finding, severity, summary, "file", suffix=suffix)


def tree_detector(
    finding: str,
    severity: Severity,
    summary: str | None = None,
    *,
    calls: tuple[str, ...] = (),
    setup: bool | None = None,
) -> Callable[[F], F]:
    """A check of the syntax-tree index of a `.py` file (see the module docstring)."""
    return _register(finding, severity, summary, "tree", calls=calls, setup=setup)


def text_detector(finding: str, severity: Severity, summary: str | None = None) -> Callable[[F], F]:
    """A line-by-line check of a `.py` file that does not parse."""
    return _register(finding, severity, summary, "text")


def detectors(stage: Stage, suffix: str = ".py") -> list[Detector]:
    return [d for d in DETECTORS if d.stage == stage and (stage != "file" or d.suffix == suffix)]


def finding_kinds() -> tuple[FindingKind, ...]:
    """Every id the Python detectors report, in order of declaration; each detector's id
    must have been declared (with its docs entry) by some detector or by `declare`."""
    missing = sorted({d.finding for d in DETECTORS} - set(KINDS))
    if missing:
        raise ValueError(f"finding ids without a docs entry: {', '.join(missing)}")
    return tuple(KINDS.values())
