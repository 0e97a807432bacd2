"""The API on both databases: tokens, limits, bad files, projects, webhooks, metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import jsonschema
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from chaingate.store.service_tables import SvcToken
from tests.pypiserver import PyPIServer
from tests.service.conftest import InProcess, api, six_doc, wait_evaluated

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "src/chaingate/report/scan-v1.schema.json").read_text()
)
LOCK = {"requirements.txt": "six==1.16.0\n"}


@pytest.fixture
def svc(db_url: str, tmp_path: Path) -> Iterator[InProcess]:
    with PyPIServer({"six": six_doc()}) as pypi, InProcess(
        db_url, pypi.index_url, tmp_path / "cache", poll_interval=300.0, max_upload_bytes=4096
    ) as s:  # fmt: skip
        yield s


def _token(svc: InProcess, name: str, read_only: bool) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "chaingate", "token", "create", name, "--db", svc.rt.settings.db_url,
         *(["--read-only"] if read_only else [])],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip()


def test_tokens_are_hashed_and_read_only_ones_change_nothing(svc: InProcess) -> None:
    writer, reader = _token(svc, "ci", False), _token(svc, "viewer", True)
    with Session(svc.rt.db) as s:
        rows = list(s.scalars(select(SvcToken)))
        dump = " ".join(str(r) for r in s.execute(text("SELECT * FROM svc_token")).all())
    assert {r.name for r in rows} == {"ci", "viewer"}
    assert writer not in dump and reader not in dump  # only hashes are kept
    with httpx.Client(base_url=svc.url) as anon:
        assert anon.get("/api/v1/projects").status_code == 401
        r = anon.get("/api/v1/projects", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert anon.get("/api/v1/projects", headers={"Authorization": reader}).status_code == 401
    with api(svc.url, reader) as c:
        assert c.get("/api/v1/projects").status_code == 200
        r = c.post("/api/v1/projects", json={"name": "x", "files": LOCK})
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
        hook = {"url": "http://127.0.0.1:9/", "secret": "s" * 16}
        assert c.post("/api/v1/webhooks", json=hook).status_code == 403
    with api(svc.url, writer) as c:
        assert c.post("/api/v1/projects", json={"name": "x", "files": LOCK}).status_code == 201


def test_projects_crud_and_the_scan_schema(svc: InProcess) -> None:
    with api(svc.url) as c:
        r = c.post("/api/v1/projects", json={"name": "demo", "files": LOCK})
        assert r.status_code == 201
        pid = r.json()["id"]
        assert r.json() == {"id": pid, "name": "demo"}
        doc = wait_evaluated(c, pid)
        jsonschema.validate({k: v for k, v in doc.items()
                             if k not in ("id", "name", "files", "evaluated_at", "status")},
                            SCHEMA)  # fmt: skip
        assert [p["ref"] for p in doc["packages"]] == ["pypi:six==1.16.0"]
        assert doc["files"] == ["requirements.txt"]
        (listed,) = c.get("/api/v1/projects").json()
        assert listed["id"] == pid and listed["evaluated_at"] == doc["evaluated_at"]

        new = {"requirements.txt": "six==1.15.0\nnot-on-the-index==1.0\n"}
        assert c.put(f"/api/v1/projects/{pid}/files", json={"files": new}).status_code == 204
        doc2 = wait_evaluated(c, pid, after=doc["evaluated_at"])
        assert sorted(p["ref"] for p in doc2["packages"]) == [
            "pypi:not-on-the-index==1.0", "pypi:six==1.15.0"]  # fmt: skip
        assert "chaingate_watched_packages 2.0" in c.get("/metrics").text
        new = {"requirements.txt": "six==1.15.0\n"}  # a package dropped is no longer watched
        assert c.put(f"/api/v1/projects/{pid}/files", json={"files": new}).status_code == 204
        wait_evaluated(c, pid, after=doc2["evaluated_at"])
        assert "chaingate_watched_packages 1.0" in c.get("/metrics").text

        assert c.delete(f"/api/v1/projects/{pid}").status_code == 204
        assert "chaingate_watched_packages 0.0" in c.get("/metrics").text
        assert c.get(f"/api/v1/projects/{pid}").status_code == 404
        assert c.put("/api/v1/projects/999/files", json={"files": LOCK}).status_code == 404


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"pyproject.toml": "[project\nname = 1\n"}, "chaingate: pyproject.toml:1: invalid TOML"),
        (
            {"sub/poetry.lock": "[[package]]\nname = 'x'\n[[package\n"},
            "chaingate: sub/poetry.lock:3:",
        ),
        ({"notes.txt": "hello"}, "chaingate: notes.txt: not a manifest or lock file"),
        ({}, "chaingate: no files"),
        ({"../../etc/requirements.txt": "six\n"}, "not an accepted file name"),
        ({"/tmp/requirements.txt": "six\n"}, "not an accepted file name"),
        ({"a\\..\\requirements.txt": "six\n"}, "not an accepted file name"),
        ({"./requirements.txt": "six\n"}, "not an accepted file name"),
        ({"C:/requirements.txt": "six\n"}, "not an accepted file name"),
    ],
)
def test_bad_files_are_422_with_file_and_line(
    svc: InProcess, files: dict[str, str], message: str
) -> None:
    with api(svc.url) as c:
        r = c.post("/api/v1/projects", json={"name": "bad", "files": files})
        assert r.status_code == 422, r.text
        assert message in r.json()["detail"]
        assert "/tmp/chaingate-upload" not in r.text  # the private directory is never named
        assert c.get("/api/v1/projects").json() == []  # nothing kept


def test_a_body_over_the_limit_is_413(svc: InProcess) -> None:
    big = {"requirements.txt": "six==1.16.0\n" + "# padding\n" * 1000}
    with api(svc.url) as c:
        r = c.post("/api/v1/projects", json={"name": "big", "files": big})
        assert r.status_code == 413 and "4096 bytes" in r.json()["detail"]

        def chunks():  # no Content-Length: counted while it streams in
            yield b'{"name": "big", "files": {"requirements.txt": "'
            for _ in range(100):
                yield b"x" * 100
            yield b'"}}'

        r = c.post("/api/v1/projects", content=chunks(),
                   headers={"Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 413
        assert c.get("/api/v1/projects").json() == []


def test_webhooks_openapi_health_and_metrics(svc: InProcess) -> None:
    with api(svc.url) as c:
        hook = {"url": "http://127.0.0.1:9/h", "secret": "s" * 20, "min_severity": "high",
                "format": "slack"}  # fmt: skip
        r = c.post("/api/v1/webhooks", json=hook)
        assert r.status_code == 201
        assert "secret" not in r.json()
        bad = {"url": "file:///etc/passwd", "secret": "s" * 20}
        assert c.post("/api/v1/webhooks", json=bad).status_code == 422
        assert c.post("/api/v1/webhooks", json={"url": "http://x/", "secret": "short"}
                      ).status_code == 422  # fmt: skip
        (hook,) = c.get("/api/v1/webhooks").json()
        assert hook["min_severity"] == "high" and "secret" not in hook
        spec = c.get("/api/v1/openapi.json").json()
        assert {
            "/api/v1/projects",
            "/api/v1/projects/{project_id}",
            "/api/v1/webhooks",
            "/api/v1/alerts",
            "/api/v1/projects/{project_id}/files",
        } <= set(spec["paths"])
        pid = c.post("/api/v1/projects", json={"name": "demo", "files": LOCK}).json()["id"]
        wait_evaluated(c, pid)
        assert c.get("/healthz").json() == {"status": "ok"}
        metrics = c.get("/metrics").text
        assert "chaingate_watched_packages 1.0" in metrics
        assert 'chaingate_deliveries{status="pending"} 0.0' in metrics
        assert "chaingate_poll_lag_seconds" in metrics
