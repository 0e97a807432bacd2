"""Findings from the package's own code (`scan --deep`): one finding per id and package,
naming the files and lines, at most as severe as the package's verdict (so a single weak
signal stays low, as in `chaingate inspect`). What each id means: docs/artifacts.md."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from chaingate.core.findings import Finding, Severity
from chaingate.signals.catalog import PackageContext, declare, declared_later

if TYPE_CHECKING:
    from chaingate.analysis.interface import CodeFinding

FAMILY = "code"
_DEFAULTS = {
    "hostile-archive": Severity.CRITICAL,
    "browser-hijack": Severity.CRITICAL,
    "write-then-run": Severity.HIGH,
    "data-exec": Severity.HIGH,
    "protected-code": Severity.HIGH,
    "obfuscated-exec": Severity.CRITICAL,
    "download-exec": Severity.CRITICAL,
    "install-hook": Severity.HIGH,
    "import-time-exec": Severity.HIGH,
    "exfiltration": Severity.HIGH,
    "bundled-binary": Severity.HIGH,
    "hidden-unicode": Severity.HIGH,
    "analysis-failed": Severity.HIGH,
    "shady-url": Severity.MEDIUM,
    "pth-exec": Severity.LOW,
    "unparsable-source": Severity.LOW,
}
MAX_LOCATIONS = 10


def code_ids() -> tuple[str, ...]:
    """The ids a deep scan reports; `new-*` ids come from comparing two releases (`inspect
    --against`), not from a scan."""
    from chaingate.analysis.interface import FINDING_IDS

    return tuple(i for i in FINDING_IDS if not i.startswith("new-"))


def _declare() -> None:
    from chaingate.analysis.interface import FINDING_IDS

    for sid in code_ids():
        declare(sid, _DEFAULTS.get(sid, Severity.MEDIUM), FAMILY, FINDING_IDS[sid])


@declared_later(_declare)
def code(ctx: PackageContext) -> Iterator[Finding]:
    report = ctx.code
    if report is None or report.verdict is None:
        return
    by_id: dict[str, list[CodeFinding]] = defaultdict(list)
    for f in report.findings:
        by_id[f.id].append(f)
    pkg = ctx.package
    for sid, group in sorted(by_id.items()):
        worst = max(f.severity for f in group)
        severity = min(worst, report.verdict)
        first = max(group, key=lambda f: f.severity)
        where = f"{first.path}:{first.line}" if first.line else first.path
        more = f" (and {len(group) - 1} more)" if len(group) > 1 else ""
        yield Finding(
            id=sid,
            severity=Severity(severity),
            package=pkg.name,
            version=pkg.version,
            message=f"{report.filename}: {where}: {first.message}{more}",
            evidence={
                "artifact": report.filename,
                "sha256": report.sha256,
                "verdict": report.verdict.label,
                "count": len(group),
                "locations": [
                    {"path": f.path, "line": f.line, "severity": f.severity.label,
                     "excerpt": f.excerpt}
                    for f in sorted(group, key=lambda f: (-f.severity, f.path, f.line or 0))[
                        :MAX_LOCATIONS
                    ]
                ],
            },
        )  # fmt: skip
