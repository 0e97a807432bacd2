"""A hand-built scan of a small project, shared by the report tests.

The tree: `requests` (direct) pulls in `urllib3` and `certifi`; `ctx` (direct) is the
2022 account takeover; `mylib` comes from git and could not be analysed. Findings cover
every severity but info, plus one project-level finding; one id
(`email-domain-registered-after-release`) is not in the signal registry. The team has an
exception for `mylib` coming from git, and one that expired.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from msgspec.structs import replace

from chaingate.core.facts import Account, Person, ProjectFacts, Release
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Location, Origin, Package
from chaingate.core.refs import PackageRef
from chaingate.core.status import CheckStatus, Incomplete
from chaingate.engine.result import ScanResult
from chaingate.policy.ignore import Ignore, Ignored

FETCHED = datetime(2025, 6, 1, 12, 0, 1, tzinfo=UTC)


def _release(version: str, when: datetime | None) -> Release:
    return Release(version=version, uploaded_at=when, yanked=False, yanked_reason=None)


def _facts(
    name: str,
    owners: tuple[Account, ...],
    people: tuple[Person, ...],
    releases: tuple[Release, ...],
    repository: str | None = None,
    organization: str | None = None,
) -> ProjectFacts:
    return ProjectFacts(
        ecosystem="pypi",
        name=name,
        fetched_at=FETCHED,
        source_url=f"https://pypi.org/pypi/{name}/json",
        latest_version=releases[-1].version,
        owners=owners,
        organization=organization,
        people=people,
        releases=releases,
        repository=repository,
    )


PACKAGES = (
    Package(
        "pypi",
        "requests",
        "2.31.0",
        direct=True,
        paths=(("requests",),),
        locations=(Location("requirements.txt", 3),),
    ),
    Package("pypi", "urllib3", "2.0.0", direct=False, paths=(("requests", "urllib3"),)),
    Package("pypi", "certifi", "2024.2.2", direct=False, paths=(("requests", "certifi"),)),
    Package(
        "pypi",
        "ctx",
        "0.2.6",
        direct=True,
        paths=(("ctx",),),
        locations=(Location("requirements.txt", 5),),
    ),
    Package(
        "pypi",
        "mylib",
        None,
        direct=True,
        paths=(("mylib",),),
        origin=Origin.VCS,
        url="git+https://git.example.com/team/mylib.git",
        locations=(Location("requirements.txt", 7),),
    ),
)

FACTS = {
    "requests": _facts(
        "requests",
        (Account("nateprewitt", "Owner"), Account("sethmlarson", "Maintainer")),
        (Person("me@kennethreitz.org", "Kenneth Reitz"),),
        (
            _release("0.2.0", datetime(2011, 2, 14, 5, 30, tzinfo=UTC)),
            _release("2.31.0", datetime(2023, 5, 22, 15, 12, 42, tzinfo=UTC)),
            _release("2.32.3", datetime(2024, 5, 29, 15, 37, 47, tzinfo=UTC)),
        ),
        repository="https://github.com/psf/requests",
        organization="psf",
    ),
    "urllib3": _facts(
        "urllib3",
        (Account("sethmlarson", "Owner"), Account("pquentin", "Owner")),
        (Person("sethmichaellarson@gmail.com", "Seth Michael Larson"),),
        (
            _release("1.0", datetime(2011, 11, 4, 18, 0, tzinfo=UTC)),
            _release("2.0.0", datetime(2023, 4, 26, 18, 22, 37, tzinfo=UTC)),
        ),
        repository="https://github.com/urllib3/urllib3",
    ),
    "certifi": _facts(
        "certifi",
        (Account("lukasa", "Owner"),),
        (Person("me@kennethreitz.com"),),
        (_release("2024.2.2", datetime(2024, 2, 2, 1, 0, tzinfo=UTC)),),
    ),
    "ctx": _facts(
        "ctx",
        (Account("aydinnyunus", "Owner"),),
        (Person("aydinnyunus@figmm.com"),),
        (
            _release("0.1.2", datetime(2014, 12, 19, 21, 12, 22, tzinfo=UTC)),
            _release("0.2.6", datetime(2022, 5, 21, 10, 0, tzinfo=UTC)),
        ),
    ),
}
# ScanResult.facts is keyed by project (PackageRef without a version)
FACTS = {PackageRef("pypi", name): f for name, f in FACTS.items()}

FINDINGS = (
    Finding(
        "single-owner",
        Severity.LOW,
        "certifi",
        "2024.2.2",
        "certifi has one owner account (lukasa); losing it means losing the project.",
        {"owners": ["lukasa"]},
    ),
    Finding(
        "email-domain-registered-after-release",
        Severity.CRITICAL,
        "ctx",
        "0.2.6",
        "The owner's email domain figmm.com was registered after the last release.",
        {"domain": "figmm.com", "registered": "2022-05-14T18:40:00Z", "last_release": "2014-12-19"},
    ),
    Finding(
        "new-release",
        Severity.MEDIUM,
        "urllib3",
        "2.0.0",
        "2.0.0 was uploaded 2 days ago | inside the `7d` cooldown",
        {"uploaded": "2023-04-26T18:22:37Z", "cooldown_days": 7},
    ),
    Finding(
        "owner-concentration",
        Severity.MEDIUM,
        None,
        None,
        "One account (sethmlarson) holds 2 of 4 packages.",
        {"account": "sethmlarson", "packages": 2},
    ),
    Finding(
        "dormant-then-release",
        Severity.HIGH,
        "ctx",
        "0.2.6",
        "0.2.6 is the first release in 7 years.",
        {"previous_release": "2014-12-19", "dormant_days": 2710},
    ),
)


IGNORED = (
    Ignored(
        Finding(
            "unpinned-source",
            Severity.MEDIUM,
            "mylib",
            None,
            "mylib comes from git and bypasses the index.",
            {"url": "git+https://git.example.com/team/mylib.git"},
        ),
        Ignore(
            id="unpinned-source",
            reason="Our own library, built from our own repository",
            package="mylib",
            expires=date(2026, 1, 31),
            file="/home/dev/shop/pyproject.toml",
            line=12,
        ),
    ),
)

NOTES = (
    "exception for typosquat reqeusts (/home/dev/shop/pyproject.toml:20) expired on "
    "2025-05-01; it no longer applies (reason was: internal mirror)",
)


def make_result(**changes: object) -> ScanResult:
    """The shared scan, with any ScanResult field replaced."""
    result = ScanResult(
        inventory=Inventory(
            root="/home/dev/shop",
            packages=PACKAGES,
            manifests=("requirements.txt",),
            resolved_with="uv 0.5.11",
        ),
        facts=FACTS,
        findings=FINDINGS,
        incomplete=(
            Incomplete("mylib", None, "installed from git: not on the index, not analysed"),
        ),
        index_url="https://pypi.org/simple/",
        started_at=datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC),
        finished_at=datetime(2025, 6, 1, 12, 0, 5, 250000, tzinfo=UTC),
        checks={
            "registry": CheckStatus("ok"),
            "email-domains": CheckStatus(
                "unavailable", "the resolver answers NXDOMAIN for gmail.com"
            ),
        },
        ignored=IGNORED,
        notes=NOTES,
    )
    return replace(result, **changes)  # type: ignore[arg-type]


def many_findings(n: int) -> tuple[Finding, ...]:
    return tuple(
        Finding(
            f"signal-{i % 7}",
            Severity(i % 5),
            "requests",
            "2.31.0",
            f"finding number {i}: " + "x" * 80,
        )
        for i in range(n)
    )


@pytest.fixture
def scan() -> ScanResult:
    return make_result()


@pytest.fixture
def build() -> Callable[..., ScanResult]:
    """`build(findings=...)`: the shared scan with fields replaced."""
    return make_result


@pytest.fixture
def lots_of_findings() -> Callable[[int], tuple[Finding, ...]]:
    return many_findings
