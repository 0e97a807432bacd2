"""Honest values for what could not be judged: a package not (fully) analysed, a check whose
source was unavailable. Never a skip in a log, never a silent pass."""

from __future__ import annotations

from typing import Literal

import msgspec

from chaingate.core.refs import PackageRef


class Incomplete(msgspec.Struct, frozen=True):
    """A package that could not be analysed (fully), and why. Never silently clean."""

    package: str
    version: str | None
    reason: str
    ecosystem: str | None = None  # None: not one package's (a manifest that did not resolve)

    @property
    def ref(self) -> PackageRef | None:
        if self.ecosystem is None:
            return None
        return PackageRef(self.ecosystem, self.package, self.version)


class CheckStatus(msgspec.Struct, frozen=True):
    """Whether a family of checks could run; `unavailable` comes with a reason."""

    status: Literal["ok", "unavailable", "as-of-now"]  # as-of-now: --as-of used today's
    reason: str = ""
