"""The time machine's registry half: a project's facts as they stood at a past moment.

`as_of(facts, when)` is pure and knows no ecosystem: it keeps the releases and files uploaded
at or before `when`, and forgets what a registry document of today cannot date (yanks, the
advisories it lists, its serial). What it cannot filter -- owners, organisation, the people
in the metadata -- it keeps, and `AS_OF_NOW` names those facts so the report can list them
under `checks` as "as of now, not as of TIME" (the engine replaces the owners by the store's
observation at or before `when` where it has one).
"""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from chaingate.core.facts import ProjectFacts, Release

# Which facts of today's document an as-of answer cannot date (`checks` ids -> what).
AS_OF_NOW = {
    "ownership": "today's owners and organisation (no stored observation at or before then)",
    "email-addresses": "today's maintainer emails (no stored observation at or before then)",
    "email-domains": "today's DNS / RDAP answers about the maintainers' email domains",
    "known-vulnerability": (
        "today's advisory records: with OSV only those published by then count, but each "
        "reads as it does today (affected versions, severity)"
    ),
}


def as_of(facts: ProjectFacts, when: datetime) -> ProjectFacts:
    """`facts` as the registry would have shown them at `when` (timezone-aware).

    - releases: those with a file uploaded at or before `when`, each with only those files;
      a release with no files at all (no upload time) cannot be dated and is left out;
    - yanks: unknown, so none (today's document does not say when a release was yanked);
    - the latest release: today's latest if it existed then, else the most recently
      uploaded release of then (the index's order of versions is not known here);
    - advisories listed by the document (about today's latest release) and the serial:
      dropped, they describe today;
    - the project status (PEP 792): unknown, so none, like yanks (a quarantine is not
      dated); attestations (PEP 740) are uploaded with their files, so those of the
      releases kept are kept.
    """
    kept: list[Release] = []
    for r in facts.releases:
        if r.uploaded_at is None or r.uploaded_at > when:
            continue
        files = tuple(f for f in r.files if f.upload_time <= when)
        kept.append(
            replace(
                r,
                yanked=False,
                yanked_reason=None,
                files=tuple(replace(f, yanked=False) for f in files),
            )
        )
    versions = {r.version for r in kept}
    latest = facts.latest_version if facts.latest_version in versions else None
    if latest is None and kept:
        latest = max(kept, key=lambda r: r.uploaded_at or when).version
    return replace(
        facts,
        fetched_at=when,
        latest_version=latest,
        releases=tuple(kept),
        vulnerabilities=(),
        last_serial=None,
        status=None,
        status_reason=None,
        provenance=None
        if facts.provenance is None
        else tuple(p for p in facts.provenance if p.version in versions),
    )


def first_upload(facts: ProjectFacts, version: str) -> datetime | None:
    """When `version` first appeared on the index (today's document), if it says."""
    release = facts.release(version)
    return release.uploaded_at if release is not None else None
