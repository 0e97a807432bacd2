"""The store in a child process answers exactly as the store in this process does."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from chaingate.facts.intel.interface import DnsAnswer, DomainFacts, RdapRecord
from chaingate.store.db import Store
from chaingate.store.interface import ScanRecord, StoreError
from chaingate.store.worker import StoreProcess
from tests.signals.factories import facts

T1 = datetime(2026, 11, 1, tzinfo=UTC)
T2 = datetime(2026, 11, 2, tzinfo=UTC)


def test_child_answers_like_the_store_in_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    child = StoreProcess(url)
    first = facts("demo", owners=["alice"], emails=["a@old.example"])
    child.record([first, facts("other", owners=["bob"])], T1)
    child.record([facts("demo", owners=["mallory"], emails=["m@new.example"])], T2)
    domain = DomainFacts(
        "old.example",
        T2,
        DnsAnswer(exists=True, has_mx=True),
        RdapRecord(True, registration=T1, statuses=("active",)),
    )
    child.record_domains([domain])
    child.record_scan(ScanRecord(T2, T2, ".", "http://x", packages=2, findings=0, incomplete=0))
    latest = child.latest("pypi", ["demo", "other", "missing"])
    first_seen = child.email_first_seen("pypi", ["demo"])
    domains = child.domains(["old.example", "absent.example"], T1)
    child.close()

    here = Store(url)
    assert latest == here.latest("pypi", ["demo", "other", "missing"])
    assert latest["demo"].owners is not None and latest["demo"].owners[0].user == "mallory"
    assert first_seen == here.email_first_seen("pypi", ["demo"])
    assert first_seen == {"a@old.example": T1, "m@new.example": T2}
    assert domains == here.domains(["old.example"], T1) == {"old.example": domain}
    with here.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM scan_run")).scalar() == 1
    here.close()


def test_a_database_that_cannot_be_opened_is_the_same_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db"
    bad.write_text("this is not sqlite")
    child = StoreProcess(f"sqlite:///{bad}")
    with pytest.raises(StoreError, match="cannot open database"):
        child.latest("pypi", ["demo"])
    with pytest.raises(StoreError, match="cannot open database"):
        child.latest("pypi", ["demo"])  # and every later request says so too
    child.close()


def test_a_failed_write_is_raised_by_close(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    Store(url).close()
    here = Store(url)
    with here.engine.begin() as conn:
        conn.execute(text("DROP TABLE scan_run"))
    here.close()
    child = StoreProcess(url)
    child.record([facts("demo")], T1)
    child.record_scan(ScanRecord(T1, T1, ".", "http://x", packages=1, findings=0, incomplete=0))
    with pytest.raises(StoreError, match="scan_run"):
        child.close()
    assert Store(url).latest("pypi", ["demo"]).keys() == {"demo"}  # the write before it stands


def test_a_child_that_dies_is_an_error_not_a_hang(tmp_path: Path) -> None:
    child = StoreProcess(f"sqlite:///{tmp_path / 's.db'}")
    child._proc.kill()
    with pytest.raises(StoreError, match="ended unexpectedly"):
        child.latest("pypi", ["demo"])
    child.close()


def test_the_parent_never_imports_sqlalchemy(tmp_path: Path) -> None:
    program = f"""
import sys
from datetime import UTC, datetime
from chaingate.store.worker import StoreProcess
from tests.signals.factories import facts
child = StoreProcess("sqlite:///{tmp_path / "s.db"}")
child.record([facts("demo")], datetime(2026, 11, 1, tzinfo=UTC))
assert child.latest("pypi", ["demo"]).keys() == {{"demo"}}
child.close()
print(sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")))
"""
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=root, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_a_scan_starts_its_store_once_it_went_to_the_network_and_is_in_its_tail(
    tmp_path: Path,
) -> None:
    from chaingate.engine.scan import _StoreStarter

    url = f"sqlite:///{tmp_path / 's.db'}"
    seen: list[tuple[int, int]] = []

    cached = _StoreStarter(url, lambda done, total: seen.append((done, total)), ["demo"])
    for done in range(1, 11):
        cached.progress(done, 10)
    assert cached.store is None  # every answer from the cache: no store process
    assert seen == [(d, 10) for d in range(1, 11)]  # the scan's own progress still reported

    networked = _StoreStarter(url, None, ["demo"])
    networked.network()
    networked.progress(7, 10)
    assert networked.store is None  # the download's busy middle
    networked.progress(8, 10)
    assert networked.store is not None
    networked.close()

    late = _StoreStarter(url, None, ["demo"])  # the first request comes after 80% are in
    late.progress(9, 10)
    late.network()
    assert late.store is not None
    late.close()


def test_prefetched_answers_are_the_state_before_this_scans_writes(tmp_path: Path) -> None:
    """A scan asks for the previous observations as soon as its store starts and writes its
    own before it reads them: what it reads is still the previous state, and a question the
    prefetch did not cover is asked afresh."""
    url = f"sqlite:///{tmp_path / 's.db'}"
    before = StoreProcess(url)
    before.record([facts("demo", owners=["alice"], emails=["a@old.example"])], T1)
    before.record([facts("other", owners=["bob"], emails=["b@other.example"])], T1)
    before.close()

    child = StoreProcess(url)
    child.prefetch("pypi", ["demo", "other"])
    child.record([facts("demo", owners=["mallory"], emails=["m@new.example"])], T2)
    # One fewer name than prefetched: still answered from the prefetch, per project.
    latest = child.latest("pypi", ["demo"])
    assert set(latest) == {"demo"}
    assert latest["demo"].owners is not None and latest["demo"].owners[0].user == "alice"
    # Not the names prefetched: asked now, after the write above.
    assert child.email_first_seen("pypi", ["demo"]) == {"a@old.example": T1, "m@new.example": T2}
    # The prefetched answer for exactly the prefetched names is the state before the write.
    assert child.email_first_seen("pypi", ["demo", "other"]) == {
        "a@old.example": T1,
        "b@other.example": T1,
    }
    # Each prefetched answer is used once: asking again sees this scan's write.
    again = child.latest("pypi", ["demo"])
    assert again["demo"].owners is not None and again["demo"].owners[0].user == "mallory"
    child.close()


def test_a_prefetch_against_a_bad_database_fails_the_first_read(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db"
    bad.write_text("this is not sqlite")
    child = StoreProcess(f"sqlite:///{bad}")
    child.prefetch("pypi", ["demo"])
    with pytest.raises(StoreError, match="cannot open database"):
        child.latest("pypi", ["demo"])
    child.close()
