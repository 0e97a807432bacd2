"""Findings: what the signals say, in one shape for every output."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import msgspec

from chaingate.core.refs import PackageRef


class Severity(IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    def bump(self, steps: int = 1) -> Severity:
        return Severity(min(Severity.CRITICAL, max(Severity.INFO, self + steps)))


class Finding(msgspec.Struct, frozen=True):
    """One thing a person should look at.

    `package` and `version` are None for project-level findings (e.g. owner-concentration).
    `evidence` is JSON-serialisable structured data (dates as ISO 8601 strings).
    """

    id: str
    severity: Severity
    package: str | None
    version: str | None
    message: str
    evidence: dict[str, Any] = msgspec.field(default_factory=dict)
    # The ecosystem of `package`; None for project-level findings.
    ecosystem: str | None = None

    @property
    def ref(self) -> PackageRef | None:
        """The package this finding is about, or None for a project-level finding."""
        if self.package is None or self.ecosystem is None:
            return None
        return PackageRef(self.ecosystem, self.package, self.version)

    def sort_key(self) -> tuple[int, str, str]:
        return (-int(self.severity), self.package or "", self.id)
