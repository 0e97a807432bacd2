"""The dashboard in a real headless Chromium (Debian's `chromium`, installed by .ci/run,
driven by Playwright): log in, add a project, see a finding appear after a registry
change, open the release timeline. With CHAINGATE_SCREENSHOTS=DIR the pages are saved
there (docs/images holds the ones docs/service.md shows)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.pypiserver import PyPIServer
from tests.service.conftest import ADMIN, InProcess, six_doc

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_page():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise AssertionError(f"{CHROMIUM} missing: .ci/run installs Debian's chromium")
        pytest.skip("no chromium here (apt-get install chromium); CI installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox"])  # fmt: skip
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        try:
            yield page
        finally:
            browser.close()


def _shot(page, tmp: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    where = Path(os.environ.get("CHAINGATE_SCREENSHOTS") or tmp)
    where.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def test_log_in_add_a_project_see_a_finding_appear_open_the_timeline(
    browser_page,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    page = browser_page
    with PyPIServer({"six": six_doc()}) as pypi, InProcess(
        f"sqlite:///{tmp_path / 'd.db'}", pypi.index_url, tmp_path / "cache", poll_interval=1.0
    ) as svc:  # fmt: skip
        page.goto(svc.url + "/")
        assert page.url.endswith("/login")  # not logged in: the form
        page.fill("#token", "not-a-token")
        page.click("#login")
        assert "not valid" in page.inner_text("#error")
        page.fill("#token", ADMIN)
        page.click("#login")
        assert page.url == svc.url + "/"

        page.click("text=Add project")
        page.fill("#name", "webshop")
        page.fill("#file", "../requirements.txt")
        page.fill("#content", "six==1.16.0\n")
        page.click("#add")
        assert "not an accepted file name" in page.inner_text("#error")
        page.fill("#file", "requirements.txt")
        page.click("#add")
        assert "/projects/" in page.url
        project_url = page.url
        _wait(page, lambda: page.inner_text("#evaluated") != "pending")
        assert "gutworth" in page.inner_text("#accounts")
        assert "yanked-version" not in page.inner_text("#findings")

        pypi.add_project("six", six_doc(yanked=True))  # the registry changes
        _wait(page, lambda: "yanked-version" in page.inner_text("#findings"))
        _shot(page, tmp_path, "project")

        page.click("a.timeline-link")
        assert "timeline" in page.url
        assert page.locator("svg.timeline circle.release.in-use").count() == 1
        assert page.locator("svg.timeline rect.dormant").count() >= 1  # six slept 2020-2024
        _shot(page, tmp_path, "timeline")

        page.goto(svc.url + "/")
        assert "webshop" in page.inner_text("#projects")
        _shot(page, tmp_path, "projects")
        page.goto(svc.url + "/alerts")
        assert "yanked-version" in page.inner_text("#alerts")
        _shot(page, tmp_path, "alerts")
        page.goto(project_url)


def _wait(page, ok, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while not ok():
        assert time.time() < deadline, "the page did not change"
        time.sleep(0.5)
        page.reload()


def test_pages_escape_what_came_from_outside_and_forms_need_the_csrf_token(
    tmp_path: Path,
) -> None:
    import re

    import httpx

    evil = "<script>alert(1)</script>"
    with PyPIServer({"six": six_doc()}) as pypi, InProcess(
        f"sqlite:///{tmp_path / 'd.db'}", pypi.index_url, tmp_path / "cache"
    ) as svc, httpx.Client(base_url=svc.url) as b:  # fmt: skip
        b.headers["Authorization"] = f"Bearer {ADMIN}"  # the header works on pages too
        page = b.get("/projects/new")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        form = {"name": evil, "file": "requirements.txt", "content": "six==1.16.0\n"}
        assert b.post("/projects/new", data={**form, "csrf": "forged"}).status_code == 403
        r = b.post("/projects/new", data={**form, "csrf": csrf.group(1)})
        assert r.status_code == 303
        home = b.get("/").text
        assert evil not in home and "&lt;script&gt;" in home
        assert b.get("/projects/1/timeline/pypi/requests").status_code == 404  # not its package
