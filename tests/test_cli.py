"""The command line as a user runs it: a real `chaingate` process against the local PyPI.

Each test asserts what a person sees: the exit code, the report, and errors of the form
`chaingate: <file>:<line>: <what is wrong>` without a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pypiserver import PyPIServer, Status

NOW = "2026-11-25T12:00:00Z"


def run(
    server: PyPIServer | None, tmp_path: Path, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_DB": f"sqlite:///{tmp_path / 'store.db'}",
        "PIP_CONFIG_FILE": os.devnull,
    }
    env.pop("CHAINGATE_INDEX_URL", None)
    if server is not None:
        env["CHAINGATE_INDEX_URL"] = server.url
    return subprocess.run(
        [sys.executable, "-m", "chaingate", *args],
        cwd=cwd or tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_json_report_of_a_pinned_project(pypi_server: PyPIServer, tmp_path: Path) -> None:
    write(tmp_path / "app" / "requirements.txt", "requests==2.32.5\nidna==3.11\nsix==1.17.0\n")
    proc = run(
        pypi_server, tmp_path, "scan", "app", "--no-resolve", "--format", "json", "--now", NOW
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "chaingate/scan/v1"
    names = {p["name"]: p for p in doc["packages"]}
    assert set(names) == {"requests", "idna", "six"}
    owners = {o["account"] for o in names["requests"]["owners"]}
    assert owners == {"Lukasa", "graffatcolmingov", "nateprewitt"}
    assert names["requests"]["declared_in"][0]["line"] == 1
    assert any(f["id"] == "single-owner" and f["package"] == "six" for f in doc["findings"])
    assert doc["incomplete"] == []


def test_fail_on_sets_the_exit_code(pypi_server: PyPIServer, tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    assert run(pypi_server, tmp_path, "scan", "--no-resolve", "--now", NOW).returncode == 0
    proc = run(pypi_server, tmp_path, "scan", "--no-resolve", "--fail-on", "info", "--now", NOW)
    assert proc.returncode == 1
    assert "single-owner" in proc.stdout


def test_malformed_lock_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "uv.lock", 'version = 1\n\n[[package]]\nname = "x"\nversion = \n')
    proc = run(None, tmp_path, "scan", "uv.lock")
    assert proc.returncode == 2
    assert proc.stderr.startswith("chaingate: uv.lock:5: ")
    assert "Traceback" not in proc.stderr


def test_malformed_requirement_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\nfoo @@ bar\n")
    proc = run(None, tmp_path, "scan", "requirements.txt", "--no-resolve")
    assert proc.returncode == 2
    assert proc.stderr.startswith("chaingate: requirements.txt:2: ")
    assert "Traceback" not in proc.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for args in (["scan", "missing-dir"], ["scan", ".", "--fail-on", "bogus"], ["nope"]):
        proc = run(None, tmp_path, *args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr


def test_incomplete_analysis_exits_3_only_when_asked(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pypi_server.always("/pypi/idna/json", Status(500))
    write(tmp_path / "requirements.txt", "idna==3.11\n")
    args = ["scan", "--no-resolve", "--retries", "0", "--format", "json", "--now", NOW]
    proc = run(pypi_server, tmp_path, *args)
    assert proc.returncode == 0
    (entry,) = json.loads(proc.stdout)["incomplete"]
    assert entry["package"] == "idna" and "HTTP 500" in entry["reason"]
    assert run(pypi_server, tmp_path, *args, "--fail-incomplete").returncode == 3


def test_private_name_is_reported_even_though_resolution_fails(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """A name missing from the index makes the resolver give up; that is the dependency
    confusion finding, not an input error."""
    write(tmp_path / "requirements.txt", "acme-internal-billing\n")
    proc = run(pypi_server, tmp_path, "scan", "--format", "json", "--now", NOW)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [f["id"] for f in doc["findings"]] == ["not-on-registry"]
    (entry,) = doc["incomplete"]
    assert "could not resolve" in entry["reason"]
    assert "warning" in proc.stderr


def test_sarif_to_a_file(pypi_server: PyPIServer, tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    out = tmp_path / "out.sarif"
    proc = run(
        pypi_server, tmp_path, "scan", "--no-resolve", "-f", "sarif", "-o", str(out), "--now", NOW
    )
    assert proc.returncode == 0 and proc.stdout == ""
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    (result,) = sarif["runs"][0]["results"]
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "requirements.txt"
    assert loc["region"]["startLine"] == 1


def test_exception_with_reason_silences_and_expired_one_does_not(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    policy = """
[[tool.chaingate.ignore]]
id = "single-owner"
package = "six"
reason = "reviewed by the platform team"
expires = "{expires}"
"""
    write(tmp_path / "pyproject.toml", policy.format(expires="2027-01-01"))
    args = ["scan", "requirements.txt", "--no-resolve", "--fail-on", "info", "-f", "json"]
    proc = run(pypi_server, tmp_path, *args, "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["findings"] == []
    assert doc["ignored"][0]["reason"] == "reviewed by the platform team"

    write(tmp_path / "pyproject.toml", policy.format(expires="2026-01-01"))
    proc = run(pypi_server, tmp_path, *args, "--now", NOW)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert [f["id"] for f in doc["findings"]] == ["single-owner"]
    assert any("expired on 2026-01-01" in n for n in doc["notes"])


def test_exception_without_reason_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    write(tmp_path / "pyproject.toml", '[[tool.chaingate.ignore]]\nid = "single-owner"\n')
    proc = run(None, tmp_path, "scan", "requirements.txt", "--no-resolve")
    assert proc.returncode == 2
    assert "pyproject.toml:1:" in proc.stderr and "'reason' is required" in proc.stderr


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_human_formats_show_the_picture_and_findings(
    pypi_server: PyPIServer, tmp_path: Path, fmt: str
) -> None:
    write(tmp_path / "requirements.txt", "requests==2.32.5\nsix==1.17.0\n")
    proc = run(pypi_server, tmp_path, "scan", "--no-resolve", "-f", fmt, "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    picture = "2 packages" if fmt == "text" else "| Packages |"
    assert picture in proc.stdout
    assert "single-owner" in proc.stdout and "six" in proc.stdout
