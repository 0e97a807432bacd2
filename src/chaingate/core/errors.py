"""The one error base: every error chaingate raises on purpose explains itself to a person and
knows the exit code it ends a command with. The CLI catches it once (`cli/entry.py`).

Exit codes (the one place they are defined):
  0  nothing at or above the gate's threshold
  1  at least one finding (or decision) that fails the gate
  2  usage or input error: bad option, malformed manifest, resolver failure, bad database
  3  analysis incomplete where the gate was told to fail on it (only when nothing gave 1)
  70 internal error: a bug in chaingate, never a verdict (sysexits' EX_SOFTWARE)
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3
EXIT_INTERNAL = 70


class ChaingateError(Exception):
    """Bad input or an environment chaingate cannot work in, never a finding.

    `diagnostics()` is the text printed after `chaingate: `; `exit_code` ends the command.
    """

    exit_code: ClassVar[int] = EXIT_USAGE

    def diagnostics(self) -> str:
        return str(self)
