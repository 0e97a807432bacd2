"""The service under test: its database (SQLite, and a fresh PostgreSQL database on
127.0.0.1:5432 -- required in CI, skipped with a reason elsewhere when none answers),
in-process servers (uvicorn on a real socket) and `chaingate serve` processes."""

from __future__ import annotations

import gzip
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pypiserver import FIXTURES

ADMIN = "test-admin-token-" + "x" * 16
NOW = datetime(2026, 11, 1, tzinfo=UTC)  # the signals judge at this time
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def six_doc(*, yanked: bool = False, owner: str = "gutworth", serial: int | None = None) -> bytes:
    """six as recorded from pypi.org, with 1.16.0 yanked, its owner replaced and its
    `last_serial` moved (a change that raises no finding) at will."""
    doc = json.loads(gzip.decompress((FIXTURES / "pypi" / "six.json.gz").read_bytes()))
    if serial is not None:
        doc["last_serial"] = serial
    for f in doc["releases"]["1.16.0"]:
        f["yanked"] = yanked
        f["yanked_reason"] = "compromised release" if yanked else None
    doc["ownership"]["roles"] = [{"role": "Owner", "user": owner}]
    return json.dumps(doc).encode()


def _postgres_database() -> Iterator[str]:
    import psycopg

    name = "cg_serve_" + secrets.token_hex(6)
    try:
        admin = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test",
                                autocommit=True, connect_timeout=3)  # fmt: skip
    except psycopg.OperationalError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 ({exc}); CI runs these")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{PG}/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests on both databases."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_database()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class InProcess:
    """`chaingate serve`'s app on a real socket in this process (uvicorn in a thread), with
    its runtime at hand for looking into the database."""

    def __init__(self, db: str, index_url: str, cache: Path, **settings: Any) -> None:
        import uvicorn

        from chaingate.service.app import create
        from chaingate.service.jobs import bind, make_broker
        from chaingate.service.runtime import Runtime
        from chaingate.service.settings import ServiceSettings

        settings = {"now": NOW, **settings}  # now=None: the clock (domain TTLs run on it)
        self.rt = Runtime(ServiceSettings(db_url=db, index_url=index_url, cache_dir=cache,
                                          admin_token=ADMIN, session_secret="s" * 32,
                                          **settings))  # fmt: skip
        bind(self.rt, make_broker(None))
        self.port = free_port()
        config = uvicorn.Config(create(self.rt), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> InProcess:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            assert time.time() < deadline, "server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.rt.close()


def api(url: str, token: str = ADMIN) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def wait_evaluated(client: httpx.Client, pid: int, after: str | None = None,
                   timeout: float = 60) -> dict[str, Any]:  # fmt: skip
    """The project once evaluated (after the evaluation at `after`, when given)."""
    deadline = time.time() + timeout
    while True:
        doc: dict[str, Any] = client.get(f"/api/v1/projects/{pid}").json()
        if doc.get("evaluated_at") and doc["evaluated_at"] != after:
            return doc
        assert time.time() < deadline, f"project {pid} not evaluated in {timeout} s: {doc}"
        time.sleep(0.2)


class ServeProcess:
    """`chaingate serve` as its own process (so it can be killed with SIGKILL)."""

    def __init__(self, tmp: Path, db: str, index_url: str, *extra: str,
                 env: dict[str, str] | None = None) -> None:  # fmt: skip
        self.port = free_port()
        self.args = [sys.executable, "-m", "chaingate", "serve", "--port", str(self.port),
                     "--db", db, "--index-url", index_url, "--cache-dir", str(tmp / "cache"),
                     "--now", NOW.isoformat(), *extra]  # fmt: skip
        # no OSV, DNS or RDAP on this machine unless a test serves them
        self.env = {**os.environ, "CHAINGATE_ADMIN_TOKEN": ADMIN, "CHAINGATE_ADVISORIES": "off",
                    "CHAINGATE_DOMAIN_CHECKS": "off", **(env or {})}  # fmt: skip
        self.log = tmp / f"serve-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServeProcess:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=log)
        deadline = time.time() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, self.log.read_text()
            assert time.time() < deadline, "serve did not come up: " + self.log.read_text()
            time.sleep(0.2)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no shutdown, no flush
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
