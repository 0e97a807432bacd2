"""`HttpClient.fetch` through libcurl (net/curl.py) and through httpx answers alike: the same
bodies, the same cache and revalidation, and for every fault the same reason, word for
word (reports must not change with the transport; issue 19). Against the local PyPI on
127.0.0.1, each scenario run once per transport (CHAINGATE_HTTP_TRANSPORT)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from chaingate.net.http import FetchError, HttpClient, HttpSettings, uses_libcurl
from tests.pypiserver import PyPIServer, recorded_documents
from tests.serverkit import Delay, Disconnect, Redirect, Status, Truncated

SIX = "/pypi/six/json"


def outcome(server: PyPIServer, tmp_path: Path, transport: str, **settings: object) -> list[str]:
    """What two fetches of six's document (the second one revalidating) give: status,
    where the answer came from and its body's digest, or the error's words."""
    import hashlib

    url = server.url + SIX
    http = HttpSettings(cache_dir=tmp_path / transport, backoff=0.01, retries=1, **settings)  # type: ignore[arg-type]

    async def run() -> list[str]:
        said = []
        for refresh in (False, True):
            client = HttpClient(HttpSettings(**{**_fields(http), "refresh": refresh}))
            async with client:
                try:
                    r = await client.fetch(url, redirect_ok=lambda a, b: "127.0.0.1" in b)
                except FetchError as exc:
                    said.append(f"error: {exc}".replace(server.url, "URL"))
                else:
                    digest = hashlib.sha256(r.body).hexdigest()[:12]
                    said.append(f"{r.status} cached={r.from_cache} {digest}")
        return said

    return asyncio.run(run())


def _fields(s: HttpSettings) -> dict[str, object]:
    return {f: getattr(s, f) for f in s.__struct_fields__}


SCENARIOS: dict[str, Callable[[PyPIServer], object]] = {
    "plain": lambda s: None,
    "500 until given up": lambda s: s.always(SIX, Status(500)),
    "429 asking too long a wait": lambda s: s.always(SIX, Status(429, retry_after=3600)),
    "404": lambda s: s.always(SIX, Status(404)),
    "slow": lambda s: s.always(SIX, Delay(1.5)),
    "truncated": lambda s: s.always(SIX, Truncated()),
    "disconnect": lambda s: s.always(SIX, Disconnect()),
    "redirect refused": lambda s: s.always(SIX, Redirect("http://example.invalid/six.json")),
    "redirect followed": lambda s: s.script(SIX, [Redirect("/pypi/six/json?x=1")] * 2),
}


@pytest.mark.skipif(not uses_libcurl(), reason="pycurl is not installed")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_both_transports_answer_alike(
    scenario: str, pypi_server: PyPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = {}
    for transport in ("curl", "httpx"):
        monkeypatch.setenv("CHAINGATE_HTTP_TRANSPORT", transport)
        SCENARIOS[scenario](pypi_server)
        said[transport] = outcome(pypi_server, tmp_path, transport, timeout=0.4)
        pypi_server.always(SIX, None)
    assert said["curl"] == said["httpx"]
    if scenario.startswith(("plain", "redirect followed")):
        assert said["curl"][0].startswith("200 cached=False")
        assert said["curl"][1].startswith("200 cached=True")  # revalidated: 304, body kept
    elif scenario != "404":
        assert all(s.startswith("error: ") for s in said["curl"])


@pytest.mark.skipif(not uses_libcurl(), reason="pycurl is not installed")
def test_a_gzip_body_is_inflated_and_capped_alike(
    pypi_server: PyPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = recorded_documents()["six"]
    assert len(gzip.compress(body)) < len(body)  # the server sends it gzipped when asked
    said = {}
    for transport in ("curl", "httpx"):
        monkeypatch.setenv("CHAINGATE_HTTP_TRANSPORT", transport)
        said[transport] = outcome(pypi_server, tmp_path, transport, max_document_bytes=1000)
    assert said["curl"] == said["httpx"]
    assert "too large: more than 1000 bytes" in said["curl"][0]
