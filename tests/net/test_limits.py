"""Bounded work on any answer (issue 12, item 11): a server that drips its document one byte
at a time, a scan told to end by a deadline, and a document that is small on the wire and
huge once decompressed each end as `incomplete` with the reason -- within a bounded time and
memory. Real `chaingate scan` processes against servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dnsserver import DnsServer
from tests.pypiserver import Delay, PyPIServer
from tests.rdapserver import RdapServer, healthy_world
from tests.serverkit import BackgroundHTTPServer, ScriptedHandler

NOW = "2026-11-25T12:00:00Z"
SCAN = ("--no-resolve", "--no-domain-checks", "--no-db", "--format", "json", "--now", NOW)


class _Hostile(ScriptedHandler):
    """Every project document is hostile: `/drip/...` sends one byte every 0.5 s (each
    within any read timeout), `/bomb/...` a gzip body that inflates to 1 GiB."""

    def _answer(self, head: bool) -> None:
        server = self.owner
        assert isinstance(server, HostileServer)
        if self.path.startswith("/drip/"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):  # 50 s in all
                self.wfile.write(b" ")
                self.wfile.flush()
                server._sleep(0.5)
                if server._closing.is_set():
                    return
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(server.bomb)))
            self.end_headers()
            self.wfile.write(server.bomb)

    def _send_error(self, code: int, extra: object, head: bool) -> None:
        raise NotImplementedError


class HostileServer(BackgroundHTTPServer):
    def __init__(self, bomb: bytes) -> None:
        super().__init__()
        self.bomb = bomb

    def _handler(self) -> type[ScriptedHandler]:
        return _Hostile


def _gzip_bomb(inflated: int) -> bytes:
    """A JSON-looking gzip member of `inflated` bytes (mostly spaces), ~1/1000 the size."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1 << 20)
    parts = [z.compress(b'{"info": {"name": "six"}, "pad": "')]
    parts += [z.compress(chunk) for _ in range(inflated >> 20)]
    parts.append(z.compress(b'"}') + z.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    bomb = _gzip_bomb(1 << 30)
    assert len(bomb) < 2 << 20
    with HostileServer(bomb) as server:
        yield server


# Runs a command and writes the peak resident memory of its process tree (KiB) to a file.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "open(sys.argv[1], 'w').write(str(peak))\n"
    "sys.exit(rc)\n"
)


def chaingate(
    tmp_path: Path,
    index: str,
    *args: str,
    pins: str = "six==1.17.0",
    env: dict[str, str] | None = None,
    domains: bool = False,
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "requirements.txt").write_text("\n".join(pins.split()) + "\n")
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_INDEX_URL": index,
        "CHAINGATE_NO_PREFETCH": "1",
        "PIP_CONFIG_FILE": os.devnull,
        **(env or {}),
    }
    scan = [a for a in _scan(*args) if a != "--no-domain-checks" or not domains]
    return subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / "peak"), *scan],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _scan(*args: str) -> list[str]:
    return [sys.executable, "-m", "chaingate", "scan", *SCAN, *args, "requirements.txt"]


def reasons(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert proc.returncode == 0, proc.stderr
    return {i["package"]: i["reason"] for i in json.loads(proc.stdout)["incomplete"]}


def test_a_dripping_document_ends_at_its_deadline(hostile: HostileServer, tmp_path: Path) -> None:
    """The read timeout restarts with every byte: the document's own deadline, timeout x
    (retries + 1) = 6 s here, ends it (the drip takes 50 s)."""
    started = time.monotonic()
    proc = chaingate(tmp_path, f"{hostile.url}/drip", "--timeout", "3", "--retries", "1")
    assert time.monotonic() - started < 20
    assert "deadline" in reasons(proc)["six"]


def test_the_scan_deadline_ends_the_scan(pypi_server: PyPIServer, tmp_path: Path) -> None:
    """Every document takes 30 s to come (within --timeout 40); --deadline 3 ends the scan
    and says why for each package it could not fetch."""
    for name in ("six", "idna"):
        pypi_server.always(f"/pypi/{name}/json", Delay(30))
    started = time.monotonic()
    proc = chaingate(
        tmp_path,
        pypi_server.url,
        "--timeout",
        "40",
        "--deadline",
        "3",
        pins="six==1.17.0 idna==3.11",
    )
    assert time.monotonic() - started < 15
    got = reasons(proc)
    assert set(got) == {"six", "idna"}
    assert all("scan deadline reached" in r for r in got.values()), got


def test_a_gzip_bomb_is_cut_off_in_bounded_memory(hostile: HostileServer, tmp_path: Path) -> None:
    """1 MB on the wire, 1 GiB inflated: the scan stops reading at the 64 MiB cap, and its
    peak memory stays far below what holding the document would take."""
    proc = chaingate(tmp_path, f"{hostile.url}/bomb", "--retries", "0")
    peak_mib = int((tmp_path / "peak").read_text()) // 1024
    assert "too large" in reasons(proc)["six"]
    assert 20 < peak_mib < 300, f"peak RSS {peak_mib} MiB"


def test_a_dripping_file_download_is_cut_off(hostile: HostileServer, tmp_path: Path) -> None:
    """A file (for --deep, inspect) may be large, so it has no total deadline; but once the
    document deadline is over it must keep up a least rate: the drip is cut off."""
    import asyncio

    from chaingate.net.http import FetchError, HttpClient, HttpSettings

    async def go() -> None:
        async with HttpClient(HttpSettings(cache_dir=None, timeout=1, retries=1)) as client:
            await client.download(
                f"{hostile.url}/drip/demo.whl", tmp_path / "demo.whl", sha256=None, max_bytes=1000
            )

    started = time.monotonic()
    with pytest.raises(FetchError, match="deadline passed"):
        asyncio.run(go())
    assert time.monotonic() - started < 15
    assert list(tmp_path.iterdir()) == []


def test_the_scan_deadline_also_ends_the_domain_checks(
    pypi_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    """A resolver that never answers would hold the email-domain checks for their own
    timeout (--dns-timeout 30); --deadline 4 ends them, and says so."""
    healthy_world(dns_server, rdap_server)
    dns_server.mode = "drop"
    env = {
        "CHAINGATE_DNS_SERVERS": dns_server.spec,
        "CHAINGATE_RDAP_BOOTSTRAP_URL": rdap_server.bootstrap_url,
    }
    started = time.monotonic()
    proc = chaingate(
        tmp_path, pypi_server.url, "--dns-timeout", "30", "--deadline", "4", env=env, domains=True
    )
    assert time.monotonic() - started < 20
    assert proc.returncode == 0, proc.stderr
    checks = json.loads(proc.stdout)["checks"]
    assert checks["dns"]["status"] == "unavailable"
    assert "scan deadline reached" in checks["dns"]["reason"]


def test_the_size_cap_is_an_option(hostile: HostileServer, tmp_path: Path) -> None:
    proc = chaingate(tmp_path, f"{hostile.url}/bomb", "--retries", "0", "--max-document-size", "2")
    assert "too large: more than 2 MiB once decompressed" in reasons(proc)["six"]
