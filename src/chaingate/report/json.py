"""The scan's JSON report under its old names; kept until the CLI calls
`report.formats.render` (the JSON itself lives in `report.formats.json`)."""

from __future__ import annotations

from chaingate.report.formats.json import SCAN_SCHEMA as SCHEMA
from chaingate.report.formats.json import SCHEMA_FILE, json_schema, pretty_json
from chaingate.report.formats.json import scan_document as as_document
from chaingate.report.interface import JsonReport

__all__ = ["SCHEMA", "SCHEMA_FILE", "JsonReport", "as_document", "json_schema", "pretty_json"]
