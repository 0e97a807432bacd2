"""Scopes: what pulls a package into a project -- `runtime` (what the project needs to run),
an optional-dependency extra (`extra:socks`) or a dependency group (`dev`, `test`, `docs`,
as the file names it, normalised). The inventory gives every package the scopes that reach
it; the picture, the filters (`--scope`) and the policy (`[scopes]`) read them.
"""

from __future__ import annotations

from collections.abc import Iterable

RUNTIME = "runtime"
EXTRA_PREFIX = "extra:"
# The CI/CD ecosystems' scopes: a GitHub Actions workflow's actions run in CI, next to its
# token and secrets; a pre-commit hook (and its additional_dependencies) on developers'
# machines and in CI. Neither is what the project needs to run.
CI = "ci"
PRE_COMMIT = "pre-commit"


def extra_scope(extra: str) -> str:
    """The scope of an optional-dependency extra: `extra:socks`."""
    return f"{EXTRA_PREFIX}{extra}"


def scope_order(scope: str) -> tuple[int, str]:
    """Runtime first, then the extras, then the dependency groups, each by name."""
    if scope == RUNTIME:
        return (0, "")
    return (1 if scope.startswith(EXTRA_PREFIX) else 2, scope)


def sorted_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """`scopes` once each, runtime first."""
    return tuple(sorted(set(scopes), key=scope_order))


def normalize_scope(text: str) -> str:
    """A scope as a person writes it (`--scope Docs_Build`, `[scopes] "extra:Socks"`) as
    the inventory names it: extras and groups normalised like package names (PEP 685)."""
    from packaging.utils import canonicalize_name

    text = text.strip()
    if text.startswith(EXTRA_PREFIX):
        return extra_scope(canonicalize_name(text[len(EXTRA_PREFIX) :]))
    return RUNTIME if text == RUNTIME else canonicalize_name(text)
