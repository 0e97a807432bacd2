"""GitHub Actions and pre-commit hooks with their facts from a GitHub REST API server on
127.0.0.1 (tests/githubserver.py; api.github.com is not reachable here): owners and
organisations, archived repositories, tags re-pointed between two scans (the store keeps
each tag's commit), impostor commits from forks, an API that is down or out of rate limit
(unavailable by name, never clean), ETag revalidation and the token, `chaingate pin`
against it, and `diff` and policy on the new ecosystems."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.findings import Severity
from chaingate.core.refs import PackageRef
from chaingate.engine import Engine
from chaingate.engine.result import ScanResult
from chaingate.inventory.build import build_inventory
from chaingate.net.http import HttpSettings
from chaingate.policy.policy import load_policy
from chaingate.store.db import Store
from tests.githubserver import (
    TJ_MALICIOUS,
    Commit,
    GitHubServer,
    Repo,
    first_party_checkout,
    repoint_reviewdog,
    repoint_tj_actions,
    reviewdog_action_setup,
    sha,
    tj_actions,
)
from tests.serverkit import Status

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
GITHUB = ("github-actions", "pre-commit")


def workflow(root: Path, uses: list[str], name: str = "ci.yml", extra: str = "") -> Path:
    wf = root / ".github" / "workflows"
    wf.mkdir(parents=True, exist_ok=True)
    steps = "".join(f"      - uses: {u}\n" for u in uses)
    (wf / name).write_text(
        "on: push\npermissions: {contents: read}\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
        f"    steps:\n{steps}{extra}"
    )
    return root


def engine(tmp_path: Path, server: GitHubServer | str, later: bool = False, **kw: Any) -> Engine:
    """An engine against `server`; `later`: a run after the documents' max-age (60 s, as
    GitHub sends) has passed, so each is revalidated."""
    url = server if isinstance(server, str) else server.url
    return Engine(
        indexes=dict.fromkeys(GITHUB, url),
        http=HttpSettings(cache_dir=tmp_path / "cache", timeout=5, retries=0, refresh=later),
        now=NOW,
        **kw,
    )


def scan(root: Path, e: Engine) -> ScanResult:
    return e.scan(build_inventory(root, index_url="unused", resolve_deps=False))


def found(result: ScanResult) -> dict[tuple[str, str | None], Any]:
    return {(f.id, f.package): f for f in result.findings}


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer([tj_actions(), reviewdog_action_setup(), first_party_checkout()]) as s:
        yield s


def test_facts_owner_releases_and_tag_commits(tmp_path: Path, github: GitHubServer) -> None:
    root = workflow(tmp_path / "r", ["tj-actions/changed-files@v35", "actions/checkout@v4.2.2"])
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    tj = result.facts[PackageRef("github-actions", "tj-actions/changed-files")]
    assert tj.organization == "tj-actions" and tj.owners == ()
    assert tj.repository == "https://github.com/tj-actions/changed-files"
    (ref,) = tj.refs
    assert (ref.ref, ref.kind, ref.commit) == (
        "v35",
        "tag",
        github.repos["tj-actions/changed-files"].commit_of("v35"),
    )
    assert tj.release("v35") is not None and tj.release("v35").uploaded_at is not None  # type: ignore[union-attr]
    assert result.incomplete == ()
    assert result.checks["action-ref-moved"].status == "unavailable"  # no store here
    assert result.checks["action-impostor-commit"].status == "ok"
    # organisations join the picture of whom the project trusts
    assert {o.name for o in result.organizations()} >= {"tj-actions", "actions"}


def test_tag_re_pointed_between_scans_is_critical(tmp_path: Path, github: GitHubServer) -> None:
    """tj-actions/changed-files, March 2025 (RECONSTRUCTED history): a workflow using @v35
    scanned before and after the tags were re-pointed to 0e58ed86..."""
    root = workflow(tmp_path / "r", ["tj-actions/changed-files@v35"])
    store = Store(f"sqlite:///{tmp_path}/db.sqlite")
    with engine(tmp_path, github, store=store) as e:
        before = scan(root, e)
    assert "action-ref-moved" not in {f.id for f in before.findings}
    old = github.repos["tj-actions/changed-files"].commit_of("v35")
    repoint_tj_actions(github.repos["tj-actions/changed-files"])
    with engine(tmp_path, github, later=True, store=Store(f"sqlite:///{tmp_path}/db.sqlite")) as e:
        after = scan(root, e)
    moved = found(after)[("action-ref-moved", "tj-actions/changed-files")]
    assert moved.severity is Severity.CRITICAL
    assert moved.evidence["commit"] == TJ_MALICIOUS
    assert moved.evidence["previous_commit"] == old
    assert after.checks["action-ref-moved"].status == "ok"
    # a re-run (the store now holds the new commit) still says so while the tag points at
    # a commit on no branch: re-running a blocked job does not pass it
    with engine(tmp_path, github, later=True, store=Store(f"sqlite:///{tmp_path}/db.sqlite")) as e:
        again = scan(root, e)
    still = found(again)[("action-ref-moved", "tj-actions/changed-files")]
    assert still.severity is Severity.CRITICAL and still.evidence["previous_commit"] == old


def test_annotated_tag_followed_and_its_move_seen(tmp_path: Path, github: GitHubServer) -> None:
    """reviewdog/action-setup@v1 (RECONSTRUCTED): `v1` is an annotated tag."""
    root = workflow(tmp_path / "r", ["reviewdog/action-setup@v1"])
    db = f"sqlite:///{tmp_path}/db.sqlite"
    with engine(tmp_path, github, store=Store(db)) as e:
        first = scan(root, e)
    facts = first.facts[PackageRef("github-actions", "reviewdog/action-setup")]
    assert facts.refs[0].commit == github.repos["reviewdog/action-setup"].commit_of("v1")
    assert any("/git/tags/" in path for path in github.hits)
    bad = repoint_reviewdog(github.repos["reviewdog/action-setup"])
    with engine(tmp_path, github, later=True, store=Store(db)) as e:
        second = scan(root, e)
    assert found(second)[("action-ref-moved", "reviewdog/action-setup")].evidence["commit"] == bad


def test_impostor_commit_from_a_fork(tmp_path: Path, github: GitHubServer) -> None:
    repo = github.repos["actions/checkout"]
    impostor = sha("fork:evil")
    repo.fork_commits[impostor] = Commit("2026-11-30T00:00:00Z", (repo.branches["main"],))
    own = repo.commit_of("v4.2.2")
    root = workflow(
        tmp_path / "r",
        [
            f"actions/checkout@{impostor}",
            f"tj-actions/changed-files@{github.repos['tj-actions/changed-files'].commit_of('v3')}",
        ],
    )
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    by = found(result)
    assert by[("action-impostor-commit", "actions/checkout")].severity is Severity.CRITICAL
    assert impostor in by[("action-impostor-commit", "actions/checkout")].message
    assert ("action-impostor-commit", "tj-actions/changed-files") not in by  # in main's history
    assert ("unpinned-action", "actions/checkout") not in by
    # the same repository pinned to its own commit: quiet
    root2 = workflow(tmp_path / "r2", [f"actions/checkout@{own}"])
    with engine(tmp_path, github) as e:
        quiet = scan(root2, e)
    assert {f.id for f in quiet.findings if f.package == "actions/checkout"} <= {"new-release"}


def test_a_commit_on_no_ref_of_many_is_unavailable_not_clean(
    tmp_path: Path, github: GitHubServer
) -> None:
    repo = github.repos["tj-actions/changed-files"]
    for i in range(40):
        repo.branches[f"b{i}"] = repo.branches["main"]
    stray = sha("stray")
    repo.fork_commits[stray] = Commit("2026-11-30T00:00:00Z", ())
    root = workflow(tmp_path / "r", [f"tj-actions/changed-files@{stray}"])
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    assert "action-impostor-commit" not in {f.id for f in result.findings}
    assert result.checks["action-impostor-commit"].status == "unavailable"
    assert "too many branches" in result.checks["action-impostor-commit"].reason


def test_archived_action(tmp_path: Path, github: GitHubServer) -> None:
    github.repos["reviewdog/action-setup"].archived = True
    root = workflow(tmp_path / "r", ["reviewdog/action-setup@v1.3.0"])
    with engine(tmp_path, github) as e:
        ids = {f.id for f in scan(root, e).findings}
    assert "archived-action" in ids and "project-archived" not in ids


def test_unreachable_github_is_unavailable_by_name(tmp_path: Path) -> None:
    root = workflow(tmp_path / "r", ["tj-actions/changed-files@v35"])
    with engine(tmp_path, "http://127.0.0.1:9") as e:
        result = scan(root, e)
    for check in ("action-ref-moved", "action-impostor-commit", "archived-action"):
        assert result.checks[check].status == "unavailable", check
    assert [i.package for i in result.incomplete] == ["tj-actions/changed-files"]
    # the syntax check still works offline
    assert (
        found(result)[("unpinned-action", "tj-actions/changed-files")].severity is Severity.MEDIUM
    )


def test_rate_limit_is_unavailable_with_its_reset(tmp_path: Path, github: GitHubServer) -> None:
    github.rate_limited()
    root = workflow(tmp_path / "r", ["tj-actions/changed-files@v35"])
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    (gap,) = result.incomplete
    assert "rate limit" in gap.reason and "2026-01-01T00:00:00Z" in gap.reason
    assert github.hits["/repos/tj-actions/changed-files"] == 1  # not retried into the wall
    assert result.checks["action-ref-moved"].status == "unavailable"


def test_revalidates_with_etag_and_sends_the_token(
    tmp_path: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    root = workflow(tmp_path / "r", ["actions/checkout@v4.2.2"])
    with engine(tmp_path, github) as e:
        scan(root, e)
    github.clear_log()
    with engine(tmp_path, github, later=True) as e:
        scan(root, e)
    repo_requests = [h for m, p, h in github.requests if p == "/repos/actions/checkout"]
    assert repo_requests and all("if-none-match" in h for h in repo_requests)
    assert all(h.get("authorization") == "Bearer ghp_test" for _, _, h in github.requests)


def test_a_server_error_is_incomplete(tmp_path: Path, github: GitHubServer) -> None:
    github.always("/repos/actions/checkout/releases?per_page=100", Status(500))
    root = workflow(tmp_path / "r", ["actions/checkout@v4.2.2"])
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    assert [i.package for i in result.incomplete] == ["actions/checkout"]
    assert "500" in result.incomplete[0].reason


def test_hooks_are_looked_up_on_github(tmp_path: Path, github: GitHubServer) -> None:
    black = github.add(Repo("psf", "black"))
    black.tags["24.1.0"] = black.line("main", 3)[-1]
    root = tmp_path / "r"
    root.mkdir()
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n- repo: https://github.com/psf/black\n  rev: 24.1.0\n  hooks: [{id: black}]\n"
        "- repo: https://gitlab.com/x/y\n  rev: " + "a" * 40 + "\n  hooks: [{id: y}]\n"
        "- repo: local\n  hooks: [{id: lint, language: node, entry: eslint,"
        " additional_dependencies: [eslint@8.0.0]}]\n"
    )
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    facts = result.facts[PackageRef("pre-commit", "github.com/psf/black")]
    assert facts.organization == "psf"
    assert "unpinned-hook" in {f.id for f in result.findings}
    gaps = {i.package: i.reason for i in result.incomplete}
    assert "not hosted on GitHub" in gaps["gitlab.com/x/y"]
    assert "not analysed" in gaps["eslint@8.0.0"]  # npm: said, never silently clean


def test_owner_concentration_counts_action_owners(tmp_path: Path, github: GitHubServer) -> None:
    uses = []
    for i in range(6):
        r = github.add(Repo("solo-dev", f"act{i}", owner_type="User"))
        r.tags["v1"] = r.line("main", 1)[-1]
        uses.append(f"solo-dev/act{i}@v1")
    root = workflow(tmp_path / "r", uses)
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    conc = found(result)[("owner-concentration", None)]
    assert conc.evidence["accounts"][0]["account"] == "solo-dev"
    assert len(conc.evidence["accounts"][0]["packages"]) == 6


def test_diff_and_policy_work_on_actions(tmp_path: Path, github: GitHubServer) -> None:
    base = workflow(tmp_path / "base", ["actions/checkout@v4.2.2"])
    head = workflow(tmp_path / "head", ["actions/checkout@v4.2.2", "reviewdog/action-setup@v1"])
    (head / "chaingate.toml").write_text(
        '[[ignore]]\nid = "unpinned-action"\npackage = "github-actions:actions/checkout"\n'
        'reason = "first party, reviewed"\n'
    )
    policy = load_policy(head)
    with engine(tmp_path, github, policy=policy) as e:
        result = e.diff(
            build_inventory(base, index_url="unused", resolve_deps=False),
            build_inventory(head, index_url="unused", resolve_deps=False),
        )
    assert [p.name for p in result.added] == ["reviewdog/action-setup"]
    new = {(f.id, f.package) for f in result.new_findings}
    assert ("unpinned-action", "reviewdog/action-setup") in new
    assert ("unpinned-action", "actions/checkout") not in new  # the base had it
    from chaingate.policy.interface import Action
    from chaingate.policy.policy import decide

    decisions = {
        (d.finding.id, d.finding.package): d.action for d in decide(result.head, policy, NOW.date())
    }
    assert decisions[("unpinned-action", "actions/checkout")] is Action.IGNORE


def test_pin_against_the_server(tmp_path: Path, github: GitHubServer) -> None:
    from click.testing import CliRunner

    from chaingate.cli.entry import app

    root = workflow(
        tmp_path / "r", ["reviewdog/action-setup@v1", "actions/checkout@v4.2.2", "nobody/here@v1"]
    )
    runner = CliRunner()
    result = runner.invoke(
        app, ["pin", "--github-api-url", github.url, "--cache-dir", str(tmp_path / "c"), str(root)]
    )
    assert result.exit_code == 3, result.output  # nobody/here could not be resolved
    text = (root / ".github" / "workflows" / "ci.yml").read_text()
    v1 = github.repos["reviewdog/action-setup"].commit_of("v1")  # the annotated tag's commit
    assert f"uses: reviewdog/action-setup@{v1} # v1\n" in text
    assert (
        f"uses: actions/checkout@{github.repos['actions/checkout'].commit_of('v4.2.2')} # v4.2.2\n"
        in text
    )
    assert "nobody/here@v1\n" in text
    assert runner.invoke(app, ["pin", "--check", str(root)]).exit_code == 1  # nobody/here


def test_a_floating_tag_moving_along_main_is_low_not_critical(
    tmp_path: Path, github: GitHubServer
) -> None:
    """actions/checkout@v4 follows each v4.x.y release: a move along the default branch is
    a floating tag's update (low), not an attack; an exact version tag moved is high."""
    root = workflow(tmp_path / "r", ["actions/checkout@v4", "actions/checkout@v4.2.2"])
    db = f"sqlite:///{tmp_path}/db.sqlite"
    with engine(tmp_path, github, store=Store(db)) as e:
        scan(root, e)
    repo = github.repos["actions/checkout"]
    (newer,) = repo.line("main", 1, start="2025-01-10")
    repo.tags["v4"] = newer
    repo.tags["v4.2.2"] = newer
    with engine(tmp_path, github, later=True, store=Store(db)) as e:
        result = scan(root, e)
    moved = {f.version: f for f in result.findings if f.id == "action-ref-moved"}
    assert moved["v4"].severity is Severity.LOW
    assert moved["v4"].evidence["on_a_branch"] is True
    assert moved["v4.2.2"].severity is Severity.HIGH


def test_every_report_format_names_the_workflow_line(tmp_path: Path, github: GitHubServer) -> None:
    from chaingate.report import ScanDocument, formats_for, render

    root = workflow(tmp_path / "r", ["tj-actions/changed-files@v35"])
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    for fmt in formats_for(ScanDocument):
        assert "tj-actions/changed-files" in render(ScanDocument(result), fmt), fmt
    sarif = json.loads(render(ScanDocument(result), "sarif"))
    located = [
        loc["physicalLocation"]
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "unpinned-action"
        for loc in r.get("locations", [])
    ]
    assert located[0]["artifactLocation"]["uri"].endswith(".github/workflows/ci.yml")
    assert located[0]["region"]["startLine"] == 7
    doc = json.loads(render(ScanDocument(result), "json"))
    (pkg,) = [p for p in doc["packages"] if p["ecosystem"] == "github-actions"]
    assert pkg["paths"] == [
        [".github/workflows/ci.yml", "job build", "step 1", "tj-actions/changed-files@v35"]
    ]
    assert pkg["organization"] == "tj-actions"


def test_a_tag_named_like_a_commit_is_not_taken_for_one(
    tmp_path: Path, github: GitHubServer
) -> None:
    """A tag whose name is 40 hex digits looks like a SHA pin but can be moved: the SHA is
    looked up as a commit, which does not exist, so the package is incomplete, not clean."""
    repo = github.repos["tj-actions/changed-files"]
    fake = "f" * 40
    repo.tags[fake] = repo.branches["main"]
    root = workflow(tmp_path / "r", [f"tj-actions/changed-files@{fake}"])
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    (gap,) = result.incomplete
    assert gap.package == "tj-actions/changed-files" and "not on the index" in gap.reason
    assert "unpinned-action" not in {f.id for f in result.findings}  # it is spelled as a pin


def test_diff_says_an_unanalysed_hook_dependency_once(tmp_path: Path, github: GitHubServer) -> None:
    """An npm hook dependency the base already had is not news on every pull request (the
    gate would fail on every one); one the change adds is incomplete."""
    config = (
        "repos:\n- repo: local\n  hooks: [{id: lint, language: node, entry: eslint,"
        " additional_dependencies: [%s]}]\n"
    )
    sides = {}
    for side, deps in (("base", "eslint@8.0.0"), ("same", "eslint@8.0.0"),
                       ("more", "eslint@8.0.0, prettier@3.1.0")):  # fmt: skip
        root = workflow(tmp_path / side, ["actions/checkout@v4.2.2"])
        (root / ".pre-commit-config.yaml").write_text(config % deps)
        sides[side] = build_inventory(root, index_url="unused", resolve_deps=False)
    with engine(tmp_path, github) as e:
        same = e.diff(sides["base"], sides["same"])
        more = e.diff(sides["base"], sides["more"])
    assert [i.package for i in same.incomplete] == []
    assert [i.package for i in more.incomplete] == ["prettier@3.1.0"]


def test_a_malformed_answer_is_incomplete_and_not_kept(
    tmp_path: Path, github: GitHubServer
) -> None:
    from tests.serverkit import BadJSON

    github.script("/repos/actions/checkout", [BadJSON()])
    root = workflow(tmp_path / "r", ["actions/checkout@v4.2.2"])
    with engine(tmp_path, github) as e:
        first = scan(root, e)
    assert [i.package for i in first.incomplete] == ["actions/checkout"]
    assert "malformed JSON" in first.incomplete[0].reason
    with engine(tmp_path, github) as e:  # the bad answer was not kept in the cache
        second = scan(root, e)
    assert second.incomplete == ()


def test_one_github_organisation_behind_actions_and_hooks_is_one_principal(
    tmp_path: Path, github: GitHubServer
) -> None:
    """An organisation owning three actions and three hook repositories is one GitHub
    principal reaching six packages, not two of three each."""
    uses, hooks = [], ""
    for i in range(3):
        for kind in ("act", "hook"):
            r = github.add(Repo("acme", f"{kind}{i}"))
            r.tags["v1"] = r.line("main", 1)[-1]
        uses.append(f"acme/act{i}@v1")
        hooks += f"- repo: https://github.com/acme/hook{i}\n  rev: v1\n  hooks: [{{id: h}}]\n"
    root = workflow(tmp_path / "r", uses)
    (root / ".pre-commit-config.yaml").write_text("repos:\n" + hooks)
    with engine(tmp_path, github) as e:
        result = scan(root, e)
    conc = found(result)[("owner-concentration", None)]
    (org,) = conc.evidence["organizations"]
    assert org["organization"] == "acme" and len(org["packages"]) == 6  # one realm: bare
