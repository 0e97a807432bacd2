"""How `chaingate inspect` was rendered before one document per command: each call renders
an `InspectDocument`. Kept until the CLI calls `report.formats.render`."""

from __future__ import annotations

from chaingate.analysis.run import InspectOutcome
from chaingate.report.documents import InspectDocument
from chaingate.report.formats import render

__all__ = ["render_json", "render_sarif", "render_text"]


def render_text(outcome: InspectOutcome) -> str:
    return render(InspectDocument(outcome), "text")


def render_json(outcome: InspectOutcome) -> str:
    return render(InspectDocument(outcome), "json")


def render_sarif(outcome: InspectOutcome) -> str:
    return render(InspectDocument(outcome), "sarif")
