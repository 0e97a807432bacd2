"""A "did you mean" for a name the installer could not find that looks like a popular
package (`reqeusts` for `requests`), from the typosquat check's own list and matcher."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator

from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as Pep508

from chaingate.ecosystems.pypi.install.common import InstallError
from chaingate.signals.typosquat import PopularNames, resembles


@contextlib.contextmanager
def hinting(requested: Iterable[str]) -> Iterator[None]:
    """An installer error (its dry run found no such project) gains a "did you mean" for
    each requested name it mentions that looks like a popular package."""
    try:
        yield
    except InstallError as exc:
        hint = did_you_mean(requested, str(exc))
        if not hint:
            raise
        raise InstallError(f"{exc}{hint}") from None


@functools.cache
def _popular() -> PopularNames | None:
    from chaingate.ecosystems.pypi import PYPI

    return PopularNames.from_text(PYPI.popular(), canonical=True) if PYPI.popular else None


def did_you_mean(requested: Iterable[str], said: str) -> str:
    """`"\\nchaingate: did you mean 'requests' (not 'reqeusts')?"` for each requested name
    that the installer's words (`said`) mention and that looks like a popular package; ""
    when none does."""
    popular = _popular()
    if popular is None:
        return ""
    lines: list[str] = []
    for text in requested:
        try:
            name = Pep508(text).name
        except InvalidRequirement:
            continue
        if name.lower() not in said.lower():
            continue
        match = resembles(name, popular)
        if match is not None:
            lines.append(
                f"\nchaingate: did you mean {match.target!r} (not {name!r})? {match.detail}"
            )
    return "".join(dict.fromkeys(lines))
