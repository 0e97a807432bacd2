"""Fixtures: the upstream, the OSV server, and the proxy in front of them (tests/proxy/world.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaingate.engine import Engine
from chaingate.facts.advisories import AdvisorySettings
from chaingate.net.http import HttpSettings
from chaingate.policy.policy import Policy, file_policy
from chaingate.proxy import ProxyConfig, Served, build
from chaingate.store.db import Store
from tests.guard import conftest as guard
from tests.osvserver import OsvServer
from tests.proxy.world import MALICIOUS, NOW, WHOLLY_MALICIOUS, populate
from tests.pypiserver import PyPIServer

POLICY = """
[gate]
min_release_age = 48
"""


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[PyPIServer]:
    with PyPIServer() as server:
        built = tmp_path / "built"
        built.mkdir()
        populate(server, built)
        yield server


@pytest.fixture
def osv() -> Iterator[OsvServer]:
    records = {r["id"]: r for r in (MALICIOUS, WHOLLY_MALICIOUS)}
    with OsvServer(records) as server:
        yield server


# Fresh virtualenvs for the installers, as the install guards' tests make them.
template_venv = guard.template_venv
venv = guard.venv


@pytest.fixture
def make_proxy(
    upstream: PyPIServer, osv: OsvServer, tmp_path: Path
) -> Iterator[Callable[..., Served]]:
    """`make_proxy(policy_text=POLICY, upstream_url=None, db=None, **ProxyConfig)`: a running
    proxy (closed after); `db` a store URL for its verdicts."""
    opened: list[tuple[Served, Engine, Store | None]] = []

    def make(
        policy_text: str = POLICY,
        upstream_url: str | None = None,
        db: str | None = None,
        **config: object,
    ) -> Served:
        policy = file_policy(("chaingate.toml", policy_text), False) if policy_text else Policy()
        url = upstream_url or upstream.url
        engine = Engine(
            http=HttpSettings(cache_dir=tmp_path / "engine", backoff=0.01, retries=1),
            indexes={"pypi": url},
            policy=policy,
            now=NOW,
            advisories=AdvisorySettings(url=osv.url),
        )
        cfg = ProxyConfig(upstream=url, cache_dir=tmp_path / "proxy", now=NOW, retries=1, **config)  # type: ignore[arg-type]
        store = Store(db) if db else None
        served = Served(build(cfg, engine, store)).__enter__()
        opened.append((served, engine, store))
        return served

    yield make
    for served, engine, store in opened:
        served.__exit__(None, None, None)
        engine.close()
        if store is not None:
            store.close()


@pytest.fixture
def proxy(make_proxy: Callable[..., Served]) -> Served:
    return make_proxy()


@pytest.fixture(autouse=True)
def isolated_installers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pip and uv see only the proxy: none of this machine's configuration or caches."""
    for key in [k for k in os.environ if k.startswith(("PIP_", "UV_"))]:
        monkeypatch.delenv(key)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "pip-cache"))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
