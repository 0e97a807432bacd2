"""Organisations are principals (issue 13), as a user sees them: `chaingate scan` against
the local PyPI serving the recorded documents of certifi (the organisation certifi and one
Owner, Lukasa), attrs (the organisation attrs and no named account) and wheel (pypa and
three Owners)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.pypiserver import PyPIServer
from tests.test_cli import NOW, local_domain_sources, run, write

__all__ = ["local_domain_sources"]  # the autouse fixture: the local DNS and RDAP servers

PINS = "certifi==2026.10.19.post1\nattrs==26.1.0\nwheel==0.48.0\n"


def scan(server: PyPIServer, tmp_path: Path, pins: str, *args: str) -> str:
    """`chaingate scan` of these pins (as given, no resolver) at the pinned now: its output."""
    write(tmp_path / "requirements.txt", pins)
    proc = run(server, tmp_path, "scan", "--no-resolve", "--now", NOW, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_the_json_report_names_the_organisations(pypi_server: PyPIServer, tmp_path: Path) -> None:
    doc = json.loads(scan(pypi_server, tmp_path, PINS, "-f", "json"))
    assert doc["summary"]["organizations"] == 3
    orgs = {o["name"]: o for o in doc["organizations"]}
    assert orgs["attrs"] == {"name": "attrs", "packages": ["attrs"], "roles": []}
    assert orgs["certifi"]["roles"] == [
        {"account": "Lukasa", "role": "Owner", "packages": ["certifi"]}
    ]
    assert [r["account"] for r in orgs["pypa"]["roles"]] == ["agronholm", "joeforker", "natefoo"]
    by_package = {(f["id"], f["package"]) for f in doc["findings"]}
    # attrs: an organisation and no named account is neither single-owner nor unknown.
    assert ("single-owner", "attrs") not in by_package
    assert ("ownership-unknown", "attrs") not in by_package
    (certifi,) = [f for f in doc["findings"] if f["id"] == "single-owner"]
    assert certifi["package"] == "certifi" and certifi["severity"] == "info"
    assert "Only the account" not in certifi["message"]
    assert "the organisation 'certifi' owns it too" in certifi["message"]
    assert certifi["evidence"]["organization"] == "certifi"


def test_the_picture_shows_the_organisations(pypi_server: PyPIServer, tmp_path: Path) -> None:
    out = scan(pypi_server, tmp_path, PINS)
    assert "3 organisations owning packages (members not public)" in out
    attrs_row = next(line for line in out.splitlines() if line.strip().startswith("attrs "))
    assert "none named" in attrs_row
    assert "Only the account 'Lukasa'" not in out


def test_domains_name_the_organisations_behind_each_domain(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", PINS)
    proc = run(pypi_server, tmp_path, "domains", "--no-resolve", "-f", "json", "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    rows = {d["domain"]: d for d in json.loads(proc.stdout)["domains"]}
    # attrs names hs@ox.cx and no account: the domain is not "nobody's"
    assert rows["ox.cx"]["accounts"] == [] and rows["ox.cx"]["organizations"] == ["attrs"]
    assert rows["kennethreitz.com"]["accounts"] == ["Lukasa"]
    assert rows["kennethreitz.com"]["organizations"] == ["certifi"]
    text = run(pypi_server, tmp_path, "domains", "--no-resolve", "--now", NOW).stdout
    ox = next(line for line in text.splitlines() if line.startswith("ox.cx"))
    assert "org attrs" in ox


# flask's runtime tree, recorded 2026-12-08 (tests/fixtures/pypi/RECORDED.md): pallets owns six
# of the seven packages, pallets-eco owns blinker, and no account is named on any of them.
FLASK = (
    "flask==3.1.3\nclick==8.5.1\njinja2==3.1.6\nwerkzeug==3.1.9\nitsdangerous==2.2.0\n"
    "markupsafe==3.0.4\nblinker==1.9.0\n"
)
PALLETS = ["click", "flask", "itsdangerous", "jinja2", "markupsafe", "werkzeug"]


def test_flasks_tree_is_owned_by_pallets_not_by_nobody(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    doc = json.loads(scan(pypi_server, tmp_path, FLASK, "-f", "json"))
    assert doc["organizations"] == [
        {"name": "pallets", "packages": PALLETS, "roles": []},
        {"name": "pallets-eco", "packages": ["blinker"], "roles": []},
    ]
    assert doc["checks"]["ownership"]["status"] == "ok"
    ids = {f["id"] for f in doc["findings"]}
    assert not ids & {"single-owner", "ownership-unknown"}
    (held,) = [f for f in doc["findings"] if f["id"] == "owner-concentration"]
    assert held["evidence"]["organizations"] == [{"organization": "pallets", "packages": PALLETS}]
    assert "organisation pallets (6)" in held["message"]
    text = scan(pypi_server, tmp_path, FLASK)
    assert "2 organisations owning packages (members not public)" in text
    assert "No maintainer accounts known." not in text


def test_click_repl_is_never_said_to_be_auvipys_alone(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    pins = "click-repl==0.4.1\nclick==8.5.1\n"
    for fmt in ("text", "markdown", "sarif", "json"):
        out = scan(pypi_server, tmp_path, pins, "-f", fmt)
        assert "Only the account 'auvipy' can publish click-repl" not in out, fmt
        assert "can publish click-repl" not in out, fmt
    doc = json.loads(out)
    (finding,) = [f for f in doc["findings"] if f["id"] == "single-owner"]
    assert finding["package"] == "click-repl" and finding["severity"] == "info"
    assert "the organisation 'pallets-eco' owns it too" in finding["message"]
    assert {
        "name": "pallets-eco",
        "packages": ["click-repl"],
        "roles": [{"account": "auvipy", "role": "Maintainer", "packages": ["click-repl"]}],
    } in doc["organizations"]
