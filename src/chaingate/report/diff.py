"""How `chaingate diff` was rendered before one document per command: each call renders a
`DiffDocument`. Kept until the CLI calls `report.formats.render`."""

from __future__ import annotations

from typing import Final

from rich.console import Console

from chaingate.engine.diff import DiffResult
from chaingate.report.documents import DiffDocument
from chaingate.report.formats import render, text

__all__ = ["FORMATS", "headline", "print_to", "render_diff", "verdict"]

FORMATS: Final = ("text", "json", "sarif", "markdown")


def render_diff(diff: DiffResult, fmt: str, *, width: int = 100, color: bool = False) -> str:
    """The diff in format `fmt` (one of FORMATS), ending with a newline. `width` and
    `color` apply to text. ReportError for an unknown format."""
    options = {"width": width, "color": color} if fmt == "text" else {}
    return render(DiffDocument(diff), fmt, **options)


def print_to(console: Console, diff: DiffResult) -> None:
    """Print the diff on `console` (the CLI's own, sized to the terminal)."""
    text.print_to(console, DiffDocument(diff))


def headline(diff: DiffResult) -> str:
    return DiffDocument(diff).headline()


def verdict(diff: DiffResult) -> str:
    return DiffDocument(diff).verdict()
