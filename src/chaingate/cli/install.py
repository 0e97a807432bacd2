"""The install guards, `chaingate pip install` and `chaingate uv pip install`: the
installer's dry run finds the exact set, chaingate scans it and applies the policy of the
current directory, and only then installs that set pinned by hash."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, NoReturn

import click

from chaingate.cli import wiring
from chaingate.cli.options import CommandError
from chaingate.core.errors import EXIT_FINDINGS, EXIT_INCOMPLETE

if TYPE_CHECKING:
    from chaingate.engine.scan import Progress, ScanOptions
    from chaingate.guard.pip import Decide, GuardOutcome

# Every argument of a guarded install belongs to the installer, --help included.
_PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


@click.group(
    name="pip",
    help="Install guard: evaluate exactly what pip would install, then install exactly that.",
    no_args_is_help=True,
)
def pip_app() -> None:
    pass


@pip_app.command("install", context_settings=_PASS_THROUGH)
@click.pass_context
def pip_install(ctx: click.Context) -> None:
    """`pip install ARGS...`, guarded: pip's dry run finds the exact set, chaingate scans it
    and applies the project's policy, and only then installs that set pinned by hash. On a
    block nothing is installed. Every argument goes to pip unchanged; chaingate's own
    settings come from CHAINGATE_* variables and the policy in the current directory."""
    from chaingate import config
    from chaingate.guard import pip as guard_pip

    args, allow = _own_flags(ctx.args)

    def index() -> str:
        return guard_pip.split_args(args).index_url or config.index_url(None)[0]

    _guarded_install(
        index,
        lambda opts, decide, gate, announce, progress: guard_pip.guard(
            args,
            python=guard_pip.target_python(None),
            scan_options=opts,
            decide=decide,
            fail_incomplete=gate.fail_incomplete,
            announce=announce,
            progress=progress,
            pinned_indexes=gate.pinned_indexes,
            allow_build=gate.allow_build,
        ),
        allow,
    )


@click.group(
    name="uv",
    help="Install guard for uv: evaluate exactly what uv would install, then install exactly that.",
    no_args_is_help=True,
)
def uv_app() -> None:
    pass


@uv_app.group(
    name="pip",
    help="Install guard: evaluate exactly what `uv pip` would install, then install exactly that.",
    no_args_is_help=True,
)
def uv_pip_app() -> None:
    pass


@uv_pip_app.command("install", context_settings=_PASS_THROUGH)
@click.pass_context
def uv_pip_install(ctx: click.Context) -> None:
    """`uv pip install ARGS...`, guarded: uv's dry run finds the exact set, chaingate scans
    it and applies the project's policy, and only then installs that set pinned by hash. On
    a block nothing is installed. Every argument goes to uv unchanged; chaingate's own
    settings come from CHAINGATE_* variables and the policy in the current directory."""
    import os

    from chaingate.ecosystems.pypi.registry import DEFAULT_INDEX
    from chaingate.guard import uv as guard_uv

    args, allow = _own_flags(ctx.args)

    def index() -> str:
        # The index uv installs from is the one to ask about its packages.
        split = guard_uv.split_args(args)
        return guard_uv.default_index(split, os.environ.get("CHAINGATE_INDEX_URL") or DEFAULT_INDEX)

    _guarded_install(
        index,
        lambda opts, decide, gate, announce, progress: guard_uv.guard(
            args,
            uv=guard_uv.find_uv(),
            scan_options=opts,
            decide=decide,
            fail_incomplete=gate.fail_incomplete,
            announce=announce,
            progress=progress,
            pinned_indexes=gate.pinned_indexes,
            allow_build=gate.allow_build,
        ),
        allow,
    )


ALLOW_INCOMPLETE = "--allow-incomplete"
ALLOW_BUILD = "--allow-build"
_OWN_FLAGS = (ALLOW_INCOMPLETE, ALLOW_BUILD)


class OwnFlags(NamedTuple):
    """chaingate's own flags among the installer's arguments (pip and uv have neither)."""

    allow_incomplete: bool
    allow_build: bool


class Gate(NamedTuple):
    """What the guard may let through: with `fail_incomplete` nothing that could not be
    analysed; with `allow_build` the installer may build source distributions."""

    fail_incomplete: bool
    allow_build: bool
    pinned_indexes: Mapping[str, str]  # the policy's [sources]: name -> its one index


def _own_flags(args: list[str]) -> tuple[list[str], OwnFlags]:
    """The installer's arguments without chaingate's own `--allow-incomplete` and
    `--allow-build`, and which of them were given."""
    own = OwnFlags(ALLOW_INCOMPLETE in args, ALLOW_BUILD in args)
    return [a for a in args if a not in _OWN_FLAGS], own


def _guarded_install(
    index: Callable[[], str],
    run_guard: Callable[
        [ScanOptions, Decide, Gate, Callable[[str], None], Progress | None], GuardOutcome
    ],
    own: OwnFlags,
) -> NoReturn:
    """What the pip and uv install guards share: the policy of the current directory, scan
    options from CHAINGATE_* settings for the index `index()` names, the guard run under a
    progress bar, its explanation on stderr (once: the guard announces it as soon as the
    verdict is known, before the installer prints anything) and its exit code.
    `run_guard(options, decide, gate, announce, progress)` plans, scans, decides and
    installs."""
    from chaingate.policy.policy import decide, load_policy

    pol = load_policy(Path("."))
    try:
        opts = wiring.guard_options(index(), pol)
        today = datetime.now(UTC).date()
        outcome = wiring.run(
            lambda cb: run_guard(
                opts,
                lambda result: decide(result, pol, today),
                Gate(
                    # Fail closed: a package that could not be analysed is not installed,
                    fail_incomplete=not (own.allow_incomplete or pol.allow_incomplete),
                    # and no build backend runs before it is judged, unless allowed.
                    allow_build=own.allow_build or pol.build,
                    # and every file comes from the index the policy pins its name to.
                    pinned_indexes=pol.sources,
                ),
                lambda text: print(text, file=sys.stderr),
                cb,
            )
        )
    except ValueError as exc:  # e.g. a bad CHAINGATE_* setting
        raise CommandError(str(exc)) from None
    if not outcome.allowed:
        raise click.exceptions.Exit(EXIT_FINDINGS if outcome.blocked else EXIT_INCOMPLETE)
    raise click.exceptions.Exit(outcome.exit_code or 0)
