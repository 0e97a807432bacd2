"""The store on a bad day: a first creation cut short by a full disk (issue 12, item 10), and
SQLite URI-form URLs, read-only among them (item 16). Real `chaingate scan` processes against
the local PyPI server; the full disk is a real file size limit (RLIMIT_FSIZE) on the process.
"""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from chaingate.store.db import Store
from chaingate.store.models import Base
from tests.pypiserver import PyPIServer

NOW = "2026-11-25T12:00:00Z"
SCAN = ("--no-domain-checks", "--no-resolve", "--now", NOW)


def run(
    server: PyPIServer,
    cwd: Path,
    db: str,
    *,
    limit: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    (cwd / "requirements.txt").write_text("six==1.17.0\n")
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(cwd / "cache"),
        "CHAINGATE_INDEX_URL": server.url,
        "PIP_CONFIG_FILE": os.devnull,
    }
    return subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", *SCAN, "--db", db, "requirements.txt"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
    )


def _disk_full_at_32k() -> None:
    """In the child: no file may grow past 32 KiB, and a write beyond fails (EFBIG) instead
    of killing the process, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))


def observations(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM project_observation")]


def test_a_database_whose_creation_failed_works_on_the_next_run(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "store.db"
    first = run(pypi_server, tmp_path, f"sqlite:///{db}", limit=_disk_full_at_32k)
    assert first.returncode == 2, first.stderr
    assert "cannot open database" in first.stderr and "Traceback" not in first.stderr

    second = run(pypi_server, tmp_path, f"sqlite:///{db}")
    assert second.returncode == 0, second.stderr
    assert observations(db) == ["six"]


def test_a_schema_left_half_made_by_an_older_run_is_repaired(tmp_path: Path) -> None:
    db = tmp_path / "half.db"
    with sqlite3.connect(db) as conn:  # one empty table of ours, no alembic_version
        conn.execute(str(_create(Base.metadata.tables["project_observation"])))
    Store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"alembic_version", "project_observation", "scan_run"} <= tables


def test_a_database_shared_with_other_tables_keeps_them(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
        conn.execute("INSERT INTO invoices VALUES (1)")
    Store(f"sqlite:///{db}").close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id FROM invoices").fetchall() == [(1,)]
        assert conn.execute("SELECT count(*) FROM project_observation").fetchone() == (0,)


def _create(table: object) -> object:
    from sqlalchemy.schema import CreateTable

    return CreateTable(table)  # type: ignore[arg-type]


def test_a_uri_form_url_creates_no_file_colon_directory(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    result = run(pypi_server, tmp_path, "sqlite:///file:data/store.db?mode=ro&uri=true")
    assert not any(p.name.startswith("file:") for p in tmp_path.rglob("*"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot open database sqlite:///file:data/store.db?mode=ro" in result.stderr


def test_a_read_only_database_is_read_and_not_written(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    writable = run(pypi_server, tmp_path, "sqlite:///data/store.db")
    assert writable.returncode == 0, writable.stderr
    before = (tmp_path / "data" / "store.db").read_bytes()

    read_only = run(pypi_server, tmp_path, "sqlite:///file:data/store.db?mode=ro&uri=true")
    assert read_only.returncode == 0, read_only.stderr
    assert "Traceback" not in read_only.stderr
    assert not any(p.name.startswith("file:") for p in tmp_path.rglob("*"))
    assert (tmp_path / "data" / "store.db").read_bytes() == before
