"""Known advisories for every pinned version: OSV online (`online.py`, the API) or offline
(`offline.py`, a dump fetched by `chaingate advisories update`), records read by `osv.py`.

`lookup` answers every pinned ref of the ecosystems OSV covers, or says why it could not
(`Advisories.status` unavailable with the reason): never an empty answer for a failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from chaingate.core.facts import Vulnerability
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus

if TYPE_CHECKING:
    from chaingate.net.http import HttpClient

DEFAULT_URL = "https://api.osv.dev"
DEFAULT_DUMP_URL = "https://osv-vulnerabilities.storage.googleapis.com/{ecosystem}/all.zip"


class AdvisorySettings(msgspec.Struct, frozen=True):
    """Where advisories come from. `offline`: the dump under `dump_dir` instead of the API.
    `published_before`: only records the database could have answered with before then
    (published, and for a malicious-packages report imported; the time machine's view)."""

    url: str = DEFAULT_URL
    dump_dir: Path | None = None
    offline: bool = False
    published_before: datetime | None = None


class Advisories(msgspec.Struct):
    """What the source said: ref -> its records (every ref asked when `status` is ok)."""

    vulns: dict[PackageRef, tuple[Vulnerability, ...]]
    status: CheckStatus
    source: str


def _known_by(v: Vulnerability, cut: datetime) -> bool:
    """Whether the database could have answered with `v` before `cut` (a record that does
    not say when it was published counts)."""
    since = v.known_since or v.published
    return since is None or since < cut


async def lookup(
    settings: AdvisorySettings, client: HttpClient, refs: Sequence[PackageRef], now: datetime
) -> Advisories:
    """The records for `refs` from the configured source, or the reason there are none."""
    from chaingate.facts.advisories.online import AdvisoryError

    wanted = sorted({r for r in refs if r.version})
    try:
        if settings.offline:
            from chaingate.facts.advisories.offline import lookup as from_dump

            if settings.dump_dir is None:
                raise AdvisoryError("no advisory dump directory")
            found, made = from_dump(settings.dump_dir, wanted)
            age = (now - made).days
            source = (
                f"offline OSV dump from {made.date().isoformat()} "
                f"({age} day{'' if age == 1 else 's'} old)"
            )
        else:
            from chaingate.facts.advisories.online import query

            found = await query(client, settings.url, wanted)
            source = f"OSV at {settings.url.rstrip('/')}"
    except AdvisoryError as exc:
        where = "the offline advisory dump" if settings.offline else "OSV"
        return Advisories({}, CheckStatus("unavailable", f"{where}: {exc}"), "")
    if settings.published_before is not None:
        cut = settings.published_before
        found = {r: tuple(v for v in vs if _known_by(v, cut)) for r, vs in found.items()}
    return Advisories(found, CheckStatus("ok", source), source)


def merge(
    osv: tuple[Vulnerability, ...], registry: tuple[Vulnerability, ...] | None
) -> tuple[Vulnerability, ...]:
    """OSV's records, and the registry's own that none of them already names (by id or
    alias): PyPI's JSON lists OSV's PYSEC/GHSA records, so most are the same ones."""
    known = {n for v in osv for n in (v.id, *v.aliases)}
    extra = tuple(
        v for v in registry or () if v.id not in known and not known.intersection(v.aliases)
    )
    return osv + extra
