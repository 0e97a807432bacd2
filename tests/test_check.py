"""`chaingate check`, the CI gate, as a user runs it: a real process against the local
PyPI, DNS and RDAP servers; the policy from the project's pyproject.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer
from tests.rdapserver import RdapServer, healthy_world
from tests.test_cli import NOW, run, write


@pytest.fixture(autouse=True)
def local_domain_sources(
    dns_server: DnsServer, rdap_server: RdapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy_world(dns_server, rdap_server)
    monkeypatch.setenv("CHAINGATE_DNS_SERVERS", dns_server.spec)
    monkeypatch.setenv("CHAINGATE_RDAP_BOOTSTRAP_URL", rdap_server.bootstrap_url)


BLOCK_SINGLE_OWNER = """
[tool.chaingate.actions]
single-owner = "block"
"""


def project(tmp_path: Path, policy: str = "") -> None:
    write(tmp_path / "requirements.txt", "requests==2.32.5\nsix==1.17.0\n")
    if policy:
        write(tmp_path / "pyproject.toml", policy)


def test_default_policy_passes_a_healthy_project(pypi_server: PyPIServer, tmp_path: Path) -> None:
    project(tmp_path)
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--now", NOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "result: passed" in proc.stdout


def test_a_block_explains_itself_on_one_screen(pypi_server: PyPIServer, tmp_path: Path) -> None:
    project(tmp_path, BLOCK_SINGLE_OWNER)
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--now", NOW)
    assert proc.returncode == 1
    out = proc.stdout
    block = out[out.index("BLOCKED single-owner  six==1.17.0") :]
    block = block[: block.index("\n\n")] if "\n\n" in block else block
    assert "Only the account 'gutworth' can publish six" in block  # what and why
    assert "account: gutworth" in block  # the evidence
    assert "blocked by: actions.single-owner = block (pyproject.toml:3)" in block  # the rule
    assert "[[tool.chaingate.ignore]]" in block and 'package = "six"' in block  # how to except
    assert len(block.splitlines()) <= 25
    assert "result: BLOCKED" in out


def test_an_exception_with_a_reason_lets_it_pass_until_it_expires(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    exception = """
[[tool.chaingate.ignore]]
id = "single-owner"
package = "six"
reason = "vendored fallback, reviewed 2026-11"
expires = "{expires}"
"""
    project(tmp_path, BLOCK_SINGLE_OWNER + exception.format(expires="2027-01-01"))
    assert run(pypi_server, tmp_path, "check", "--no-resolve", "--now", NOW).returncode == 0
    project(tmp_path, BLOCK_SINGLE_OWNER + exception.format(expires="2026-11-01"))
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--now", NOW)
    assert proc.returncode == 1
    assert "expired on 2026-11-01" in proc.stdout


def test_fail_on_blocks_below_the_policy(pypi_server: PyPIServer, tmp_path: Path) -> None:
    project(tmp_path)
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--fail-on", "info", "--now", NOW)
    assert proc.returncode == 1
    assert "blocked by: severity.info = block (--fail-on info)" in proc.stdout


def test_malformed_policy_is_exit_2_with_file_line_key(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    project(tmp_path, '[tool.chaingate.actions]\ntypo-squat = "block"\n')
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--now", NOW)
    assert proc.returncode == 2
    assert "pyproject.toml:2:" in proc.stderr and "typo-squat" in proc.stderr
    assert "Traceback" not in proc.stderr
    # scan reads the same policy, so it refuses it the same way
    assert run(pypi_server, tmp_path, "scan", "--no-resolve", "--now", NOW).returncode == 2


def test_json_and_sarif_carry_the_decisions(pypi_server: PyPIServer, tmp_path: Path) -> None:
    project(tmp_path, BLOCK_SINGLE_OWNER)
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "-f", "json", "--now", NOW)
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "chaingate/check/v1" and doc["passed"] is False
    assert [(b["id"], b["package"]) for b in doc["blocked"]] == [("single-owner", "six")]
    assert doc["scan"]["schema"] == "chaingate/scan/v1"
    out = tmp_path / "check.sarif"
    proc = run(
        pypi_server, tmp_path, "check", "--no-resolve", "-f", "sarif", "-o", str(out), "--now", NOW
    )
    assert proc.returncode == 1
    sarif = json.loads(out.read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "single-owner" in rules


def test_a_custom_cel_rule(pypi_server: PyPIServer, tmp_path: Path) -> None:
    rule = """
[[tool.chaingate.rules]]
name = "direct single-owner deps need two owners"
expr = 'finding.id == "single-owner" && package.direct'
action = "block"
"""
    project(tmp_path, rule)
    proc = run(pypi_server, tmp_path, "check", "--no-resolve", "--now", NOW)
    assert proc.returncode == 1
    assert "direct single-owner deps need two owners" in proc.stdout


def test_the_gate_fails_closed_on_what_it_could_not_analyse(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """Issue 12, item 6: idna's document answers 500. Before, `check` passed (exit 0); now it
    exits 3 unless --allow-incomplete or `[gate] allow_incomplete = true` lets it pass, and
    says so either way."""
    from tests.serverkit import Status

    pypi_server.always("/pypi/idna/json", Status(500))
    project = tmp_path / "project"
    project.mkdir()
    (project / "requirements.txt").write_text("idna==3.11\n")
    args = ["check", "--no-resolve", "--retries", "0", "--format", "json", "--now", NOW]
    refused = run(pypi_server, tmp_path, *args, cwd=project)
    assert refused.returncode == 3, refused.stderr
    assert "could not be analysed: not passed (exit 3)" in refused.stderr
    allowed = run(pypi_server, tmp_path, *args, "--allow-incomplete", cwd=project)
    assert allowed.returncode == 0, allowed.stderr
    assert "pass anyway (--allow-incomplete)" in allowed.stderr
    (project / "chaingate.toml").write_text("[gate]\nallow_incomplete = true\n")
    by_policy = run(pypi_server, tmp_path, *args, cwd=project)
    assert by_policy.returncode == 0, by_policy.stderr
    assert "[gate] allow_incomplete = true" in by_policy.stderr
    # the old flag still means "fail", whatever the policy says
    assert run(pypi_server, tmp_path, *args, "--fail-incomplete", cwd=project).returncode == 3
