"""The scan's SARIF report under its old names; kept until the CLI calls
`report.formats.render` (the SARIF itself lives in `report.formats.sarif`)."""

from __future__ import annotations

from chaingate.report.formats.sarif import as_sarif, rule_name
from chaingate.report.interface import SarifReport

__all__ = ["SarifReport", "as_sarif", "rule_name"]
