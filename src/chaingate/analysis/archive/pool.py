"""Inspecting many packages at once, one process per core.

`inspect_many` hands each archive (or directory) to a worker process and returns the
`Inspection`s in the order of its input. A worker that dies on one archive (a crash in C code,
the out-of-memory killer) costs that archive only: its result is an `analysis-failed` finding,
never a missing entry or a lost batch, and the archives that were waiting are analysed by a
fresh pool.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from chaingate.analysis.inspect import Inspection, inspect_path, verdict
from chaingate.analysis.interface import CodeFinding, Limits
from chaingate.core.findings import Severity

# A job takes one target and the limits and returns its Inspection; it must be a module-level
# function so that worker processes can import it.
Job = Callable[[Path, Limits | None], Inspection]


# Seconds one archive may take in a worker. The largest real wheels take seconds; a file
# built to make the analyser spin must not stall a whole deep scan.
TIMEOUT = 300.0


def inspect_many(
    targets: Sequence[Path],
    workers: int | None = None,
    limits: Limits | None = None,
    timeout: float = TIMEOUT,
) -> list[Inspection]:
    """Inspect every target, `workers` processes at a time (default: one per CPU); results in
    the order of `targets`. A single target, or a single worker, runs in this process. An
    archive still running after `timeout` seconds in a worker is stopped and reported as
    `analysis-failed`; the others carry on."""
    return _run(list(targets), workers, limits, _inspect, timeout)


def _inspect(target: Path, limits: Limits | None) -> Inspection:
    try:
        return inspect_path(target, limits)
    except Exception as exc:  # a bug must not cost the batch; say so instead
        return _failed(target, f"{type(exc).__name__}: {exc}")


def _failed(target: Path, why: str) -> Inspection:
    finding = CodeFinding(
        "analysis-failed",
        Severity.HIGH,
        target.name,
        None,
        f"the analysis of {target.name} did not complete ({why}): the package was not "
        "checked; inspect it on its own, and report the failure if it persists",
    )
    return Inspection(str(target), verdict((finding,)), (finding,), 0, 0)


def _run(
    targets: list[Path],
    workers: int | None,
    limits: Limits | None,
    job: Job,
    timeout: float = TIMEOUT,
) -> list[Inspection]:
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    workers = min(workers or os.cpu_count() or 1, len(targets))
    if workers <= 1:
        return [job(t, limits) for t in targets]
    results: dict[int, Inspection] = {}
    # Largest first, so that one big archive does not run alone at the end.
    waiting = deque(sorted(range(len(targets)), key=lambda i: -_size(targets[i])))
    while waiting:
        suspects = _pool_round(targets, waiting, workers, limits, job, results, timeout)
        # The pool broke: whatever was in flight when it did is tried again alone, where a
        # second death pins the blame on that target only.
        for i in suspects:
            results[i] = _alone(targets[i], limits, job, timeout)
    return [results[i] for i in range(len(targets))]


def _pool_round(
    targets: list[Path],
    waiting: deque[int],
    workers: int,
    limits: Limits | None,
    job: Job,
    results: dict[int, Inspection],
    timeout: float = TIMEOUT,
) -> list[int]:
    """Run targets from `waiting` (taken from the left) until it is empty or the pool breaks;
    then return the indexes that were in flight. A target over `timeout` is failed, the
    pool's workers are stopped, and the other targets in flight go back to `waiting`."""
    running: dict[Future[Inspection], int] = {}
    since: dict[Future[Inspection], float] = {}
    with ProcessPoolExecutor(workers, mp_context=_context()) as pool:
        while waiting or running:
            # Never more in flight than workers: when the pool breaks, every target in flight
            # was in a worker, and the ones not yet submitted are known to be innocent.
            while waiting and len(running) < workers:
                i = waiting.popleft()
                try:
                    future = pool.submit(job, targets[i], limits)
                except BrokenProcessPool:
                    waiting.appendleft(i)
                    return sorted(running.values())
                running[future], since[future] = i, time.monotonic()
            left = min(since[f] for f in running) + timeout - time.monotonic()
            done, _ = wait(running, timeout=max(left, 0.0), return_when=FIRST_COMPLETED)
            if not done:
                _stop(pool)
                now = time.monotonic()
                for future, i in running.items():
                    if now - since[future] >= timeout:
                        results[i] = _failed(targets[i], f"timed out after {timeout:g} s")
                    else:
                        waiting.appendleft(i)
                return []
            broken = False
            for future in done:
                i = running.pop(future)
                try:
                    results[i] = future.result()
                except BrokenProcessPool:
                    broken = True
                    running[future] = i
                except Exception as exc:  # the job raised, or its result could not be sent
                    results[i] = _failed(targets[i], f"{type(exc).__name__}: {exc}")
            if broken:
                return sorted(running.values())
    return []


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers: a worker stuck in an analysis cannot be interrupted."""
    workers: Any = getattr(pool, "_processes", None) or {}
    for process in list(workers.values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _alone(target: Path, limits: Limits | None, job: Job, timeout: float = TIMEOUT) -> Inspection:
    with ProcessPoolExecutor(1, mp_context=_context()) as pool:
        try:
            return pool.submit(job, target, limits).result(timeout=timeout)
        except FuturesTimeout:
            _stop(pool)
            return _failed(target, f"timed out after {timeout:g} s")
        except BrokenProcessPool:
            return _failed(target, "the worker process analysing it died")
        except Exception as exc:
            return _failed(target, f"{type(exc).__name__}: {exc}")


def _context() -> multiprocessing.context.BaseContext:
    # Fresh interpreters, not forks: the caller may hold threads or locks that a fork copies.
    return multiprocessing.get_context("spawn")


def _size(target: Path) -> int:
    try:
        return target.stat().st_size
    except OSError:
        return 0
