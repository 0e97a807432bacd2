"""The scan's terminal report, as the CLI calls it today; kept until the CLI calls
`report.formats.render` / `report.formats.text.print_to` with a `ScanDocument`."""

from __future__ import annotations

from rich.console import Console

from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import text
from chaingate.report.formats.text import key_evidence
from chaingate.report.interface import TextReport

__all__ = ["TextReport", "key_evidence", "print_to"]


def print_to(console: Console, result: ScanResult) -> None:
    """Print the report on `console` (the CLI's own, sized to the terminal)."""
    text.print_to(console, ScanDocument(result))
