"""Hand-built facts for signal tests: a release history is a list of (version, date)."""

from __future__ import annotations

from datetime import UTC, datetime

from chaingate.core.facts import Account, Person, ProjectFacts, Release, ReleaseFile
from chaingate.core.inventory import Origin, Package
from chaingate.signals.catalog import PackageContext, Thresholds
from chaingate.signals.typosquat import load_popular
from chaingate.store.interface import Observation

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def facts(
    name: str = "demo",
    history: list[tuple[str, str]] | None = None,
    owners: list[str] | None = None,
    emails: list[str] | None = None,
    yanked: dict[str, str] | None = None,
    has_ownership: bool = True,
) -> ProjectFacts:
    history = history or [("1.0", "2020-01-01")]
    yanked = yanked or {}
    releases = []
    for version, when in history:
        t = at(when)
        f = ReleaseFile(f"{name}-{version}.tar.gz", "sdist", t, "0" * 64, 100, version in yanked)
        releases.append(Release(version, t, version in yanked, yanked.get(version) or None, (f,)))
    releases.sort(key=lambda r: r.uploaded_at or NOW)
    return ProjectFacts(
        ecosystem="pypi",
        name=name,
        fetched_at=NOW,
        source_url=f"http://index.invalid/pypi/{name}/json",
        latest_version=releases[-1].version,
        owners=tuple(
            Account(u, "Owner") for u in (owners if owners is not None else ["alice", "bob"])
        ),
        organization=None,
        people=tuple(Person(e) for e in emails or []),
        releases=tuple(releases),
        has_ownership=has_ownership,
    )


def package(name: str = "demo", version: str | None = "1.0", **kw: object) -> Package:
    return Package(
        ecosystem="pypi",
        name=name,
        version=version,
        direct=bool(kw.get("direct", True)),
        paths=((name,),),
        origin=kw.get("origin", Origin.REGISTRY),  # type: ignore[arg-type]
        url=kw.get("url"),  # type: ignore[arg-type]
    )


def ctx(
    f: ProjectFacts | None,
    version: str | None = None,
    *,
    now: datetime = NOW,
    previous: Observation | None = None,
    dependents: int = 0,
    tree_size: int = 1,
    thresholds: Thresholds | None = None,
    pkg: Package | None = None,
    not_found: bool = False,
) -> PackageContext:
    name = f.name if f else (pkg.name if pkg else "demo")
    if version is None and f is not None:
        version = f.latest_version
    return PackageContext(
        now=now,
        package=pkg or package(name, version),
        facts=f,
        not_found=not_found,
        previous=previous,
        dependents=dependents,
        tree_size=tree_size,
        thresholds=thresholds or Thresholds(),
        popular=load_popular(),
    )
