"""OSV records (https://ossf.github.io/osv-schema/) as chaingate's `Vulnerability` values, and
which versions a record covers. Pure: no I/O, so the online client, the offline dump and the
signals share it.

A record covers a version when its `affected` entry for the package lists that version
explicitly, or one of its ECOSYSTEM ranges holds it (introduced <= v < fixed, or <=
last_affected), compared as PEP 440 versions. An entry with neither versions nor ranges
covers the whole package (OSV: "all versions"); GIT ranges (commit hashes) say nothing about
release numbers and are left to the explicit list the databases publish beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from chaingate.core.facts import Vulnerability

# PyPI is the only OSV ecosystem chaingate asks for today: chaingate's ecosystem -> OSV's.
OSV_ECOSYSTEMS = {"pypi": "PyPI"}


class RecordError(ValueError):
    """A record that is not an OSV record (the message says what is wrong)."""


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_malicious(record: Mapping[str, object]) -> bool:
    """An OpenSSF malicious-packages report: a `MAL-` id, an alias of one, or the dataset's
    origins in `database_specific`."""
    ids = [record.get("id"), *_strings(record.get("aliases"))]
    if any(isinstance(i, str) and i.startswith("MAL-") for i in ids):
        return True
    specific = record.get("database_specific")
    return isinstance(specific, dict) and "malicious-packages-origins" in specific


def _known_since(record: Mapping[str, object]) -> datetime | None:
    """When OSV could first answer with `record`: its `published` time, or, for a
    malicious-packages report, the earliest `import_time` of its origins when that is later
    (MAL-2026-2144 was published 11:15 UTC, first imported into OSV 22:11 UTC that day)."""
    published = parse_time(record.get("published"))
    specific = record.get("database_specific")
    origins = specific.get("malicious-packages-origins") if isinstance(specific, dict) else None
    imports = [
        t
        for o in (origins if isinstance(origins, list) else [])
        if isinstance(o, dict) and (t := parse_time(o.get("import_time"))) is not None
    ]
    first_import = min(imports) if imports else None
    if published is None or first_import is None:
        return published or first_import
    return max(published, first_import)


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _severity(record: Mapping[str, object]) -> str | None:
    """The record's severity as published: its CVSS vector (the newest kind first), else the
    database's own word (GitHub's `database_specific.severity`: LOW .. CRITICAL)."""
    entries = record.get("severity")
    if isinstance(entries, list):
        vectors = {
            e.get("type"): e.get("score")
            for e in entries
            if isinstance(e, dict) and isinstance(e.get("score"), str)
        }
        for kind in ("CVSS_V4", "CVSS_V3", "CVSS_V2"):
            if kind in vectors:
                return str(vectors[kind])
    specific = record.get("database_specific")
    if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
        return str(specific["severity"]).upper()
    return None


def cvss_score(vector: str) -> float | None:
    """The CVSS base score of a vector (v2, v3.x or v4.0), computed by the `cvss` library;
    None for a string that is not a valid vector."""
    from cvss import CVSS2, CVSS3, CVSS4
    from cvss.exceptions import CVSSError

    try:
        if vector.startswith("CVSS:4."):
            return float(CVSS4(vector).base_score)
        if vector.startswith("CVSS:3."):
            return float(CVSS3(vector).base_score)
        return float(CVSS2(vector).base_score)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None


def parse_record(
    record: object, ecosystem: str, name: str, *, source: str | None = None
) -> Vulnerability | None:
    """The record as it concerns one package (`name` canonical), or None when no `affected`
    entry names it. Raises `RecordError` when `record` is not an OSV record at all."""
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise RecordError("not an OSV record (no id)")
    affected = record.get("affected")
    if not isinstance(affected, list):
        affected = []
    osv_eco = OSV_ECOSYSTEMS.get(ecosystem, ecosystem)
    versions: list[str] = []
    ranges: list[tuple[str | None, str | None, str | None]] = []
    whole = False
    named = False
    for entry in affected:
        if not isinstance(entry, dict):
            continue
        pkg = entry.get("package")
        if not isinstance(pkg, dict) or pkg.get("ecosystem") != osv_eco:
            continue
        if canonicalize_name(str(pkg.get("name", ""))) != name:
            continue
        named = True
        listed = _strings(entry.get("versions"))
        versions.extend(listed)
        entry_ranges = [r for r in entry.get("ranges") or () if isinstance(r, dict)]
        for rng in entry_ranges:
            if rng.get("type") == "ECOSYSTEM":
                ranges.extend(_ecosystem_ranges(rng.get("events")))
        if not listed and not entry_ranges:
            whole = True
    if not named:
        return None
    rid = str(record["id"])
    severity = _severity(record)
    score = cvss_score(severity) if severity and severity.startswith(("CVSS:", "AV:")) else None
    fixed = sorted({f for _i, f, _l in ranges if f}, key=lambda v: (_version(v) or Version("0"), v))
    return Vulnerability(
        id=rid,
        aliases=tuple(_strings(record.get("aliases"))),
        summary=str(record.get("summary") or record.get("details") or "")[:1000],
        fixed_in=tuple(fixed),
        link=source or f"https://osv.dev/vulnerability/{rid}",
        withdrawn=record.get("withdrawn") is not None,
        severity=severity,
        score=score,
        malicious=is_malicious(record),
        published=parse_time(record.get("published")),
        known_since=_known_since(record),
        versions=tuple(dict.fromkeys(versions)),
        ranges=tuple(ranges),
        whole_package=whole,
    )


def _ecosystem_ranges(events: object) -> Iterable[tuple[str | None, str | None, str | None]]:
    """An ECOSYSTEM range's events as (introduced, fixed, last_affected) spans, in order: each
    `introduced` opens a span that the next `fixed` or `last_affected` closes."""
    if not isinstance(events, list):
        return
    start: str | None = None
    open_span = False
    for ev in events:
        if not isinstance(ev, dict):
            continue
        if "introduced" in ev:
            if open_span:
                yield (start, None, None)
            start, open_span = str(ev["introduced"]), True
        elif "fixed" in ev and open_span:
            yield (start, str(ev["fixed"]), None)
            open_span = False
        elif "last_affected" in ev and open_span:
            yield (start, None, str(ev["last_affected"]))
            open_span = False
    if open_span:
        yield (start, None, None)


def affects(vuln: Vulnerability, version: str) -> bool:
    """Whether the record covers `version` of its package."""
    if vuln.whole_package or version in vuln.versions:
        return True
    v = _version(version)
    if v is None:
        return False
    if any(_version(x) == v for x in vuln.versions):
        return True
    for introduced, fixed, last in vuln.ranges:
        low = None if introduced in (None, "0") else _version(introduced or "")
        if low is not None and v < low:
            continue
        if fixed is not None:
            high = _version(fixed)
            if high is not None and v < high:
                return True
        elif last is not None:
            top = _version(last)
            if top is not None and v <= top:
                return True
        else:
            return True
    return False


def smallest_upgrade(
    vulns: Iterable[Vulnerability], current: str, releases: Iterable[str]
) -> str | None:
    """The smallest released version above `current` that none of `vulns` covers (final
    releases only), or None when there is none."""
    now = _version(current)
    if now is None:
        return None
    records = list(vulns)
    candidates = sorted(
        (v, text)
        for text in releases
        if (v := _version(text)) is not None and v > now and not v.is_prerelease
    )
    for _v, text in candidates:
        if not any(affects(r, text) for r in records):
            return text
    return None
