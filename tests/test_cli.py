"""The command line as a user runs it: a real `chaingate` process against the local PyPI.

Each test asserts what a person sees: the exit code, the report, and errors of the form
`chaingate: <file>:<line>: <what is wrong>` without a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer, Status
from tests.rdapserver import RdapServer, healthy_world

NOW = "2026-11-25T12:00:00Z"


@pytest.fixture(autouse=True)
def local_domain_sources(
    dns_server: DnsServer, rdap_server: RdapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Email-domain checks talk to the local DNS and RDAP servers, never the machine's; in
    this world every maintainer domain of the recorded documents exists, registered long
    ago."""
    healthy_world(dns_server, rdap_server)
    monkeypatch.setenv("CHAINGATE_DNS_SERVERS", dns_server.spec)
    monkeypatch.setenv("CHAINGATE_RDAP_BOOTSTRAP_URL", rdap_server.bootstrap_url)


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
    # The command ends without interpreter teardown, yet the store was closed properly: the
    # observations are in the database file and SQLite's write-ahead log is gone.
    assert (tmp_path / "store.db").exists() and not (tmp_path / "store.db-wal").exists()
    with sqlite3.connect(tmp_path / "store.db") as db:
        assert db.execute("SELECT count(*) FROM project_observation").fetchone() == (3,)
        assert db.execute("SELECT packages FROM scan_run").fetchall() == [(3,)]


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


def test_malformed_base_file_of_a_diff_names_file_and_line(tmp_path: Path) -> None:
    """The two-file form of diff: the older copy's error is said like the head's would be,
    never a traceback."""
    write(tmp_path / "old" / "requirements.txt", "six==1.17.0\nfoo @@ bar\n")
    write(tmp_path / "requirements.txt", "six==1.17.0\n")
    args = ["--no-resolve", "--offline", "--no-db"]
    proc = run(None, tmp_path, "diff", "--base", "old/requirements.txt", "requirements.txt", *args)
    assert proc.returncode == 2
    assert proc.stderr.startswith("chaingate: requirements.txt:2: invalid requirement ")
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


def test_domains_command_lists_each_domain_with_its_status(
    pypi_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    # requests' maintainers write from kennethreitz.org and gmail.com.
    dns_server.add("kennethreitz.org", a=["192.0.2.1"], mx=["10 mx.kennethreitz.org."])
    rdap_server.add_domain(
        "kennethreitz.org", registered=datetime(2009, 1, 1, tzinfo=UTC),
        expires=datetime(2030, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    write(tmp_path / "requirements.txt", "requests==2.32.5\n")
    proc = run(pypi_server, tmp_path, "domains", "--no-resolve", "-f", "json", "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "chaingate/domains/v1"
    assert doc["checks"]["dns"]["status"] == "ok" and doc["checks"]["rdap"]["status"] == "ok"
    rows = {d["domain"]: d for d in doc["domains"]}
    assert rows["kennethreitz.org"]["status"] == "registered"
    assert rows["kennethreitz.org"]["rdap"]["registration"].startswith("2009-01-01")
    assert rows["kennethreitz.org"]["packages"] == ["requests"]
    assert "Lukasa" in rows["kennethreitz.org"]["accounts"]
    text = run(pypi_server, tmp_path, "domains", "--no-resolve", "--now", NOW)
    assert "kennethreitz.org" in text.stdout and "registered" in text.stdout


def test_broken_resolver_gives_no_domain_findings_and_says_why(
    pypi_server: PyPIServer, dns_server: DnsServer, tmp_path: Path
) -> None:
    """The machines this was built on: a resolver that says NXDOMAIN for gmail.com."""
    dns_server.mode = "nxdomain"
    write(tmp_path / "requirements.txt", "requests==2.32.5\nsix==1.17.0\n")
    proc = run(pypi_server, tmp_path, "scan", "--no-resolve", "-f", "json", "--now", NOW)
    doc = json.loads(proc.stdout)
    assert not [f for f in doc["findings"] if f["id"].startswith("email-domain-")]
    assert doc["checks"]["dns"]["status"] == "unavailable"
    assert "gmail.com" in doc["checks"]["dns"]["reason"]
    text = run(pypi_server, tmp_path, "scan", "--no-resolve", "--now", NOW).stdout
    assert "dns" in text.lower() and "unavailable" in text.lower()


def test_shared_options_reach_the_scan(
    pypi_server: PyPIServer,
    dns_server: DnsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The options scan, check, diff and domains share, given on the command line instead of
    through CHAINGATE_* variables, each change what the scan does."""
    monkeypatch.delenv("CHAINGATE_DNS_SERVERS")
    write(tmp_path / "requirements.txt", "requests==2.32.5\nsix==1.17.0\n")
    db, cache = tmp_path / "given.db", tmp_path / "given-cache"
    args = [
        "scan", "--no-resolve", "-f", "json", "--now", NOW, "--db", f"sqlite:///{db}",
        "--cache-dir", str(cache), "--cache-ttl", "60", "--concurrency", "2", "--timeout", "5",
        "--retries", "0", "--dns-server", "192.0.2.1:9", "--dns-server", dns_server.spec,
        "--domain-ttl", "1", "--dns-timeout", "0.5",
    ]  # fmt: skip
    for command in ("scan", "check", "domains"):
        proc = run(pypi_server, tmp_path, command, *args[1:])
        assert proc.returncode in (0, 1), proc.stderr
        doc = json.loads(proc.stdout)
        checks = doc.get("scan", doc)["checks"]  # check wraps the scan document
        # The second server answers the canaries: DNS is usable although the first is dead.
        assert checks["dns"]["status"] == "ok", command
    assert db.exists() and not (tmp_path / "store.db").exists()
    assert any(cache.rglob("*.meta")) and not (tmp_path / "cache").exists()
    # --offline with the cache just filled: no request, same packages.
    proc = run(pypi_server, tmp_path, *args, "--offline", "--no-domain-checks")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["incomplete"] == []

    # --cooldown: requests 2.32.5 (August 2025) is "new" only under a cooldown of years.
    def new_releases(*extra: str) -> list[str]:
        proc = run(pypi_server, tmp_path, *args, "--no-domain-checks", *extra)
        doc = json.loads(proc.stdout)
        return [f["package"] for f in doc["findings"] if f["id"] == "new-release"]

    assert new_releases() == []
    assert "requests" in new_releases("--cooldown", "100000")
    assert run(pypi_server, tmp_path, *args, "--cooldown", "bogus").returncode == 2


def test_a_warm_scan_runs_without_an_event_loop(
    pypi_server: PyPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every answer in the cache the scan reads them directly: asyncio and httpx are
    never imported (~0.1 G instructions), and the report is the same."""
    write(tmp_path / "requirements.txt", "requests==2.32.5\nsix==1.17.0\n")
    args = ["scan", "--no-resolve", "-f", "json", "--now", NOW]
    cold = run(pypi_server, tmp_path, *args)
    assert cold.returncode in (0, 1), cold.stderr
    pypi_server.clear_log()
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # the interpreter lists every import

    warm = run(pypi_server, tmp_path, *args)

    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in warm.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "chaingate.engine.scan" in imported  # the listing is real
    assert not imported & {"asyncio", "httpx", "ssl"}
    assert pypi_server.hits == {}
    assert warm.returncode == cold.returncode
    same = ("packages", "maintainers", "findings", "incomplete")
    assert [json.loads(warm.stdout)[k] for k in same] == [json.loads(cold.stdout)[k] for k in same]
