"""What a scan imports, seen in a real `chaingate scan` process (`-X importtime`): libraries
a run has no use for are not loaded (issue 19). A cold scan loads httpx but not httpx's
command-line tool (rich, pygments); a warm scan after it, whose email-domain sources were
found unavailable minutes ago, loads no HTTP client, no DNS library and not the public
suffix list (tldextract, with requests under it), since every answer it needs is kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.pypiserver import PyPIServer
from tests.test_cli import write


def imported(server: PyPIServer, tmp_path: Path, *args: str) -> set[str]:
    """The modules a `chaingate scan` process imports."""
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_DB": f"sqlite:///{tmp_path / 'store.db'}",
        "CHAINGATE_INDEX_URL": server.url,
        # Nothing listens there: both email-domain sources are unavailable.
        "CHAINGATE_DNS_SERVERS": "127.0.0.1:9",
        "CHAINGATE_RDAP_BOOTSTRAP_URL": "http://127.0.0.1:9/dns.json",
        "CHAINGATE_ADVISORIES": "off",
        "CHAINGATE_NO_PREFETCH": "1",
        "PYTHONPROFILEIMPORTTIME": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", "--no-resolve", "--format", "json", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_cold_and_warm_scans_import_only_what_they_use(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    write(tmp_path / "requirements.txt", "six==1.17.0\nrequests==2.32.5\n")

    cold = imported(pypi_server, tmp_path)
    assert "httpx" in cold  # (it fetched: the test sees real imports)
    # (httpx._main is listed, the import refused at once; what it would load is not)
    assert "pygments" not in cold and "rich" not in cold

    warm = imported(pypi_server, tmp_path)
    assert {"httpx", "tldextract", "dns", "asyncio"}.isdisjoint(warm), sorted(
        m for m in warm if m.split(".")[0] in ("httpx", "tldextract", "dns", "asyncio")
    )
