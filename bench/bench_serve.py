"""Benchmark: `chaingate serve` under load, on loopback only.

A local registry (tests/pypiserver.py) serves 1,000 packages (copies of six's recorded
document under other names); 50 projects of 20 pinned packages each are uploaded to a
`chaingate serve --poll-interval 30` process (SQLite, 2 in-process workers). Then, for
`--minutes` (default 10):

- poll lag: `chaingate_poll_lag_seconds` from /metrics every 5 s, and the registry's
  request count per 30 s window (every package once per window when on time);
- CPU: the server process's user+system time over the run, as a share of one core;
- memory: the server's RSS (VmRSS) every 10 s -- flat or growing;
- API: from minute 2, 50 concurrent clients (threads, one keep-alive connection each)
  for `--api-seconds` (default 60) GET /api/v1/projects/{id} (a full scan document) and
  /api/v1/projects; p50/p99 latency and errors.

    .venv/bin/python bench/bench_serve.py [--minutes 10] [--api-seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pypiserver import PyPIServer  # noqa: E402
from tests.service.conftest import ADMIN, NOW, free_port, six_doc  # noqa: E402

PROJECTS, PER_PROJECT = 50, 20


def _doc(name: str) -> bytes:
    doc = json.loads(six_doc())
    doc["info"]["name"] = name
    return json.dumps(doc).encode()


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _metric(url: str, name: str) -> float:
    for line in httpx.get(f"{url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return float("nan")


def _api_load(url: str, ids: list[int], seconds: float, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    end = time.time() + seconds

    def client(n: int) -> None:
        mine: list[float] = []
        bad = 0
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=30
        ) as c:
            i = n
            while time.time() < end:
                path = "/api/v1/projects" if i % 5 == 0 else f"/api/v1/projects/{ids[i % len(ids)]}"
                t0 = time.perf_counter()
                try:
                    ok = c.get(path).status_code == 200
                except httpx.HTTPError:
                    ok = False
                mine.append(time.perf_counter() - t0)
                bad += not ok
                i += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "rps": len(latencies) / seconds,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--api-seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=50)
    args = ap.parse_args()
    names = [f"pkg{i:04d}" for i in range(PROJECTS * PER_PROJECT)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    with PyPIServer({n: _doc(n) for n in names}) as pypi:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "CHAINGATE_ADMIN_TOKEN": ADMIN, "CHAINGATE_ADVISORIES": "off"}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "chaingate",
                "serve",
                "--port",
                str(port),
                "--db",
                f"sqlite:///{tmp / 'serve.db'}",
                "--index-url",
                pypi.index_url,
                "--cache-dir",
                str(tmp / "cache"),
                "--poll-interval",
                "30",
                "--now",
                NOW.isoformat(),
            ],
            env=env,
            stderr=(tmp / "serve.log").open("wb"),
        )
        try:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            t_setup = time.time()
            ids = []
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=60
            ) as c:
                for p in range(PROJECTS):
                    lock = "".join(
                        f"{n}==1.16.0\n" for n in names[p * PER_PROJECT : (p + 1) * PER_PROJECT]
                    )
                    r = c.post(
                        "/api/v1/projects",
                        json={"name": f"project{p:02d}", "files": {"requirements.txt": lock}},
                    )
                    ids.append(r.json()["id"])
                while any(x["evaluated_at"] is None for x in c.get("/api/v1/projects").json()):
                    time.sleep(1)
            setup = time.time() - t_setup
            watched = _metric(url, "chaingate_watched_packages")
            print(f"setup: 50 projects, {watched:.0f} watched packages evaluated in {setup:.1f} s")
            start = time.time()
            cpu0 = _proc_cpu(proc.pid)
            hits0 = sum(pypi.hits.values())
            lags: list[float] = []
            rss: list[tuple[float, float]] = []
            windows: list[int] = []
            api: dict[str, float] = {}
            api_thread: threading.Thread | None = None
            last_window, last_hits = start, hits0
            while time.time() - start < args.minutes * 60:
                now = time.time() - start
                lags.append(_metric(url, "chaingate_poll_lag_seconds"))
                if not rss or now - rss[-1][0] >= 10:
                    rss.append((now, _rss_mb(proc.pid)))
                if time.time() - last_window >= 30:
                    h = sum(pypi.hits.values())
                    windows.append(h - last_hits)
                    last_window, last_hits = time.time(), h
                if api_thread is None and now >= 120 and args.api_seconds > 0:

                    def run() -> None:
                        api.update(_api_load(url, ids, args.api_seconds, args.clients))

                    api_thread = threading.Thread(target=run)
                    api_thread.start()
                time.sleep(5)
            if api_thread is not None:
                api_thread.join()
            elapsed = time.time() - start
            cpu = _proc_cpu(proc.pid) - cpu0
            print(f"run: {elapsed:.0f} s at --poll-interval 30, {watched:.0f} packages")
            print(
                f"poll lag (s, /metrics every 5 s): max {max(lags):.1f}, "
                f"median {statistics.median(lags):.1f}"
            )
            total = sum(pypi.hits.values()) - hits0
            print(
                f"registry requests: {total} over {elapsed:.0f} s = "
                f"{total / watched / (elapsed / 30):.2f} per package per 30 s "
                f"(30 s windows sampled every 5 s: min {min(windows)}, max {max(windows)})"
            )
            print(
                f"server CPU: {cpu:.1f} s over {elapsed:.0f} s = "
                f"{100 * cpu / elapsed:.1f}% of one core (API load included)"
            )
            print("server RSS (MB) every 10 s: " + " ".join(f"{m:.0f}" for _, m in rss))
            first = statistics.mean(m for _, m in rss[: max(len(rss) // 5, 1)])
            last = statistics.mean(m for _, m in rss[-max(len(rss) // 5, 1) :])
            print(
                f"RSS first fifth {first:.0f} MB, last fifth {last:.0f} MB, "
                f"min {min(m for _, m in rss):.0f}, max {max(m for _, m in rss):.0f}"
            )
            if api:
                print(
                    f"API: {args.clients} clients x {args.api_seconds:.0f} s: "
                    f"{api['requests']:.0f} requests ({api['rps']:.0f}/s), "
                    f"p50 {api['p50_ms']:.1f} ms, p99 {api['p99_ms']:.1f} ms, "
                    f"errors {api['errors']:.0f}"
                )
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
