"""`chaingate domains`: every maintainer email domain in the tree, its status, registration
and expiry, and the accounts and packages behind it."""

from __future__ import annotations

from pathlib import Path

import click

from chaingate.cli import wiring
from chaingate.cli.options import Common, format_option, output_option, project_options, write


@click.command()
@format_option("domains")
@output_option
@project_options(domain_switch=False, cooldown=False, deep=False, as_of=False)
def domains(common: Common, fmt: str, output: Path | None) -> None:
    """Every maintainer email domain in the tree: status, registration and expiry, and the
    accounts and packages behind it."""
    from chaingate.report import DomainsDocument, render

    result = wiring.analyse(common)
    write(render(DomainsDocument(result), fmt), output)
