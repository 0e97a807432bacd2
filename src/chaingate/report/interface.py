"""The scan-only report API the CLI used before one document per command: `get_report(name,
**opts).render(result)`. Each class renders a `ScanDocument` through `report.formats.render`;
kept until the CLI calls that directly, then to be deleted."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Final

from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import ReportError, formats_for, render

__all__ = ["FORMATS", "Report", "ReportError", "get_report"]

FORMATS: Final = formats_for(ScanDocument)
"""The names `get_report` (and `chaingate scan --format`) accepts."""


class Report(ABC):
    """Turns a scan result into the text of one output format."""

    @abstractmethod
    def render(self, result: ScanResult) -> str:
        """The whole report as a string, ending with a newline."""


class TextReport(Report):
    """The terminal report as a string (`color=True` keeps the ANSI styles)."""

    def __init__(self, width: int = 100, color: bool = False) -> None:
        self.width = width
        self.color = color

    def render(self, result: ScanResult) -> str:
        return render(ScanDocument(result), "text", width=self.width, color=self.color)


class JsonReport(Report):
    """The scan as one `chaingate/scan/v1` document."""

    def render(self, result: ScanResult) -> str:
        return render(ScanDocument(result), "json")


class SarifReport(Report):
    """One SARIF log with one run; one rule per finding id present."""

    def render(self, result: ScanResult) -> str:
        return render(ScanDocument(result), "sarif")


class MarkdownReport(Report):
    """A PR comment: verdict, summary, findings, and the details folded away."""

    def __init__(self, max_chars: int | None = None) -> None:
        from chaingate.report.formats.markdown import DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT

        max_chars = DEFAULT_MAX_CHARS if max_chars is None else max_chars
        if max_chars > GITHUB_COMMENT_LIMIT:
            raise ValueError(f"max_chars must be at most {GITHUB_COMMENT_LIMIT}")
        self.max_chars = max_chars

    def render(self, result: ScanResult) -> str:
        return render(ScanDocument(result), "markdown", max_chars=self.max_chars)


_CLASSES: Final[dict[str, type[Report]]] = {
    "text": TextReport,
    "json": JsonReport,
    "sarif": SarifReport,
    "markdown": MarkdownReport,
}


def get_report(name: str, **opts: Any) -> Report:
    """The report for format `name`, built with `opts` (e.g. `width=80` for "text")."""
    try:
        factory = _CLASSES[name]
    except KeyError:
        raise ReportError(
            f"unknown output format {name!r} (choose from {', '.join(FORMATS)})"
        ) from None
    try:
        return factory(**opts)
    except (TypeError, ValueError) as exc:
        raise ReportError(f"format {name!r}: {exc}") from None
