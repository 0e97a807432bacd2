"""The output formats, and which command's document each one renders.

A format is one module here with a `render_<kind>(document, **options) -> str` function per
document kind it renders (`render_scan`, `render_check`, `render_diff`, `render_domains`,
`render_inspect`); `FORMATS` below is the one table of which module renders which kinds.
Adding a format is adding its module and its line in `FORMATS`; a command offers every
format whose line names its document (`formats_for`).

A module is imported only when its format is used: the text format pulls in rich, which a
JSON run in CI does not need.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from chaingate.core.errors import ChaingateError

if TYPE_CHECKING:  # the table is read by the CLI's --format options, before any document
    from chaingate.report.documents import Document

_EVERY: Final = ("scan", "check", "diff", "domains", "inspect")

FORMATS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    # name: (module, the document kinds it renders); the order is the order of --format.
    "text": ("chaingate.report.formats.text", _EVERY),
    "json": ("chaingate.report.formats.json", _EVERY),
    "sarif": ("chaingate.report.formats.sarif", ("scan", "check", "diff", "inspect")),
    "markdown": ("chaingate.report.formats.markdown", ("scan", "check", "diff")),
}


class ReportError(ChaingateError):
    """A report was asked for in a format, or with options, that do not exist."""


def formats_for(document_type: type[Document]) -> tuple[str, ...]:
    """The names of the formats that render `document_type`, for its command's --format."""
    return formats_of(document_type.kind)


def formats_of(kind: str) -> tuple[str, ...]:
    """The names of the formats that render documents of `kind` ("scan", "inspect", ...)."""
    return tuple(name for name, (_, kinds) in FORMATS.items() if kind in kinds)


def render(document: Document, format_name: str, **options: Any) -> str:
    """`document` as the text of format `format_name`, with that format's `options` (e.g.
    `width=80` for text). ReportError for a format that does not render this document or
    an option it does not take."""
    choices = formats_for(type(document))
    if format_name not in choices:
        known = "unknown output format" if format_name not in FORMATS else "output format"
        scope = "" if format_name not in FORMATS else f" does not apply to {document.kind}"
        raise ReportError(f"{known} {format_name!r}{scope} (choose from {', '.join(choices)})")
    module = importlib.import_module(FORMATS[format_name][0])
    renderer: Callable[..., str] = getattr(module, f"render_{document.kind}")
    import inspect

    try:
        inspect.signature(renderer).bind(document, **options)
    except TypeError as exc:
        raise ReportError(f"format {format_name!r}: {exc}") from None
    return renderer(document, **options)
