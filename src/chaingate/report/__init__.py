"""Reports: one document per command (`documents`), rendered by every format that applies
to it (`formats`): `render(ScanDocument(result), "json")`."""

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
