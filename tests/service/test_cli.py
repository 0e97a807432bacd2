"""The service's commands: `watch add|list` against a running server, and the options a
server refuses to start with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.pypiserver import PyPIServer
from tests.service.conftest import ADMIN, InProcess, api, six_doc, wait_evaluated


def _chaingate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaingate", *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_watch_add_uploads_what_scan_reads_and_watch_list_shows_it(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / "sub").mkdir(parents=True)
    (project / "requirements.txt").write_text("six==1.16.0\n")
    (project / "sub" / "requirements.txt").write_text("six==1.15.0\n")
    (project / "README.md").write_text("not a manifest\n")
    with PyPIServer({"six": six_doc()}) as pypi, InProcess(
        f"sqlite:///{tmp_path / 'd.db'}", pypi.index_url, tmp_path / "cache"
    ) as svc:  # fmt: skip
        out = _chaingate("watch", "add", str(project), "--server", svc.url, "--token", ADMIN)
        assert out.returncode == 0, out.stderr
        pid = int(out.stdout)
        with api(svc.url) as c:
            doc = wait_evaluated(c, pid)
        assert doc["name"] == "shop" and doc["files"] == [
            "requirements.txt",
            "sub/requirements.txt",
        ]
        assert sorted(p["ref"] for p in doc["packages"]) == ["pypi:six==1.15.0", "pypi:six==1.16.0"]
        out = _chaingate("watch", "list", "--server", svc.url, "--token", ADMIN)
        assert out.returncode == 0 and f"{pid}\tshop\t" in out.stdout
        out = _chaingate("watch", "list", "--server", svc.url, "--token", "wrong")
        assert out.returncode == 2 and "HTTP 401" in out.stderr


def test_serve_refuses_options_it_cannot_honour(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    out = _chaingate("serve", "--db", db, "--workers", "0")
    assert out.returncode == 2 and "--workers 0 needs --broker" in out.stderr
    out = _chaingate("serve", "--db", db, "--broker", "http://x")
    assert out.returncode == 2 and "--broker" in out.stderr and "redis://" in out.stderr
    out = _chaingate("worker", "--db", db)
    assert out.returncode == 2 and "worker needs --broker" in out.stderr
    out = _chaingate("serve", "--db", db, "--poll-interval", "nan")
    assert out.returncode == 2
