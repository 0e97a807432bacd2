"""Facts unavailable (the registry's JSON API answering 503): the proxy fails closed for the
versions `[gate] fail_closed` names, and says why."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from chaingate.proxy import Served
from tests.pypiserver import PyPIServer, Status


@pytest.fixture(autouse=True)
def registry_down(upstream: PyPIServer) -> None:
    upstream.always("/pypi/cgsafe/json", Status(503))


def versions(proxy: Served) -> dict[str, tuple[str, bool]]:
    why = httpx.get(f"{proxy.url}/-/decisions", params={"project": "cgsafe"}).json()
    return {v["version"]: (v["state"], v["offered"]) for v in why["versions"]}


def test_by_default_only_versions_past_the_cooldown_are_served_unjudged(
    make_proxy: Callable[..., Served],
) -> None:
    proxy = make_proxy("[gate]\nmin_release_age = 48\n")
    page = httpx.get(f"{proxy.url}/simple/cgsafe/")
    assert page.status_code == 200
    assert "cgsafe-1.0-" in page.text and "cgsafe-1.1-" not in page.text
    assert versions(proxy) == {"1.0": ("warned", True), "1.1": ("cooldown", False)}


@pytest.mark.parametrize(
    "policy",
    [
        '[gate]\nmin_release_age = 48\nfail_closed = "all"\n',
        "[gate]\nmin_release_age = 0\n",  # no cooldown: every version is young
        '[gate]\nmin_release_age = 48\nmin_release_age_exclude = ["cgsafe"]\n',
    ],
)
def test_an_unjudged_young_version_fails_the_page_closed(
    make_proxy: Callable[..., Served], policy: str
) -> None:
    proxy = make_proxy(policy)
    page = httpx.get(f"{proxy.url}/simple/cgsafe/", follow_redirects=True)
    assert page.status_code == 503
    assert "unavailable" in page.text and "fails closed" in page.text
    assert "HTTP 503" in page.headers["x-chaingate-reason"]
    unjudged = [v for v, (state, _) in versions(proxy).items() if state == "unavailable"]
    assert unjudged
    for version in unjudged:  # its file, asked for directly, is refused the same way
        wheel = httpx.get(f"{proxy.url}/files/cgsafe/cgsafe-{version}-py3-none-any.whl")
        assert wheel.status_code == 503
        assert "HTTP 503" in wheel.headers["x-chaingate-reason"]


def test_fail_closed_none_serves_what_could_not_be_judged(
    make_proxy: Callable[..., Served],
) -> None:
    proxy = make_proxy('[gate]\nmin_release_age = 0\nfail_closed = "none"\n')
    page = httpx.get(f"{proxy.url}/simple/cgsafe/")
    assert page.status_code == 200
    assert "cgsafe-1.1-" in page.text
