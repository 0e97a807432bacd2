"""How a policy names a package: `pypi:requests` for one ecosystem's package, or a bare
`requests` for a package of that name in every ecosystem.

Names are compared by the ecosystem's own rule (`Names.normalize`: PEP 503 on PyPI), applied
to what the policy wrote when it is matched against a package of that ecosystem. The rules
of the shipped ecosystems are known; an `Engine` built with other adapters adds theirs
(`learn`). A name in an ecosystem whose rule is unknown matches only as written: an allow
list must never cover a package it was not written for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from chaingate.ecosystems.interface import Ecosystem

_PREFIX = re.compile(r"^([a-z][a-z0-9_-]*):(?!//)(.+)$")
_RULES: dict[str, Callable[[str], str]] = {}


def learn(ecosystems: Iterable[Ecosystem]) -> None:
    """Know these ecosystems' name rules from now on (process-wide)."""
    for eco in ecosystems:
        if _RULES.get(eco.name) is not eco.names.normalize:
            _RULES[eco.name] = eco.names.normalize
            normalize.cache_clear()


def _rules() -> dict[str, Callable[[str], str]]:
    if not _RULES:
        from chaingate.ecosystems import default_ecosystems

        learn(default_ecosystems())
    return _RULES


@functools.lru_cache(maxsize=4096)
def normalize(ecosystem: str, name: str) -> str:
    """`name` as the ecosystem writes it canonically (as written when the rule is unknown)."""
    rule = _rules().get(ecosystem)
    return rule(name) if rule is not None else name


def split(text: str) -> tuple[str | None, str]:
    """`"pypi:requests<2"` -> ("pypi", "requests<2"); a bare name -> (None, name)."""
    m = _PREFIX.match(text.strip())
    return (m.group(1), m.group(2).strip()) if m else (None, text.strip())


class PackageKey(msgspec.Struct, frozen=True):
    """A package as a policy names it; `ecosystem` None: that name in every ecosystem."""

    ecosystem: str | None
    name: str  # as written

    def matches(self, ecosystem: str | None, name: str | None) -> bool:
        """Whether a package (canonical `name` in `ecosystem`) is the one named here."""
        if name is None:
            return False
        if ecosystem is None:
            # A finding that does not say its ecosystem (built by hand): any known rule.
            return self.ecosystem is None and any(
                normalize(eco, self.name) == name for eco in _rules()
            )
        if self.ecosystem is not None and self.ecosystem != ecosystem:
            return False
        return normalize(ecosystem, self.name) == name

    def __str__(self) -> str:
        return f"{self.ecosystem}:{self.name}" if self.ecosystem else self.name
