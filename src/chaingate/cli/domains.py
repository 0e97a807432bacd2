"""`chaingate domains`: every maintainer email domain in the tree, its status, registration
and expiry, and the accounts and packages behind it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import click

from chaingate.cli import wiring
from chaingate.cli.options import Common, format_option, output_option, project_options, write


class DomainsFormat(StrEnum):
    text = "text"
    json = "json"


@click.command()
@format_option(DomainsFormat, DomainsFormat.text)
@output_option
@project_options(domain_switch=False, cooldown=False, deep=False)
def domains(common: Common, fmt: str, output: Path | None) -> None:
    """Every maintainer email domain in the tree: status, registration and expiry, and the
    accounts and packages behind it."""
    from chaingate.report.domains import render_domains_json, render_domains_text

    result = wiring.analyse(common)
    text = render_domains_json(result) if fmt == DomainsFormat.json else render_domains_text(result)
    write(text, output)
