"""The scan's Markdown report under its old names; kept until the CLI calls
`report.formats.render` (the Markdown itself lives in `report.formats.markdown`)."""

from __future__ import annotations

from chaingate.report.formats.markdown import GITHUB_COMMENT_LIMIT, cell
from chaingate.report.interface import MarkdownReport

__all__ = ["GITHUB_COMMENT_LIMIT", "MarkdownReport", "cell"]
