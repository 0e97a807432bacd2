"""`chaingate advisories update`: fetch an ecosystem's OSV dump for offline use
(`--offline`, `--advisories offline`), indexed by package name (facts/advisories/offline.py)."""

from __future__ import annotations

from typing import ClassVar

import click

from chaingate.cli.options import timeout_option
from chaingate.core.errors import EXIT_INCOMPLETE, ChaingateError


class UpdateError(ChaingateError):
    """The dump could not be fetched or read: nothing was replaced (exit 3)."""

    exit_code: ClassVar[int] = EXIT_INCOMPLETE


@click.group()
def advisories() -> None:
    """Known advisories (OSV) for offline and air-gapped use."""


@advisories.command()
@click.option(
    "--ecosystem",
    type=click.Choice(["PyPI"]),
    default="PyPI",
    show_default=True,
    help="The OSV ecosystem whose dump to fetch.",
)
@click.option(
    "--url",
    metavar="URL",
    help="Where the dump is (default: CHAINGATE_OSV_DUMP_URL, else OSV's public bucket, "
    "https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip).",
)
@timeout_option(60.0)
def update(ecosystem: str, url: str | None, timeout: float) -> None:
    """Download the ecosystem's OSV dump into chaingate's data directory
    (CHAINGATE_ADVISORIES_DIR) and index it; `--offline` scans then use it, and their
    report says how old it is."""
    import asyncio
    import os

    from chaingate import config
    from chaingate.facts.advisories import DEFAULT_DUMP_URL
    from chaingate.facts.advisories.offline import update as fetch_dump
    from chaingate.facts.advisories.online import AdvisoryError
    from chaingate.facts.advisories.osv import OSV_ECOSYSTEMS
    from chaingate.net.http import HttpClient, HttpSettings

    source = url or os.environ.get("CHAINGATE_OSV_DUMP_URL") or DEFAULT_DUMP_URL
    source = source.format(ecosystem=ecosystem)
    ours = {v: k for k, v in OSV_ECOSYSTEMS.items()}[ecosystem]
    where = config.advisories_dir()

    async def run() -> tuple[int, object]:
        async with HttpClient(HttpSettings(cache_dir=None, timeout=timeout)) as client:
            return await fetch_dump(client, source, where, ours)

    try:
        count, made = asyncio.run(run())
    except (AdvisoryError, OSError) as exc:
        raise UpdateError(f"advisories update: {source}: {exc}") from None
    click.echo(
        f"chaingate: {ecosystem} advisories from {source}: {count} records, "
        f"dated {made}, in {where}"
    )
