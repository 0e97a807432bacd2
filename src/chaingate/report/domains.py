"""How `chaingate domains` was rendered before one document per command: each call renders
a `DomainsDocument`. Kept until the CLI calls `report.formats.render`."""

from __future__ import annotations

from chaingate.engine.result import ScanResult
from chaingate.report.documents import DomainsDocument
from chaingate.report.formats import render

__all__ = ["render_domains_json", "render_domains_text"]


def render_domains_json(result: ScanResult) -> str:
    return render(DomainsDocument(result), "json")


def render_domains_text(result: ScanResult, width: int | None = None) -> str:
    return render(DomainsDocument(result), "text", width=width or 100)
