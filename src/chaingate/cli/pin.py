"""`chaingate pin`: GitHub Actions, reusable workflows and pre-commit hooks pinned to full
commit SHAs, the tag in a comment; `--check` only says what is unpinned (for CI)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from chaingate.cli.options import cache_dir_option, github_api_option
from chaingate.core.errors import EXIT_FINDINGS, EXIT_INCOMPLETE
from chaingate.core.text import safe


@click.command()
@click.argument("path", type=click.Path(path_type=Path), default=Path("."), required=False)
@click.option("--check", is_flag=True, help="Change nothing; exit 1 when a ref is not pinned.")
@github_api_option
@cache_dir_option
@click.option("--timeout", type=float, default=20.0, help="Seconds per request.")
def pin(
    path: Path, check: bool, github_api_url: str | None, cache_dir: Path | None, timeout: float
) -> None:
    """Pin every `uses:` of the workflows and action files, and every pre-commit `rev:`,
    to the full commit SHA its tag or branch points at now, the tag kept in a comment
    (`uses: actions/checkout@<sha> # v4.2.2`; `rev: <sha>  # frozen: v1.2.3`). Nothing else
    in the files changes. Exit 3 when a ref could not be resolved (the others are pinned).

    PATH: a project directory or one workflow, action or pre-commit file (default: .)."""
    import asyncio

    from chaingate.cli import wiring
    from chaingate.ecosystems.actions import pin as edit
    from chaingate.ecosystems.actions.pinning import ci_files, resolve, write_pinned
    from chaingate.ecosystems.github.session import api_url
    from chaingate.net.http import HttpSettings

    files = ci_files(found_in(path))
    loose = [(f, u) for f in files for u in edit.unpinned(f.uses)]
    if check:
        for f, u in loose:
            click.echo(safe(f"{f.display}:{u.line}: {u.name}@{u.ref} is not pinned to a commit"))
        if loose:
            click.echo(f"{len(loose)} ref(s) not pinned; `chaingate pin` pins them", err=True)
            raise click.exceptions.Exit(EXIT_FINDINGS)
        click.echo("every action, workflow and hook is pinned to a commit")
        return
    try:
        base = api_url(github_api_url)
    except ValueError as exc:
        from chaingate.cli.options import CommandError

        raise CommandError(f"--github-api-url: {exc}") from None
    http = HttpSettings(cache_dir=wiring.cache_directory(cache_dir), timeout=timeout, ttl=0)
    commits, problems = asyncio.run(resolve(files, base, http))
    pinned = sum(write_pinned(f, commits) for f in files)
    click.echo(f"pinned {pinned} ref(s) in {len(files)} file(s)")
    for problem in problems:
        print(safe(f"chaingate: {problem}"), file=sys.stderr)
    if problems:
        raise click.exceptions.Exit(EXIT_INCOMPLETE)


def found_in(target: Path) -> list[tuple[Path, str, str]]:
    """(path, kind, display) of the CI/CD files at `target`, a directory or one file."""
    from chaingate.core.inventory import InventoryError
    from chaingate.ecosystems.actions.pinning import PIN_ECOSYSTEMS
    from chaingate.inventory.discover import discover, kind_of

    if target.is_dir():
        return [
            (p, k, p.relative_to(target).as_posix()) for p, k in discover(target, PIN_ECOSYSTEMS)
        ]
    if not target.exists():
        raise InventoryError(str(target), None, "no such file or directory")
    return [(target, kind_of(target, PIN_ECOSYSTEMS), target.name)]
