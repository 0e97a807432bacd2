"""PackageRef's text form, and how a release is found by a version written differently."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import chaingate.ecosystems.pypi  # noqa: F401  (registers PyPI's version rules)
from chaingate.core.facts import ProjectFacts, Release
from chaingate.core.refs import PackageRef

T = datetime(2024, 1, 1, tzinfo=UTC)


def facts(ecosystem: str, *versions: str) -> ProjectFacts:
    return ProjectFacts(
        ecosystem=ecosystem, name="demo", fetched_at=T, source_url="", latest_version=None,
        owners=(), organization=None, people=(),
        releases=tuple(Release(v, T, False, None) for v in versions),
    )  # fmt: skip


def test_pypi_versions_compare_as_pep_440_others_exactly() -> None:
    assert facts("pypi", "1.0.0").release("1.0") == Release("1.0.0", T, False, None)
    assert facts("pypi", "1.0.0").release("1.0.0.post0") is None
    assert facts("toy", "1.0.0").release("1.0") is None  # no rules known: exact only
    assert facts("toy", "1.0.0").release("1.0.0") is not None


def test_ref_text() -> None:
    assert str(PackageRef("pypi", "requests", "2.32.3")) == "pypi:requests==2.32.3"
    assert str(PackageRef("pypi", "requests")) == "pypi:requests"
    assert PackageRef.parse("pypi:requests==2.32.3") == PackageRef("pypi", "requests", "2.32.3")
    assert PackageRef.parse("requests", default_ecosystem="pypi") == PackageRef("pypi", "requests")
    for bad in ("requests", "pypi:", ":x", "pypi:x=="):
        with pytest.raises(ValueError):
            PackageRef.parse(bad)


names = st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True)
versions = st.none() | st.from_regex(r"[0-9][0-9a-z.+!-]{0,10}", fullmatch=True)


@given(st.sampled_from(["pypi", "npm", "github-actions"]), names, versions)
def test_a_ref_survives_its_text(ecosystem: str, name: str, version: str | None) -> None:
    ref = PackageRef(ecosystem, name, version)
    assert PackageRef.parse(str(ref)) == ref


@given(st.text(max_size=40))
def test_parse_never_crashes(text: str) -> None:
    with contextlib.suppress(ValueError):
        PackageRef.parse(text)
