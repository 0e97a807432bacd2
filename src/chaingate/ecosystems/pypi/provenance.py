"""PEP 740 provenance objects from PyPI's Integrity API
(`GET /integrity/<project>/<version>/<filename>/provenance`, the URL a simple page gives as a
file's `provenance`): who published a release. Asked only for the releases a signal
compares (each version in use and the attested release before it), one file each, never for
every file of a project."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import msgspec

from chaingate.core.facts import ProjectFacts, Publisher, RegistryError

INTEGRITY_JSON = "application/vnd.pypi.integrity.v1+json"


class _Publisher(msgspec.Struct):
    kind: str = ""
    repository: str | None = None
    workflow: str | None = None
    workflow_filepath: str | None = None  # GitLab's name for it
    environment: str | None = None
    email: str | None = None  # Google's identity


class _Bundle(msgspec.Struct):
    publisher: _Publisher | None = None


class _Provenance(msgspec.Struct):
    attestation_bundles: list[_Bundle] = []


_decoder = msgspec.json.Decoder(_Provenance)


def parse_provenance(body: bytes, source_url: str) -> tuple[Publisher, ...]:
    """The publishers a provenance object names, one per attestation bundle."""
    try:
        doc = _decoder.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise RegistryError(f"malformed provenance from {source_url}: {exc}") from None
    out: list[Publisher] = []
    for bundle in doc.attestation_bundles:
        p = bundle.publisher
        if p is None or not p.kind:
            continue
        found = Publisher(
            kind=p.kind,
            repository=p.repository or p.email,
            workflow=p.workflow or p.workflow_filepath,
            environment=p.environment,
        )
        if found not in out:
            out.append(found)
    if not out:
        raise RegistryError(f"provenance from {source_url} names no publisher")
    return tuple(out)


def to_ask(facts: ProjectFacts, versions: Collection[str]) -> dict[str, str]:
    """version -> provenance URL: each attested version in use and the attested release
    uploaded last before it, whose publishers `publisher-change` compares."""
    if not facts.provenance:
        return {}
    by_version = {p.version: p for p in facts.provenance}
    order = [r.version for r in facts.releases if r.uploaded_at is not None]
    out: dict[str, str] = {}
    for version in versions:
        used = facts.release(version)
        mine = by_version.get(used.version) if used is not None else None
        if used is None or mine is None or not mine.url or used.version not in order:
            continue
        out[used.version] = mine.url
        for earlier in reversed(order[: order.index(used.version)]):
            prev = by_version.get(earlier)
            if prev is not None and prev.url:
                out[earlier] = prev.url
                break
    return out


def with_publishers(
    facts: ProjectFacts, found: Mapping[str, tuple[Publisher, ...]]
) -> ProjectFacts:
    if not found or facts.provenance is None:
        return facts
    return msgspec.structs.replace(
        facts,
        provenance=tuple(
            msgspec.structs.replace(p, publishers=found[p.version]) if p.version in found else p
            for p in facts.provenance
        ),
    )
