"""Python files without a syntax tree: the `unparsable-source` finding (the runner reports it
when a file is too large, does not parse or nests too deeply; the text detectors of the
other families still read such a file line by line)."""

from __future__ import annotations

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.registry import declare
from chaingate.core.findings import Severity

declare("unparsable-source", Severity.LOW, "A Python file that does not parse")


def unparsable_finding(path: str, why: str) -> CodeFinding:
    return CodeFinding(
        "unparsable-source",
        Severity.LOW,
        path,
        None,
        f"Python file {why}; its code was not checked (Python 2 sources are common in old "
        "sdists): review it by hand if the package matters",
    )
