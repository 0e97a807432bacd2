"""Reports: one document per command (`documents`), rendered by every format that applies
to it (`formats`): `render(ScanDocument(result), "json")`. The names are imported on first
use, so a command's `--format` choices cost no import of the documents."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaingate.report.documents import (
        CheckDocument,
        DiffDocument,
        Document,
        DomainsDocument,
        InspectDocument,
        ScanDocument,
    )
    from chaingate.report.formats import ReportError, formats_for, render

__all__ = [
    "CheckDocument",
    "DiffDocument",
    "Document",
    "DomainsDocument",
    "InspectDocument",
    "ReportError",
    "ScanDocument",
    "formats_for",
    "render",
]

_FROM_FORMATS = frozenset({"ReportError", "formats_for", "render"})


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module = "formats" if name in _FROM_FORMATS else "documents"
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
