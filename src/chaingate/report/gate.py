"""What `chaingate check` printed through before one document per command: each call
renders a `CheckDocument`. Kept until the CLI calls `report.formats.render`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chaingate.engine.result import ScanResult
from chaingate.policy.interface import Decision
from chaingate.report.documents import CheckDocument
from chaingate.report.formats import render
from chaingate.report.formats.json import CHECK_SCHEMA as SCHEMA
from chaingate.report.formats.json import check_document

__all__ = ["SCHEMA", "as_document", "gated_result", "render_text"]


def render_text(result: ScanResult, decisions: Sequence[Decision], width: int = 100) -> str:
    return render(CheckDocument(result, tuple(decisions)), "text", width=width)


def as_document(result: ScanResult, decisions: Sequence[Decision]) -> dict[str, Any]:
    return check_document(CheckDocument(result, tuple(decisions)))


def gated_result(result: ScanResult, decisions: Sequence[Decision]) -> ScanResult:
    """The scan result with only the findings the gate acts on (block, warn)."""
    return CheckDocument(result, tuple(decisions)).gated()
