"""Benchmark: `chaingate proxy` on loopback -- warm page overhead, pages per second, and
`pip install` of the example app's 73 packages through the proxy against the upstream direct.

Everything is on 127.0.0.1: the upstream is tests/pypiserver.py (a threaded
http.server) serving, for each of the 73 packages of examples/webapp/uv.lock, three
releases of a tiny real wheel built here (the pinned version and two older ones, all 400
days old); the proxy is `python -m chaingate proxy` in its own process (one uvicorn
worker, advisories off so nothing leaves the machine, a fresh cache and SQLite store).

1. page overhead: `--requests` sequential GETs of project pages (keep-alive, the 73 pages
   in turn), direct from the upstream and through the warm proxy, interleaved per request;
   p50 and p99 of each and of the difference.
2. pages/s: wrk (2 threads, 32 connections, `--seconds`) on one warm project page of the
   proxy, and on the upstream for comparison; falls back to a Python load generator
   without wrk.
3. pip install: `pip install --no-cache-dir --no-deps` of the 73 pins into a fresh
   virtualenv, direct and through the warm proxy, `--rounds` rounds interleaved.

    .venv/bin/python bench/bench_proxy.py [--rounds 3] [--requests 500] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.inventory.wheels import write_wheel  # noqa: E402
from tests.proxy.world import document, entry  # noqa: E402
from tests.pypiserver import PyPIServer, _Handler  # noqa: E402

# http.server writes headers and body separately: with Nagle's algorithm on, a keep-alive
# client then waits ~40 ms for the delayed ACK on every response. The proxy sets
# TCP_NODELAY (uvicorn); so must the upstream, or "direct" is the slow one.
_Handler.disable_nagle_algorithm = True

OLD = datetime.now(UTC) - timedelta(days=400)


def pins() -> list[tuple[str, str]]:
    lock = tomllib.loads((ROOT / "examples/webapp/uv.lock").read_text())
    return [
        (p["name"], p["version"])
        for p in lock["package"]
        if "version" in p and p.get("source", {}).get("registry")
    ]


def populate(server: PyPIServer, built: Path, wanted: list[tuple[str, str]]) -> None:
    for name, version in wanted:
        releases = {}
        for v in (f"0.0.{i}" for i in (1, 2)):
            w = write_wheel(built, name, v, [])
            server.add_file(w.name, w.read_bytes())
            releases[v] = [entry(w.name, w.read_bytes(), OLD)]
        w = write_wheel(built, name, version, [])
        server.add_file(w.name, w.read_bytes())
        releases[version] = [entry(w.name, w.read_bytes(), OLD + timedelta(days=1))]
        server.add_project(name, document(name, releases))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_proxy(
    upstream: str, work: Path, page_ttl: float = 60
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "CHAINGATE_ADVISORIES": "off"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaingate", "proxy", "--upstream", upstream, "--port", str(port),
         "--cache-dir", str(work / "cache"), "--db", f"sqlite:///{work / 'store.db'}",
         "--policy", str(work / "chaingate.toml"), "--page-ttl", str(page_ttl)],
        env=env, stdout=subprocess.DEVNULL, stderr=open(work / "proxy.log", "wb"), cwd=work,  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/-/healthz").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the proxy did not start: {(work / 'proxy.log').read_text()[-2000:]}")


DEVPI = ROOT / "bench" / ".cache" / "devpi-venv" / "bin"


def start_devpi(upstream: str, work: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    """devpi-server (pip-installed into bench/.cache/devpi-venv, not a project dependency)
    with one mirror index of the upstream; its simple index URL."""
    if not (DEVPI / "devpi-server").exists():
        print("devpi: not installed (python3 -m venv bench/.cache/devpi-venv && "
              "bench/.cache/devpi-venv/bin/pip install devpi-server)")  # fmt: skip
        return None
    import base64

    where = work / "devpi"
    subprocess.run(
        [str(DEVPI / "devpi-init"), "--serverdir", str(where), "--no-root-pypi",
         "--root-passwd", "bench"], check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    proc = subprocess.Popen(
        [str(DEVPI / "devpi-server"), "--serverdir", str(where), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=open(work / "devpi.log", "wb"),  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/+api").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    json_headers = {"Accept": "application/json", "Content-Type": "application/json"}
    login = httpx.post(f"{url}/+login", json={"user": "root", "password": "bench"},
                       headers=json_headers)  # fmt: skip
    token = login.json()["result"]["password"]
    auth = base64.b64encode(f"root:{token}".encode()).decode()
    made = httpx.put(
        f"{url}/root/up",
        json={"type": "mirror", "mirror_url": f"{upstream}/simple/"},
        headers={**json_headers, "X-Devpi-Auth": auth},
    )
    made.raise_for_status()
    return proc, f"{url}/root/up/+simple"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def page_overhead(direct: str, proxy: str, names: list[str], count: int) -> None:
    with httpx.Client() as a, httpx.Client() as b:
        for n in names:  # warm both
            assert b.get(f"{proxy}/simple/{n}/").status_code == 200, n
            a.get(f"{direct}/simple/{n}/")
        d_times, p_times = [], []
        for i in range(count):
            n = names[i % len(names)]
            t = time.perf_counter()
            a.get(f"{direct}/simple/{n}/")
            d_times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            b.get(f"{proxy}/simple/{n}/")
            p_times.append((time.perf_counter() - t) * 1000)
    diffs = [p - d for p, d in zip(p_times, d_times, strict=True)]
    print(f"page latency over {count} requests (ms):")
    for label, xs in (("direct", d_times), ("proxy", p_times), ("overhead", diffs)):
        print(f"  {label:9s} p50 {pct(xs, 0.5):6.2f}  p99 {pct(xs, 0.99):6.2f}  "
              f"min {min(xs):6.2f}  max {max(xs):6.2f}")  # fmt: skip


def load(url: str, seconds: int) -> str:
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", url],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        rps = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
        p50 = next(line for line in out.splitlines() if line.strip().startswith("50%"))
        p99 = next(line for line in out.splitlines() if line.strip().startswith("99%"))
        return (
            f"{rps.split()[-1]} pages/s (wrk -t2 -c32 -d{seconds}s; latency p50 "
            f"{p50.split()[-1]}, p99 {p99.split()[-1]})"
        )
    n, end = 0, time.monotonic() + seconds
    with httpx.Client() as c:
        while time.monotonic() < end:
            c.get(url)
            n += 1
    return f"{n / seconds:.0f} pages/s (one Python client, sequential)"


def venv(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    return where / "bin" / "python"


def pip_install(index: str, wanted: list[tuple[str, str]], work: Path) -> float:
    target = work / f"venv-{time.monotonic_ns()}"
    python = venv(target)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    t = time.perf_counter()
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-cache-dir", "--no-deps",
         "--disable-pip-version-check", "--index-url", f"{index}/",
         *(f"{n}=={v}" for n, v in wanted)],
        check=True, env=env,
    )  # fmt: skip
    took = time.perf_counter() - t
    shutil.rmtree(target)
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    wanted = pins()
    print(f"{len(wanted)} packages from examples/webapp/uv.lock; {os.cpu_count()} cores "
          "(shared with other work)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, PyPIServer() as upstream:
        work = Path(tmp)
        (work / "built").mkdir()
        (work / "chaingate.toml").write_text("[gate]\nmin_release_age = 48\n")
        populate(upstream, work / "built", wanted)
        proc, proxy = start_proxy(upstream.url, work)
        try:
            names = [n for n, _ in wanted]
            t = time.perf_counter()
            with httpx.Client() as c:
                for n in names:
                    c.get(f"{proxy}/simple/{n}/")
            print(f"cold: {len(names)} pages judged in {time.perf_counter() - t:.2f} s")
            print("pages fresh in the proxy (--page-ttl 60):")
            page_overhead(upstream.url, proxy, names, args.requests)
            again, revalidating = start_proxy(upstream.url, work, page_ttl=0)
            try:
                print("every page revalidated with the upstream (--page-ttl 0, 304s):")
                page_overhead(upstream.url, revalidating, names, args.requests)
            finally:
                again.terminate()
                again.wait(10)
            one = names[0]
            print(f"proxy:    {load(f'{proxy}/simple/{one}/', args.seconds)}")
            print(f"upstream: {load(f'{upstream.url}/simple/{one}/', args.seconds)}")
            devpi = start_devpi(upstream.url, work)
            indexes = {"direct": f"{upstream.url}/simple", "proxy": f"{proxy}/simple"}
            if devpi is not None:
                indexes["devpi"] = devpi[1]
            try:
                for index in indexes.values():  # warms the proxies' file caches
                    pip_install(index, wanted, work)
                times: dict[str, list[float]] = {k: [] for k in indexes}
                for _ in range(args.rounds):
                    for label, index in indexes.items():
                        times[label].append(pip_install(index, wanted, work))
            finally:
                if devpi is not None:
                    devpi[0].terminate()
                    devpi[0].wait(10)
            direct, through = times["direct"], times["proxy"]
            ratios = [p / d for p, d in zip(through, direct, strict=True)]
            print(f"pip install of {len(wanted)} pins, {args.rounds} rounds interleaved (s):")
            for label, xs in times.items():
                print(f"  {label:7s} median {statistics.median(xs):.2f}  "
                      f"({', '.join(f'{x:.2f}' for x in xs)})")  # fmt: skip
            print(f"  ratio proxy/direct median {statistics.median(ratios):.2f} "
                  f"(min {min(ratios):.2f}, max {max(ratios):.2f})")  # fmt: skip
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
