"""Known advisories through the command line, as a user runs it: `check` against a local OSV
server (a malicious release blocks, exit 1; the source down fails closed, exit 3), and
`chaingate advisories update` then `check --offline` on the dump with no OSV server at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.facts.test_osv import LITELLM, project_document
from tests.osvserver import OsvServer
from tests.pypiserver import PyPIServer
from tests.serverkit import Status
from tests.test_cli import NOW, run, write


@pytest.fixture
def index(pypi_server: PyPIServer) -> PyPIServer:
    pypi_server.add_project("litellm", project_document("litellm", LITELLM))
    return pypi_server


@pytest.fixture
def osv(monkeypatch: pytest.MonkeyPatch) -> Iterator[OsvServer]:
    with OsvServer() as server:
        monkeypatch.setenv("CHAINGATE_ADVISORIES", "online")
        monkeypatch.setenv("CHAINGATE_OSV_URL", server.url)
        yield server


def check(index: PyPIServer, tmp_path: Path, *args: str) -> tuple[int, dict[str, object], str]:
    proc = run(index, tmp_path, "check", "--no-resolve", "--no-domain-checks", "--now", NOW,
               "--format", "json", *args)  # fmt: skip
    return proc.returncode, json.loads(proc.stdout or "{}"), proc.stderr


def test_check_blocks_a_malicious_release(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", "litellm==1.82.8\nsix==1.17.0\n")
    code, doc, err = check(index, tmp_path)
    assert code == 1, err
    blocked = [f for f in doc["blocked"] if f["id"] == "known-malicious"]  # type: ignore[attr-defined]
    assert blocked and blocked[0]["severity"] == "critical"
    assert blocked[0]["rule"] == "severity.critical = block (default)"
    assert doc["scan"]["checks"]["known-malicious"]["status"] == "ok"  # type: ignore[index]


def test_check_fails_closed_when_the_source_is_down(
    index: PyPIServer, osv: OsvServer, tmp_path: Path
) -> None:
    osv.always("/v1/querybatch", Status(503))
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    code, doc, err = check(index, tmp_path, "--retries", "0")
    assert code == 3, err
    check_status = doc["scan"]["checks"]["known-vulnerability"]  # type: ignore[index]
    assert check_status["status"] == "unavailable" and "HTTP 503" in check_status["reason"]
    assert "could not be analysed" in err


def test_the_offline_dump_is_used_without_any_server(
    index: PyPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "requirements.txt", "litellm==1.82.8\nsix==1.17.0\n")
    with OsvServer() as bucket:
        url = bucket.url
        update = run(None, tmp_path, "advisories", "update", "--url", f"{url}/PyPI/all.zip")
        assert update.returncode == 0, update.stderr
        assert "14 records" in update.stdout
    warm = run(index, tmp_path, "scan", "--no-resolve", "--no-domain-checks", "--now", NOW)
    assert warm.returncode == 0, warm.stderr  # the registry documents, into the cache
    monkeypatch.setenv("CHAINGATE_ADVISORIES", "online")
    monkeypatch.setenv("CHAINGATE_OSV_URL", url)  # closed: --offline must not ask it
    code, doc, err = check(index, tmp_path, "--offline")
    assert code == 1, err
    assert [f["package"] for f in doc["blocked"] if f["id"] == "known-malicious"] == ["litellm"]  # type: ignore[attr-defined]
    reason = doc["scan"]["checks"]["known-malicious"]["reason"]  # type: ignore[index]
    assert reason == "offline OSV dump from 2026-03-26 (244 days old)"
    text = run(index, tmp_path, "check", "--no-resolve", "--no-domain-checks", "--now", NOW,
               "--offline")  # fmt: skip
    assert "advisories: offline OSV dump from 2026-03-26 (244 days old)" in text.stdout


def test_an_unreachable_dump_replaces_nothing(tmp_path: Path) -> None:
    with OsvServer() as gone:
        url = f"{gone.url}/PyPI/all.zip"
    proc = run(None, tmp_path, "advisories", "update", "--url", url)
    assert proc.returncode == 3
    assert proc.stderr.startswith("chaingate: advisories update: ")


def test_advisories_off_asks_no_one_and_a_bad_setting_is_a_usage_error(
    index: PyPIServer, osv: OsvServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "requirements.txt", "litellm==1.82.8\n")
    code, doc, err = check(index, tmp_path, "--advisories", "off")
    assert code == 0, err
    assert "known-malicious" not in doc["scan"]["checks"]  # type: ignore[index]
    assert osv.hits["/v1/querybatch"] == 0
    monkeypatch.setenv("CHAINGATE_ADVISORIES", "sometimes")
    proc = run(index, tmp_path, "check", "--no-resolve", "--no-domain-checks")
    assert proc.returncode == 2
    assert proc.stderr.startswith("chaingate: CHAINGATE_ADVISORIES: 'sometimes' is not online")
