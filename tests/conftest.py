"""Shared fixtures: a local PyPI serving the recorded and reconstructed documents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pypiserver import PyPIServer, recorded_documents, replay_documents


@pytest.fixture
def pypi_server() -> Iterator[PyPIServer]:
    """A running local PyPI with every recorded pypi.org document (fixtures/pypi/*.json.gz).

    Projects pypi.org no longer serves (ctx) come from the incident replays; where both exist
    (exotel, num2words) the recording -- today's state -- is served.
    """
    with PyPIServer({**replay_documents(), **recorded_documents()}) as server:
        yield server


@pytest.fixture
def replay_server() -> Iterator[PyPIServer]:
    """Like `pypi_server`, but each incident replay replaces the recording: exotel with 0.1.6,
    num2words with 0.5.15 and 0.5.16, and ctx -- the registry as it looked during the attack.
    """
    with PyPIServer({**recorded_documents(), **replay_documents()}) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_real_advisory_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Known advisories are off unless a test serves them (tests/osvserver.py): the real
    api.osv.dev is not reachable from here, and a default that reached out would make every
    check "unavailable". The variables reach the chaingate processes tests start, too."""
    monkeypatch.setenv("CHAINGATE_ADVISORIES", "off")
    monkeypatch.delenv("CHAINGATE_OSV_URL", raising=False)
    monkeypatch.setenv("CHAINGATE_ADVISORIES_DIR", str(tmp_path_factory.mktemp("advisories")))


@pytest.fixture(autouse=True)
def _no_real_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """api.github.com is not reachable from here: the GitHub checks of a project with
    workflows go to a closed local port (unavailable, fast) unless a test serves them
    (tests/githubserver.py). No token from the environment reaches a test server."""
    monkeypatch.setenv("CHAINGATE_GITHUB_API_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)


_deselected: list[str] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    _deselected.extend(item.nodeid for item in items if item.get_closest_marker("live"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _deselected:
        terminalreporter.write_line(
            f"{len(_deselected)} live test(s) not run: they talk to the real pypi.org; "
            "run them with `python -m pytest -m live`: " + ", ".join(_deselected)
        )


# --- email-domain intelligence: a local DNS server and RDAP service ------------------------

from tests.dnsserver import DnsServer  # noqa: E402
from tests.rdapserver import RdapServer  # noqa: E402


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    """A running local DNS server (UDP and TCP on `.port`; `--dns-server {dns_server.spec}`)
    that knows the canaries pypi.org, gmail.com and python.org: a healthy resolver. Set
    `.mode = "nxdomain"` for the resolver of these machines."""
    with DnsServer() as server:
        yield server


@pytest.fixture
def rdap_server() -> Iterator[RdapServer]:
    """A running local RDAP service whose bootstrap (`.bootstrap_url`) points at itself for
    com, net, org, io, dev, info, co and uk; pypi.org and python.org are registered."""
    with RdapServer() as server:
        yield server
