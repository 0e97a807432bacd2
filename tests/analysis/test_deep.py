"""`chaingate scan --deep`: every package's code is read from the index (real HTTP, local
server), findings carry the package, and a file that cannot be had is incomplete, never
clean. Samples are inert (URLs under example.invalid, never run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.analysis.test_fetch import INIT, demo_releases, publish, wheel_bytes
from tests.pypiserver import PyPIServer, Status


def scan(server: PyPIServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("CHAINGATE_INDEX_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", str(tmp_path / "requirements.txt"),
         "--no-resolve", "--no-db", "--no-domain-checks", "--deep", "-f", "json",
         "--index-url", server.url, "--retries", "1", "--now", "2026-11-25T00:00:00Z", *args],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip


def _code(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if "artifact" in f.get("evidence", {})]


def world(server: PyPIServer, tmp_path: Path) -> None:
    publish(server, "demo", demo_releases())
    publish(
        server,
        "calm",
        {"2.0": {"calm-2.0-py3-none-any.whl": wheel_bytes({"calm/__init__.py": INIT})}},
    )
    (tmp_path / "requirements.txt").write_text("demo==1.0.1\ncalm==2.0\n")


def test_deep_scan_reads_every_package_and_caches_the_analysis(tmp_path: Path) -> None:
    with PyPIServer() as server:
        world(server, tmp_path)
        proc = scan(server, tmp_path)
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(proc.stdout)
        code = _code(doc)
        assert {f["package"] for f in code} == {"demo"}  # calm is quiet
        hook = next(f for f in code if f["id"] == "install-hook")
        assert hook["severity"] in ("high", "critical") and hook["version"] == "1.0.1"
        assert hook["evidence"]["artifact"] == "demo-1.0.1.tar.gz"
        assert hook["evidence"]["locations"][0]["path"] == "demo-1.0.1/setup.py"
        assert doc["checks"]["artifact-analysis"]["status"] == "ok"
        downloads = server.hits["/files/demo-1.0.1.tar.gz"]
        again = scan(server, tmp_path)
        assert json.loads(again.stdout)["findings"] == doc["findings"]
        assert server.hits["/files/demo-1.0.1.tar.gz"] == downloads
    assert list((tmp_path / "cache" / "inspections").rglob("*.json"))


def test_a_file_that_cannot_be_downloaded_is_incomplete_not_clean(tmp_path: Path) -> None:
    with PyPIServer() as server:
        world(server, tmp_path)
        server.always("/files/calm-2.0-py3-none-any.whl", Status(503))
        proc = scan(server, tmp_path, "--fail-incomplete")
    doc = json.loads(proc.stdout)
    assert doc["checks"]["artifact-analysis"]["status"] == "unavailable"
    assert "calm==2.0" in doc["checks"]["artifact-analysis"]["reason"]
    (entry,) = [i for i in doc["incomplete"] if i["package"] == "calm"]
    assert "artifact analysis" in entry["reason"] and "HTTP 503" in entry["reason"]
    assert proc.returncode == 1  # demo's findings still count


def test_without_deep_no_code_is_read(tmp_path: Path) -> None:
    with PyPIServer() as server:
        world(server, tmp_path)
        env = {**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "cache")}
        proc = subprocess.run(
            [sys.executable, "-m", "chaingate", "scan", str(tmp_path / "requirements.txt"),
             "--no-resolve", "--no-db", "--no-domain-checks", "-f", "json",
             "--index-url", server.url],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        assert not any(p.startswith("/files/") for p in server.hits)
    doc = json.loads(proc.stdout)
    assert not _code(doc) and "artifact-analysis" not in doc["checks"]


def test_a_tampered_cached_file_is_fetched_again_not_analysed(tmp_path: Path) -> None:
    with PyPIServer() as server:
        world(server, tmp_path)
        first = json.loads(scan(server, tmp_path).stdout)
        (cached,) = (tmp_path / "cache" / "artifacts").rglob("demo-1.0.1.tar.gz")
        cached.write_bytes(b"swapped on disk")
        downloads = server.hits["/files/demo-1.0.1.tar.gz"]
        again = json.loads(scan(server, tmp_path).stdout)
        assert server.hits["/files/demo-1.0.1.tar.gz"] == downloads + 1
    assert again["findings"] == first["findings"]


def test_offline_uses_what_is_cached_and_fetches_nothing(tmp_path: Path) -> None:
    with PyPIServer() as server:
        world(server, tmp_path)
        first = json.loads(scan(server, tmp_path).stdout)
        before = sum(server.hits.values())
        again = json.loads(scan(server, tmp_path, "--offline").stdout)
        assert sum(server.hits.values()) == before
    assert again["findings"] == first["findings"]
    assert again["checks"]["artifact-analysis"]["status"] == "ok"


def test_offline_with_nothing_cached_is_incomplete_not_clean(tmp_path: Path) -> None:
    with PyPIServer() as server:
        world(server, tmp_path)
        proc = scan(server, tmp_path, "--offline", "--fail-incomplete")
        assert not any(path.startswith("/files/") for path in server.hits)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 3
    assert {i["package"] for i in doc["incomplete"]} >= {"demo", "calm"}
    assert not _code(doc)


def test_a_file_beyond_the_analyser_bounds_is_incomplete_on_every_scan(tmp_path: Path) -> None:
    # Issue 12, item 12: 1.6 MB of dense statements does not parse within the memory cap, and
    # the package is incomplete, the second (warm) scan too: never a clean cached report.
    big = wheel_bytes({"calm/__init__.py": INIT, "calm/gen.py": b"x=1;" * 400_000})
    with PyPIServer() as server:
        publish(server, "calm", {"2.0": {"calm-2.0-py3-none-any.whl": big}})
        (tmp_path / "requirements.txt").write_text("calm==2.0\n")
        for _ in range(2):
            proc = scan(server, tmp_path, "--fail-incomplete")
            doc = json.loads(proc.stdout)
            (entry,) = [i for i in doc["incomplete"] if i["package"] == "calm"]
            assert "calm/gen.py: out of memory while parsing" in entry["reason"]
            assert proc.returncode == 3, proc.stderr
