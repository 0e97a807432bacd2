"""Against the real pypi.org (run with `pytest -m live`): the bundled example scans, and the
accounts chaingate reports match PyPI's own JSON for a few packages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.live


def scan_json(tmp_path: Path, cwd: Path, *args: str) -> dict[str, Any]:
    """`chaingate scan ARGS -f json` against the real pypi.org, with its own cache and
    database under `tmp_path`: the parsed report (exit 0 or 1, nothing else)."""
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_DB": f"sqlite:///{tmp_path / 'db'}",
        "CHAINGATE_INDEX_URL": "https://pypi.org",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", *args, "-f", "json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def test_example_app_accounts_match_pypi(tmp_path: Path) -> None:
    doc = scan_json(tmp_path, ROOT, "examples/webapp")
    assert 40 <= doc["summary"]["packages"] <= 150
    assert doc["incomplete"] == []
    packages = {p["name"]: p for p in doc["packages"]}
    for name in ("fastapi", "sqlalchemy", "celery", "httpx"):
        raw = httpx.get(f"https://pypi.org/pypi/{name}/json", timeout=30).json()
        expected = {(r["user"], r["role"]) for r in raw["ownership"]["roles"]}
        got = {(o["account"], o["role"]) for o in packages[name]["owners"]}
        assert got == expected, name


def test_organisations_match_pypi(tmp_path: Path) -> None:
    """click (pallets, no named account), attrs (attrs) and certifi (certifi beside one
    Owner): the organisations chaingate reports are PyPI's `ownership.organization`."""
    names = ("click", "attrs", "certifi")
    (tmp_path / "requirements.txt").write_text("".join(f"{n}\n" for n in names))
    doc = scan_json(tmp_path, tmp_path, "--no-resolve")
    packages = {p["name"]: p for p in doc["packages"]}
    organizations = {o["name"]: o for o in doc["organizations"]}
    for name in names:
        raw = httpx.get(f"https://pypi.org/pypi/{name}/json", timeout=30).json()
        org = raw["ownership"]["organization"]
        assert packages[name]["organization"] == org, name
        assert org is not None and name in organizations[org]["packages"], name
        named = {(r["user"], r["role"]) for r in raw["ownership"]["roles"]}
        beside = {
            (r["account"], r["role"]) for r in organizations[org]["roles"] if name in r["packages"]
        }
        assert beside == named, name
