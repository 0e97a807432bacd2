"""Real pip and real uv installing through the proxy from a local upstream (world.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chaingate.proxy import Served
from tests.pypiserver import PyPIServer

INSTALLERS = ("pip", "uv")


def install(
    installer: str, venv: Path, index: str, *requirements: str
) -> subprocess.CompletedProcess[str]:
    """`pip install` or `uv pip install` of `requirements` from `index` into `venv`."""
    python = str(venv / "bin" / "python")
    if installer == "pip":
        cmd = [python, "-m", "pip", "install", "--disable-pip-version-check", "--retries", "0",
               "--no-cache-dir", "-vv", "--index-url", index, *requirements]  # fmt: skip
    else:
        from uv import find_uv_bin

        cmd = [find_uv_bin(), "pip", "install", "--python", python, "--no-cache",
               "--index-url", index, *requirements]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def installed(venv: Path) -> dict[str, str]:
    (lib,) = (venv / "lib").glob("python3*/site-packages")
    out = {}
    for info in lib.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        out[name.lower()] = version
    return out


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_release_inside_the_cooldown_is_skipped_and_the_previous_installed(
    installer: str, proxy: Served, venv: Path
) -> None:
    done = install(installer, venv, f"{proxy.url}/simple/", "cgsafe")
    assert done.returncode == 0, done.stderr
    assert installed(venv)["cgsafe"] == "1.0"
    why = httpx.get(f"{proxy.url}/-/decisions", params={"project": "cgsafe"}).json()
    state = {v["version"]: (v["state"], v["offered"]) for v in why["versions"]}
    assert state["1.1"] == ("cooldown", False)
    assert "min_release_age is 48 h" in why["versions"][1]["reasons"][0]


EXEMPT = """
[actions]
new-release = "ignore"
dormant-then-release = "ignore"
[gate]
min_release_age = 48
min_release_age_exclude = ["CGSafe"]
"""


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_package_exempt_from_the_cooldown_installs_its_newest_release(
    installer: str, make_proxy: Callable[..., Served], venv: Path
) -> None:
    proxy = make_proxy(EXEMPT)
    done = install(installer, venv, f"{proxy.url}/simple/", "cgsafe")
    assert done.returncode == 0, done.stderr
    assert installed(venv)["cgsafe"] == "1.1"


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_typosquat_is_refused_with_did_you_mean(
    installer: str, proxy: Served, venv: Path
) -> None:
    done = install(installer, venv, f"{proxy.url}/simple/", "reqeusts")
    assert done.returncode != 0
    assert "reqeusts" not in installed(venv)
    # pip (with -vv) prints the URL it was refused at, which says why; uv says 403.
    said = done.stdout + done.stderr
    assert ("did-you-mean-requests" if installer == "pip" else "403 Forbidden") in said
    page = httpx.get(f"{proxy.url}/simple/reqeusts/", follow_redirects=True)
    assert page.status_code == 403
    assert "did you mean 'requests'" in page.text
    assert "did you mean 'requests'" in page.headers["x-chaingate-reason"]


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_known_malicious_version_is_refused(installer: str, proxy: Served, venv: Path) -> None:
    done = install(installer, venv, f"{proxy.url}/simple/", "cgevil==2.0")
    assert done.returncode != 0
    assert "cgevil" not in installed(venv)
    done = install(installer, venv, f"{proxy.url}/simple/", "cgevil")
    assert done.returncode == 0, done.stderr
    assert installed(venv)["cgevil"] == "1.0"
    direct = httpx.get(f"{proxy.url}/files/cgevil/cgevil-2.0-py3-none-any.whl")
    assert direct.status_code == 403
    assert "MAL-2099-0001" in direct.headers["x-chaingate-reason"]
    assert "known-malicious" in direct.text


@pytest.mark.parametrize("installer", INSTALLERS)
def test_a_file_whose_bytes_differ_from_the_announced_digest_is_refused(
    installer: str, proxy: Served, venv: Path, tmp_path: Path
) -> None:
    done = install(installer, venv, f"{proxy.url}/simple/", "cgbad")
    assert done.returncode != 0
    assert "cgbad" not in installed(venv)
    direct = httpx.get(f"{proxy.url}/files/cgbad/cgbad-1.0-py3-none-any.whl")
    assert direct.status_code == 502
    assert "do not match the sha256" in direct.text
    kept = [p for p in (tmp_path / "proxy" / "files").rglob("*") if p.is_file()]
    assert kept == []


@pytest.mark.parametrize("installer", INSTALLERS)
def test_the_upstream_down_fails_closed_with_a_clear_message(
    installer: str, make_proxy: Callable[..., Served], upstream: PyPIServer, venv: Path
) -> None:
    dead = upstream.url
    upstream.close()
    proxy = make_proxy(upstream_url=dead)
    done = install(installer, venv, f"{proxy.url}/simple/", "cgsafe")
    assert done.returncode != 0
    assert "cgsafe" not in installed(venv)
    said = done.stdout + done.stderr
    assert "/-/refused/cgsafe/the-upstream-index" in said, said[-2000:]
    page = httpx.get(f"{proxy.url}/simple/cgsafe/", follow_redirects=True)
    assert page.status_code == 503
    assert "cannot be reached" in page.text and "fails closed" in page.text
