"""`chaingate proxy` on the command line: it serves, and bad input is a clear error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.pypiserver import PyPIServer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_command_serves_the_upstream_through_the_policy(
    upstream: PyPIServer, tmp_path: Path
) -> None:
    (tmp_path / "chaingate.toml").write_text("[gate]\nmin_release_age = 48\n")
    port = _free_port()
    env = {**os.environ, "CHAINGATE_ADVISORIES": "off", "CHAINGATE_PROXY_AUTH": "tok"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chaingate", "proxy", "--upstream", f"{upstream.url}/simple/",
         "--port", str(port), "--cache-dir", str(tmp_path / "cache"),
         "--db", f"sqlite:///{tmp_path / 'store.db'}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{url}/-/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        page = httpx.get(f"{url}/simple/cgsafe/", auth=("__token__", "tok"))
        assert page.status_code == 200
        # Today's clock: cgsafe 1.1 was uploaded "2 hours before" 2026-11-25, long ago now.
        assert "cgsafe-1.0-py3-none-any.whl" in page.text
        assert httpx.get(f"{url}/simple/cgsafe/").status_code == 401
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_bad_upstream_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "chaingate", "proxy", "--upstream", "ftp://mirror.example/"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("chaingate: --upstream: 'ftp://mirror.example/' is not")


def test_a_bad_policy_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    policy = tmp_path / "chaingate.toml"
    policy.write_text('[gate]\nfail_closed = "maybe"\n')
    done = subprocess.run(
        [sys.executable, "-m", "chaingate", "proxy", "--policy", str(policy)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{policy}:2: gate.fail_closed" in done.stderr
