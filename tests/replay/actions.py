"""The GitHub Actions replays of docs/replays.md: a workflow scanned against the local GitHub
API server (tests/githubserver.py) whose repositories are RECONSTRUCTED from the public
reports, with a store, so a tag that moved between two scans is seen, and the default
policy's verdict. Used by tests/replay/table.py (the table) and tests/replay/test_actions.py
(the assertions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from chaingate.engine import Engine
from chaingate.engine.result import ScanResult
from chaingate.inventory.build import build_inventory
from chaingate.net.http import HttpSettings
from chaingate.policy.interface import Action
from chaingate.policy.policy import Policy, decide
from chaingate.store.db import Store
from tests.githubserver import (
    Commit,
    GitHubServer,
    first_party_checkout,
    repoint_reviewdog,
    repoint_tj_actions,
    reviewdog_action_setup,
    sha,
    tj_actions,
)

GITHUB = ("github-actions", "pre-commit")


class Scenario(msgspec.Struct, frozen=True):
    name: str
    uses: str  # the workflow's `uses:` (a function of the server's state: SHAs are made there)
    before: datetime | None  # a first scan then (the store's observation), or none
    at: datetime  # the scan judged
    change: str  # what happened between the scans
    blind: str


class Outcome(msgspec.Struct, frozen=True):
    findings: tuple[tuple[str, str], ...]
    verdict: str  # blocks, warns, passes


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _impostor(server: GitHubServer) -> str:
    repo = server.repos["actions/checkout"]
    bad = sha("fork:impostor")
    repo.fork_commits[bad] = Commit("2025-03-01T00:00:00Z", (repo.branches["main"],))
    return f"actions/checkout@{bad}"


SCENARIOS: tuple[
    tuple[Scenario, Callable[[GitHubServer], str], Callable[[GitHubServer], None]], ...
] = (
    (
        Scenario(
            "tj-actions/changed-files",
            "tj-actions/changed-files@v35",
            _t("2025-03-13T12:00"),
            _t("2025-03-14T18:00"),
            "every tag re-pointed to 0e58ed8671d6b60d0890c21b07f8835ace038e67 (2025-03-14)",
            "the first scan after the move sees it; a project first scanned after the move has "
            "no earlier commit to compare with (unpinned-action still says the ref can move)",
        ),
        lambda s: "tj-actions/changed-files@v35",
        lambda s: repoint_tj_actions(s.repos["tj-actions/changed-files"]),
    ),
    (
        Scenario(
            "reviewdog/action-setup",
            "reviewdog/action-setup@v1",
            _t("2025-03-10T12:00"),
            _t("2025-03-11T20:00"),
            "the annotated tag v1 moved to a new commit (2025-03-11)",
            "as above; the payload (secrets printed to the log) is not read",
        ),
        lambda s: "reviewdog/action-setup@v1",
        lambda s: repoint_reviewdog(s.repos["reviewdog/action-setup"]) and None,
    ),
    (
        Scenario(
            "impostor commit",
            "actions/checkout@<a fork's commit>",
            None,
            _t("2025-03-14T18:00"),
            "a commit pushed to a fork, pinned by SHA under actions/checkout",
            "nothing: the SHA is checked against every branch and tag (up to 30 compares)",
        ),
        _impostor,
        lambda s: None,
    ),
    (
        Scenario(
            "clean, pinned by SHA",
            "actions/checkout@<v4.2.2's commit>",
            None,
            _t("2025-03-14T18:00"),
            "nothing",
            "-",
        ),
        lambda s: f"actions/checkout@{s.repos['actions/checkout'].commit_of('v4.2.2')}",
        lambda s: None,
    ),
)


def _workflow(root: Path, uses: str) -> Path:
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True, exist_ok=True)
    (wf / "ci.yml").write_text(
        "on: pull_request\npermissions: {contents: read}\njobs:\n  changed:\n"
        f"    runs-on: ubuntu-latest\n    steps:\n      - uses: {uses}\n"
    )
    return root


def _scan(server: GitHubServer, root: Path, work: Path, when: datetime, later: bool) -> ScanResult:
    with Engine(
        indexes=dict.fromkeys(GITHUB, server.url),
        http=HttpSettings(cache_dir=work / "cache", timeout=5, retries=0, refresh=later),
        store=Store(f"sqlite:///{work}/db.sqlite"),
        now=when,
    ) as e:
        return e.scan(build_inventory(root, index_url="unused", resolve_deps=False))


def replay(index: int, work: Path) -> Outcome:
    scenario, uses_of, attack = SCENARIOS[index]
    repos = [tj_actions(), reviewdog_action_setup(), first_party_checkout()]
    with GitHubServer(repos) as server:
        root = _workflow(work / "repo", uses_of(server))
        if scenario.before is not None:
            _scan(server, root, work, scenario.before, later=False)
        attack(server)
        result = _scan(server, root, work, scenario.at, later=True)
    actions = {d.action for d in decide(result, Policy(), scenario.at.date())}
    verdict = (
        "blocks"
        if Action.BLOCK in actions or result.incomplete
        else ("warns" if Action.WARN in actions else "passes")
    )
    return Outcome(tuple((f.id, f.severity.label) for f in result.findings), verdict)
