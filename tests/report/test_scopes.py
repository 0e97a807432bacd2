"""The picture shows runtime first (issue 13): principals are counted per scope in every
format, the top-accounts table ranks accounts by the runtime packages they hold, and a
finding says the scopes of its package. The scan is the shared hand-built one
(conftest.py) with scopes given: certifi only in `dev`, ctx in `runtime` and `docs`."""

from __future__ import annotations

import json
from collections.abc import Callable

from msgspec.structs import replace

from chaingate.core.inventory import Package
from chaingate.engine.result import ScanResult
from chaingate.report.documents import ScanDocument
from chaingate.report.formats import render
from tests.report.conftest import PACKAGES

SCOPES = {"certifi": ("dev",), "ctx": ("runtime", "docs")}


def scoped(build: Callable[..., ScanResult]) -> ScanResult:
    packages = tuple(replace(p, scopes=SCOPES.get(p.name, p.scopes)) for p in PACKAGES)
    base = build()
    return replace(base, inventory=replace(base.inventory, packages=packages))


def by_name(packages: tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def test_json_counts_principals_per_scope_runtime_first(build: Callable[..., ScanResult]) -> None:
    doc = json.loads(render(ScanDocument(scoped(build)), "json"))
    scopes = doc["summary"]["scopes"]
    assert list(scopes) == ["runtime", "dev", "docs"]
    assert scopes["runtime"] == {
        "packages": 4,  # requests, urllib3, ctx, mylib
        "direct": 3,
        "maintainers": 4,  # nateprewitt, sethmlarson, pquentin, aydinnyunus
        "organizations": 1,  # psf
        "email_domains": 3,  # kennethreitz.org, gmail.com, figmm.com
    }
    assert scopes["dev"] == {
        "packages": 1,
        "direct": 0,
        "maintainers": 1,  # lukasa
        "organizations": 0,
        "email_domains": 1,
    }
    packages = {p["name"]: p for p in doc["packages"]}
    assert packages["certifi"]["scopes"] == ["dev"]
    assert packages["ctx"]["scopes"] == ["runtime", "docs"]
    ctx_findings = [f for f in doc["findings"] if f["package"] == "ctx"]
    assert ctx_findings and all(f["scopes"] == ["runtime", "docs"] for f in ctx_findings)
    project = [f for f in doc["findings"] if f["package"] is None]
    assert project and all(f["scopes"] is None for f in project)


def test_text_shows_scopes_and_ranks_accounts_by_runtime(build: Callable[..., ScanResult]) -> None:
    text = render(ScanDocument(scoped(build)), "text", width=120)
    lines = text.splitlines()
    table = lines.index(next(line for line in lines if line.startswith("Scopes")))
    rows = [line.split() for line in lines[table + 1 : table + 8] if line.strip()]
    names = [r[0] for r in rows if r[0] in ("runtime", "dev", "docs")]
    assert names == ["runtime", "dev", "docs"]
    assert "Accounts holding the most runtime packages" in text
    accounts = text[text.index("Accounts holding the most runtime packages") :]
    # lukasa holds only certifi, a dev package: listed after every runtime holder
    assert accounts.index("lukasa") > accounts.index("aydinnyunus")
    lukasa = next(line for line in accounts.splitlines() if line.strip().startswith("lukasa"))
    assert lukasa.split()[1:3] == ["0", "1"]  # runtime 0, other scopes 1
    finding = next(line for line in lines if "ctx==0.2.6" in line and "  " in line.strip())
    assert "runtime, docs" in finding


def test_text_of_a_runtime_only_tree_has_no_scope_table(scan: ScanResult) -> None:
    text = render(ScanDocument(scan), "text", width=120)
    assert "Scopes" not in text
    assert "Accounts holding the most packages" in text


def test_markdown_counts_per_scope(build: Callable[..., ScanResult]) -> None:
    md = render(ScanDocument(scoped(build)), "markdown")
    assert "| scope | packages | maintainer accounts | organisations | email domains |" in md
    at = md.index("| runtime |")
    assert at < md.index("| dev |") < md.index("| docs |")
    assert "| ctx==0.2.6 (runtime, docs) |" in md  # a finding says its package's scopes
