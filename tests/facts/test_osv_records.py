"""OSV records as chaingate reads them (facts/advisories/osv.py, offline.py): which versions
a record covers, what it says, and the dump read safely."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.refs import PackageRef
from chaingate.facts.advisories.offline import MAX_RECORD_BYTES, build_index, lookup
from chaingate.facts.advisories.online import AdvisoryError
from chaingate.facts.advisories.osv import affects, cvss_score, parse_record, smallest_upgrade
from tests.osvserver import dump_zip, recorded_records


def record(affected: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": "TEST-1", "modified": "2026-01-01T00:00:00Z", "affected": affected, **extra}


def ranges(*events: dict[str, str]) -> dict[str, Any]:
    return {
        "package": {"ecosystem": "PyPI", "name": "Demo_Pkg"},
        "ranges": [{"type": "ECOSYSTEM", "events": list(events)}],
    }


def test_ecosystem_ranges_are_compared_as_pep_440_versions() -> None:
    v = parse_record(
        record(
            [
                ranges(
                    {"introduced": "1.0"},
                    {"fixed": "1.10"},
                    {"introduced": "2.0"},
                    {"last_affected": "2.1"},
                )
            ]
        ),
        "pypi",
        "demo-pkg",  # the record's "Demo_Pkg", normalised
    )
    assert v is not None and v.fixed_in == ("1.10",)
    covered = {x: affects(v, x) for x in ("0.9", "1.0", "1.9", "1.10", "1.10.1", "2.0.post1",
                                            "2.1", "2.2")}  # fmt: skip
    assert covered == {"0.9": False, "1.0": True, "1.9": True, "1.10": False, "1.10.1": False,
                       "2.0.post1": True, "2.1": True, "2.2": False}  # fmt: skip
    assert smallest_upgrade([v], "1.9", ["1.9", "1.10", "2.0", "2.2"]) == "1.10"
    assert smallest_upgrade([v], "2.0", ["2.0", "2.1", "3.0rc1"]) is None  # no final fix


def test_a_record_naming_no_version_covers_the_whole_package() -> None:
    whole = record([{"package": {"ecosystem": "PyPI", "name": "demo-pkg"}}])
    v = parse_record(whole, "pypi", "demo-pkg")
    assert v is not None and v.whole_package and affects(v, "99.0")
    assert parse_record(whole, "pypi", "other") is None


def test_malicious_reports_and_withdrawn_records_are_told_apart() -> None:
    records = recorded_records()
    mal = parse_record(records["MAL-2026-2144"], "pypi", "litellm")
    assert mal is not None and mal.malicious and affects(mal, "1.82.8")
    assert not affects(mal, "1.82.9")
    origins = record([ranges({"introduced": "0"})], database_specific={
        "malicious-packages-origins": [{"source": "ghsa-malware"}]})  # fmt: skip
    assert parse_record(origins, "pypi", "demo-pkg").malicious  # type: ignore[union-attr]
    gone = parse_record(record([ranges({"introduced": "0"})], withdrawn="2026-02-01T00:00:00Z"),
                        "pypi", "demo-pkg")  # fmt: skip
    assert gone is not None and gone.withdrawn
    graded = parse_record(
        record([ranges({"introduced": "0"})], database_specific={"severity": "moderate"}),
        "pypi", "demo-pkg",
    )  # fmt: skip
    assert graded is not None and graded.severity == "MODERATE"


def test_the_dump_is_indexed_by_name_and_read_per_package(tmp_path: Path) -> None:
    (tmp_path / "all.zip").write_bytes(dump_zip(recorded_records().values()))
    count, made = build_index(tmp_path / "all.zip", tmp_path / "idx", "pypi", "test")
    assert count == 14 and made.isoformat() == "2026-03-26T09:53:17+00:00"
    found, when = lookup(tmp_path / "idx", [PackageRef("pypi", "jinja2", "2.10.1"),
                                            PackageRef("pypi", "six", "1.17.0")])  # fmt: skip
    assert [v.id for v in found[PackageRef("pypi", "jinja2", "2.10.1")]] == ["PYSEC-2021-66"]
    assert found[PackageRef("pypi", "six", "1.17.0")] == ()
    assert when == made


def test_a_hostile_or_broken_dump_replaces_nothing(tmp_path: Path) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("BIG-1.json", json.dumps({"id": "BIG-1", "pad": "0" * (MAX_RECORD_BYTES + 1)}))
    (tmp_path / "bomb.zip").write_bytes(bomb.getvalue())
    with pytest.raises(AdvisoryError, match="too large"):
        build_index(tmp_path / "bomb.zip", tmp_path / "idx", "pypi", "test")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(AdvisoryError, match="not a zip"):
        build_index(tmp_path / "junk.zip", tmp_path / "idx", "pypi", "test")
    assert list((tmp_path / "idx").iterdir()) == []  # no index, no partial one
    with pytest.raises(AdvisoryError, match="advisories update"):
        lookup(tmp_path / "idx", [PackageRef("pypi", "six", "1.17.0")])


def test_cvss_vectors_are_scored() -> None:
    assert cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H") == 7.5  # PYSEC-2024-60
    assert cvss_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") == 9.3
    assert cvss_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5  # CVSS v2
    assert cvss_score("CVSS:3.1/AV:X") is None
    idna = parse_record(recorded_records()["PYSEC-2024-60"], "pypi", "idna")
    assert idna is not None and idna.score == 7.5


def test_the_smallest_upgrade_counts_the_registrys_records_by_their_fixed_versions() -> None:
    from chaingate.core.facts import Vulnerability
    from chaingate.signals.advisory import upgrade

    def listed(*fixed: str) -> Vulnerability:  # as PyPI's JSON lists one: no ranges
        return Vulnerability("PYSEC-0-1", (), "", tuple(fixed), None)

    releases = ["1.26.17", "1.26.18", "2.0.5", "2.0.6", "2.0.7", "2.1.0"]
    # A fix on an older branch is not an upgrade from 2.0.5.
    assert upgrade([listed("1.26.18", "2.0.7")], "2.0.5", releases) == "2.0.7"
    assert upgrade([listed("1.26.18")], "2.0.5", releases) is None
    jinja = parse_record(recorded_records()["PYSEC-2019-217"], "pypi", "jinja2")
    assert jinja is not None
    both = [jinja, listed("2.11.3")]
    assert upgrade(both, "2.10", ["2.10.1", "2.11.2", "2.11.3", "3.0.0"]) == "2.11.3"
