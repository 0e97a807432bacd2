"""`--as-of` as a user runs it: a real `chaingate` process against the local PyPI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pypiserver import PyPIServer
from tests.test_cli import run, write

# 23 hours after six 1.17.0 was uploaded (2024-12-04T17:35Z), after 3.6 quiet years.
NEXT_DAY = "2024-12-05T16:35:00Z"


@pytest.mark.parametrize("command", ["scan", "check"])
def test_bad_as_of_is_exit_2(command: str, tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    proc = run(None, tmp_path, command, "--no-resolve", "--as-of", "yesterday")
    assert proc.returncode == 2
    assert proc.stderr == "chaingate: --as-of: not an ISO 8601 date or time: 'yesterday'\n"


def test_as_of_in_the_future_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    proc = run(None, tmp_path, "check", "--no-resolve", "--as-of", "2999-01-01")
    assert proc.returncode == 2
    assert proc.stderr == "chaingate: --as-of: 2999-01-01 is in the future\n"


def test_as_of_and_now_together_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    proc = run(None, tmp_path, "scan", "--no-resolve", "--as-of", "2024-12-05",
               "--now", "2026-11-25")  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.startswith("chaingate: --as-of and --now: give one")


def test_check_as_of_the_next_day_blocks_the_new_release(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    args = ["--no-resolve", "--no-domain-checks", "--format", "json"]
    proc = run(pypi_server, tmp_path, "check", *args, "--as-of", NEXT_DAY)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert {f["id"] for f in doc["blocked"]} == {"new-release", "dormant-then-release"}
    checks = doc["scan"]["checks"]
    assert checks["ownership"]["status"] == "as-of-now"
    assert "as of now, not as of 2024-12-05T16:35:00Z" in checks["ownership"]["reason"]
    # Today the same pin passes: the release is two years old.
    today = run(pypi_server, tmp_path, "check", *args, "--now", "2026-11-25T12:00:00Z")
    assert today.returncode == 0, today.stdout


def test_scan_as_of_before_the_upload_reports_the_pin_unpublished(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    proc = run(pypi_server, tmp_path, "scan", "--no-resolve", "--no-domain-checks",
               "--format", "json", "--as-of", "2024-12-04")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    [gap] = doc["incomplete"]
    assert "not yet published as of 2024-12-04T00:00:00Z" in gap["reason"]
    assert doc["findings"] == []


def test_the_text_report_says_it_is_as_of(pypi_server: PyPIServer, tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--no-domain-checks",
               "--as-of", NEXT_DAY)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "as of 2024-12-05T16:35:00Z (--as-of)" in proc.stdout
    assert "ownership: as of now, not as of 2024-12-05T16:35:00Z" in proc.stdout.replace("\n", " ")


def test_diff_as_of_judges_both_sides_then(pypi_server: PyPIServer, tmp_path: Path) -> None:
    """A change from six 1.16.0 to 1.17.0 reviewed the day after 1.17.0 came out."""
    import subprocess

    write(tmp_path / "requirements.txt", "six==1.16.0\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "add", "requirements.txt"], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "base"], check=True)
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    args = ["--no-resolve", "--no-domain-checks", "--format", "json", "--as-of", NEXT_DAY]
    proc = run(pypi_server, tmp_path, "diff", "--base", "HEAD", *args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert "new-release" in {f["id"] for f in doc["findings"]}


@pytest.mark.parametrize("fmt", ["markdown", "sarif"])
def test_other_formats_say_which_checks_are_todays(
    fmt: str, pypi_server: PyPIServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    proc = run(pypi_server, tmp_path, "scan", "--no-resolve", "--no-domain-checks",
               "--format", fmt, "--as-of", NEXT_DAY)  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # new-release (high) as of then
    said = {
        "sarif": "check ownership: as of now, not as of 2024-12-05T16:35:00Z",
        "markdown": "ownership (as of now, not as of 2024-12-05T16:35:00Z",
    }
    assert said[fmt] in proc.stdout
    assert fmt == "sarif" or "**Today's:** " in proc.stdout
    assert "unavailable: as of now" not in proc.stdout
