"""Benchmark: Python HTTP stacks fetching bench/lock150's project documents, against curl.

Each candidate is a small program run as a process (interpreter start-up and its imports
included), fetching the same URLs with the same concurrency as chaingate (16) and reading
every body (no parsing): httpx as chaingate uses it (streamed, HTTP/1.1), httpx over
HTTP/2, aiohttp, and pycurl's multi interface, beside `curl --parallel`. Rounds alternate
the order; medians of wall time and of CPU time (user + system, from rusage), and each
one's ratio to curl per round. The issue 19 choice of a transport rests on this.

aiohttp, pycurl and h2 are not chaingate dependencies: give a Python that has them.

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install httpx h2 aiohttp pycurl
    .venv/bin/python bench/bench_transport.py --python /tmp/tv/bin/python [--rounds 5]
"""

# ruff: noqa: E501  (the programs below are data for the interpreter under test)
from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import LOCK150, document_urls, pins

PROGRAMS = {
    "httpx": r"""
import asyncio, sys
import httpx
H2 = len(sys.argv) > 2 and sys.argv[2] == "h2"
async def main(urls, c):
    sem = asyncio.Semaphore(c)
    async with httpx.AsyncClient(http2=H2, limits=httpx.Limits(max_connections=c, max_keepalive_connections=c), timeout=60, headers={"Accept-Encoding": "gzip"}) as cl:
        async def one(u):
            async with sem:
                async with cl.stream("GET", u) as r:
                    n = 0
                    async for raw in r.aiter_raw():
                        n += len(raw)
                    return n
        return sum(await asyncio.gather(*(one(u) for u in urls)))
print(asyncio.run(main(sys.stdin.read().split(), int(sys.argv[1]))))
""",
    "aiohttp": r"""
import asyncio, sys
import aiohttp
async def main(urls, c):
    sem = asyncio.Semaphore(c)
    conn = aiohttp.TCPConnector(limit=c)
    async with aiohttp.ClientSession(connector=conn, auto_decompress=False, headers={"Accept-Encoding": "gzip"}) as s:
        async def one(u):
            async with sem:
                async with s.get(u) as r:
                    n = 0
                    async for raw in r.content.iter_any():
                        n += len(raw)
                    return n
        return sum(await asyncio.gather(*(one(u) for u in urls)))
print(asyncio.run(main(sys.stdin.read().split(), int(sys.argv[1]))))
""",
    "pycurl": r"""
import sys
import pycurl
urls = sys.stdin.read().split(); c = int(sys.argv[1])
m = pycurl.CurlMulti(); m.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, c)
share = pycurl.CurlShare(); share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_SSL_SESSION); share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_DNS)
total = 0; pending = list(reversed(urls))
def add():
    global total
    u = pending.pop()
    h = pycurl.Curl()
    def write(b):
        global total
        total += len(b)
    h.setopt(pycurl.URL, u); h.setopt(pycurl.WRITEFUNCTION, write); h.setopt(pycurl.HTTPHEADER, ["Accept-Encoding: gzip"])
    h.setopt(pycurl.SHARE, share)
    m.add_handle(h)
active = 0
while pending and active < c:
    add(); active += 1
while active:
    while m.perform()[0] == pycurl.E_CALL_MULTI_PERFORM: pass
    while True:
        n, ok, bad = m.info_read()
        for h in ok + [b[0] for b in bad]:
            m.remove_handle(h); h.close(); active -= 1
            if pending: add(); active += 1
        if bad: print("bad", bad, file=sys.stderr)
        if not n: break
    if active:
        t = m.timeout()
        m.select(1.0 if t < 0 else min(t / 1000, 1.0))
print(total)
""",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", required=True, help="a Python with httpx, h2, aiohttp, pycurl")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    urls = document_urls(list(pins(LOCK150, "https://pypi.org")), "https://pypi.org")
    c = str(args.concurrency)
    config = "".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls)
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for name, code in PROGRAMS.items():
            files[name] = Path(tmp) / f"fetch_{name}.py"  # (not pycurl.py: it would shadow pycurl)
            files[name].write_text(code)
        runs: dict[str, list[str] | None] = {
            "curl": None,
            "pycurl": [args.python, str(files["pycurl"]), c],
            "aiohttp": [args.python, str(files["aiohttp"]), c],
            "httpx": [args.python, str(files["httpx"]), c],
            "httpx-h2": [args.python, str(files["httpx"]), c, "h2"],
        }
        wall: dict[str, list[float]] = {k: [] for k in runs}
        cpu: dict[str, list[float]] = {k: [] for k in runs}
        for i in range(args.rounds):
            order = list(runs.items()) if i % 2 == 0 else list(runs.items())[::-1]
            for name, command in order:
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.perf_counter()
                if command is None:
                    subprocess.run(
                        ["curl", "-sS", "--fail", "--compressed", "-H", "Accept-Encoding: gzip",
                         "--parallel", "--parallel-max", c, "-K", "-"],
                        input=config.encode(), check=True, capture_output=True,
                    )  # fmt: skip
                else:
                    subprocess.run(
                        command, input="\n".join(urls).encode(), check=True, capture_output=True
                    )
                wall[name].append(time.perf_counter() - t)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                cpu[name].append(used)
            print(f"round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in wall.items()))
    for name in runs:
        w = wall[name]
        ratio = statistics.median(a / b for a, b in zip(w, wall["curl"], strict=True))
        print(
            f"{name:9} wall {statistics.median(w):.2f} s ({min(w):.2f}-{max(w):.2f}), "
            f"cpu {statistics.median(cpu[name]):.2f} s, {ratio:.2f}x curl per round"
        )


if __name__ == "__main__":
    main()
