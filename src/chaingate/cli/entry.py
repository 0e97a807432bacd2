"""The `chaingate` command group, the one handler of chaingate's errors, and `main`, the
console script, with its one start-up trick (ending the process without interpreter
teardown)."""

from __future__ import annotations

import sys
from typing import Any

import click

from chaingate import __version__
from chaingate.cli.advisories import advisories
from chaingate.cli.check import check
from chaingate.cli.diff import diff
from chaingate.cli.domains import domains
from chaingate.cli.inspect import inspect
from chaingate.cli.install import pip_app, uv_app
from chaingate.cli.options import EXIT_BROKEN_PIPE
from chaingate.cli.pin import pin
from chaingate.cli.proxy import proxy
from chaingate.cli.scan import scan
from chaingate.cli.serve import serve, token, watch, worker
from chaingate.core.errors import EXIT_INTERNAL, ChaingateError
from chaingate.core.text import safe

REPORT_URL = "https://github.com/chaingate/chaingate/issues"


class _Chaingate(click.Group):
    """The group whose commands end on a `ChaingateError` the same way: `chaingate:
    <diagnostics>` on stderr, the error's exit code, never a traceback. Anything else that
    escapes a command is a bug: one line, a hint, and `EXIT_INTERNAL`, never 1 ("blocked"),
    so a gate cannot mistake a crash for a verdict (nor an install guard install after one:
    it installs only after a verdict)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChaingateError as exc:
            print(f"chaingate: {safe(exc.diagnostics(), keep_newlines=True)}", file=sys.stderr)
            raise click.exceptions.Exit(exc.exit_code) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # a reader that left, seen elsewhere than `write`: not a bug
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except Exception as exc:  # the one place a bug is caught
            _internal_error(exc)
            raise click.exceptions.Exit(EXIT_INTERNAL) from None


def _internal_error(exc: BaseException) -> None:
    """`chaingate: internal error: <type>: <message>` and how to learn more; the traceback
    itself only with CHAINGATE_DEBUG=1."""
    import os

    debug = os.environ.get("CHAINGATE_DEBUG", "") not in ("", "0")
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    message = " ".join(str(exc).split())[:500]
    print(
        safe(f"chaingate: internal error: {type(exc).__name__}: {message}".rstrip(": ")),
        file=sys.stderr,
    )
    if not debug:
        print(
            "  This is a bug in chaingate, not a verdict on your dependencies. Run again with "
            f"CHAINGATE_DEBUG=1 to see the traceback, and report it at {REPORT_URL}",
            file=sys.stderr,
        )


@click.group(
    name="chaingate",
    cls=_Chaingate,
    help="Whom does your project trust? Supply-chain risk from the people behind your "
    "dependencies.",
    no_args_is_help=True,
    # Every command shows its defaults in --help and takes -h as well as --help.
    context_settings={"show_default": True, "help_option_names": ["-h", "--help"]},
)
@click.version_option(
    __version__, "--version", prog_name="chaingate", message="%(prog)s %(version)s",
    help="Show version.",
)  # fmt: skip
def app() -> None:
    """chaingate: inventory, registry facts, author and release signals."""


for command in (scan, check, diff, domains, inspect, advisories, pin, pip_app, uv_app, proxy):
    app.add_command(command)
for command in (serve, worker, token, watch):
    app.add_command(command)


_exit_status = 1  # what the process ends with; main() sets it from the command's SystemExit


def main() -> None:
    """The console script (and `python -m chaingate`).

    A scan loads httpx, msgspec and ~100k objects of facts; CPython's interpreter teardown
    then frees modules and objects nobody will use again. On a warm scan of examples/webapp
    that is 53 M of 1.31 G instructions (callgrind) and 0.10-0.19 s from the report's last
    write to the process's end on a loaded 2-core machine, 2-7 ms with the skip.
    `_skip_teardown`, registered first so it runs after every other exit handler and after
    non-daemon threads have been joined, ends the process right there. Library use (`app`
    under click's test runner, `run_scan`) is unaffected."""
    global _exit_status
    import atexit
    import gc

    atexit.register(_skip_teardown)
    # A cold scan makes ~500 young-generation collections (~0.1-0.3 s of a 1-2 s command)
    # while it decodes documents into facts that mostly live to the end anyway; the CLI's
    # modules, imported by now, are never garbage. A process that ends in seconds can
    # collect less often: 33 collections, none full (bench/RESULTS.md, issue 19).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    try:
        app()
        _exit_status = 0
    except SystemExit as exc:
        _exit_status = _status_of(exc.code)
        raise
    except KeyboardInterrupt:
        print("chaingate: interrupted", file=sys.stderr)
        _exit_status = 130
        sys.exit(130)


def _status_of(code: object) -> int:
    """The process status `sys.exit(code)` gives: None is 0, an int is itself, anything else
    (a message, already printed by the interpreter) is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


def _skip_teardown() -> None:
    """Flush what was written, then end the process without freeing every module. A stream
    already closed by its reader (`chaingate scan | head`) is not an error here."""
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(_exit_status)
