"""`chaingate diff` cannot be relaxed by the change it judges (issue 12, item 7).

The head is judged with the base revision's policy; a change to the effective policy is
itself a `policy-change` finding (high: it blocks by default). Each test makes a real git
repository, runs the real command in a subprocess against the local PyPI (recorded
documents), with a pinned `now`, no database and no domain checks.

The pull request of every test adds `acme-internal-billing`, a name on no index: its
`not-on-registry` finding is high, which the default policy blocks (exit 1).
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.pypiserver import PyPIServer
from tests.test_diff import HASH, Repo

FIXTURES = Path(__file__).parent / "fixtures"
NOW = "2026-11-25T12:00:00Z"
BASE = f"six==1.17.0 {HASH}\n"
HEAD = f"six==1.17.0 {HASH}\nacme-internal-billing==1.0.0 {HASH}\n"
PYPROJECT = '[project]\nname = "shop"\nversion = "0.1.0"\n'


def chaingate(
    server: PyPIServer, repo: Repo, *args: str, base: str = "HEAD~1"
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(repo.root.parent / "cache"),
        "CHAINGATE_INDEX_URL": server.url,
        "PIP_CONFIG_FILE": os.devnull,
    }
    fixed = ["--base", base, "--no-resolve", "--no-db", "--no-domain-checks", "--now", NOW]
    return subprocess.run(
        [sys.executable, "-m", "chaingate", "diff", *fixed, *args],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def pull_request(repo: Repo, base_files: dict[str, str], head_files: dict[str, str]) -> None:
    """Commit the base (BASE requirements and `base_files`), then the change (HEAD
    requirements and `head_files`; a value of "" deletes the file)."""
    repo.write("requirements.txt", BASE)
    for name, text in base_files.items():
        repo.write(name, text)
    repo.commit("base")
    repo.write("requirements.txt", HEAD)
    for name, text in head_files.items():
        if text:
            repo.write(name, text)
        else:
            (repo.root / name).unlink()
    repo.commit("the change")


def report(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def policy_changes(doc: dict[str, object]) -> list[dict[str, object]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if f["id"] == "policy-change"]


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "project")


# The four relaxations that turned exit 1 into exit 0 silently, and what each must show.
RELAXATIONS = {
    "ignore everything": (
        {"pyproject.toml": PYPROJECT},
        {
            "pyproject.toml": PYPROJECT
            + '\n[[tool.chaingate.ignore]]\nid = "*"\nreason = "trust me"\n'
        },
        'ignore: + id="*"',
    ),
    "high no longer blocks": (
        {"pyproject.toml": PYPROJECT},
        {"pyproject.toml": PYPROJECT + '\n[tool.chaingate.severity]\nhigh = "ignore"\n'},
        "severity.high: block -> ignore",
    ),
    "an allow-list entry": (
        {"pyproject.toml": PYPROJECT + '\n[tool.chaingate.allow]\npackages = ["six"]\n'},
        {
            "pyproject.toml": PYPROJECT
            + '\n[tool.chaingate.allow]\npackages = ["six", "acme-internal-billing"]\n'
        },
        'allow.packages: + "acme-internal-billing"',
    ),
    "a new chaingate.toml": (
        {},
        {"chaingate.toml": '[actions]\n"not-on-registry" = "warn"\n'},
        "actions.not-on-registry: unset -> warn",
    ),
}


@pytest.mark.parametrize("name", list(RELAXATIONS))
def test_a_change_cannot_relax_its_own_gate(name: str, repo: Repo, pypi_server: PyPIServer) -> None:
    base_files, head_files, shown = RELAXATIONS[name]
    pull_request(repo, base_files, head_files)

    proc = chaingate(pypi_server, repo, "--format", "json")

    assert proc.returncode == 1, proc.stderr
    doc = report(proc)
    ids = {(f["id"], f["package"]) for f in doc["findings"]}  # type: ignore[union-attr,index]
    assert ("not-on-registry", "acme-internal-billing") in ids  # judged with the base's policy
    (change,) = policy_changes(doc)
    assert change["severity"] == "high" and change["package"] is None
    evidence = change["evidence"]
    assert isinstance(evidence, dict)
    assert shown in evidence["changes"], evidence["changes"]
    assert shown in str(change["message"])
    assert evidence["diff"].startswith("--- HEAD~1")


def test_the_change_is_shown_in_every_format(repo: Repo, pypi_server: PyPIServer) -> None:
    base_files, head_files, shown = RELAXATIONS["high no longer blocks"]
    pull_request(repo, base_files, head_files)

    text = chaingate(pypi_server, repo)
    assert text.returncode == 1
    words = " ".join(text.stdout.split())  # the terminal report wraps its lines
    assert "policy-change (project)" in words and "severity.high: block -> ignore" in words

    markdown = chaingate(pypi_server, repo, "--format", "markdown")
    assert markdown.returncode == 1
    assert "| high | policy-change | (project) |" in markdown.stdout
    assert shown in html.unescape(markdown.stdout)  # the table escapes ">"

    sarif = chaingate(pypi_server, repo, "--format", "sarif")
    assert sarif.returncode == 1
    log = json.loads(sarif.stdout)
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    rules = {rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "policy-change" in rules
    results = log["runs"][0]["results"]
    (result,) = [r for r in results if r["ruleId"] == "policy-change"]
    assert result["level"] == "error" and shown in result["message"]["text"]


def test_a_change_that_tightens_the_policy_is_reported_too(
    repo: Repo, pypi_server: PyPIServer
) -> None:
    """The base has no policy (its effective policy is the default one); the change adds a
    deny list. It is reported, and it blocks: nothing else in this change would."""
    repo.write("requirements.txt", BASE)
    repo.commit("base")
    repo.write("chaingate.toml", '[deny]\npackages = ["left-pad"]\n')
    repo.commit("tighten")

    proc = chaingate(pypi_server, repo, "--format", "json")

    assert proc.returncode == 1, proc.stderr
    (change,) = policy_changes(report(proc))
    assert 'deny.packages: + "left-pad"' in change["evidence"]["changes"]  # type: ignore[index]
    assert "the default policy" in str(change["message"])


def test_the_base_policy_can_let_policy_changes_through(
    repo: Repo, pypi_server: PyPIServer
) -> None:
    """The way out a repository chooses for itself: its base policy lowers policy-change to
    warn. The change is still shown, and the rest is still judged with the base's policy."""
    own = '[actions]\n"policy-change" = "warn"\n'
    repo.write("requirements.txt", BASE)
    repo.write("chaingate.toml", own)
    repo.commit("base")
    repo.write("chaingate.toml", own + '[deny]\npackages = ["left-pad"]\n')
    repo.commit("tighten")
    proc = chaingate(pypi_server, repo, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert len(policy_changes(report(proc))) == 1

    # Relaxing severity in the same way still blocks the high finding the change brings.
    repo.write("requirements.txt", HEAD)
    repo.write("chaingate.toml", own + '[severity]\nhigh = "ignore"\n')
    repo.commit("relax")
    proc = chaingate(pypi_server, repo, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert len(policy_changes(report(proc))) == 1


def test_a_policy_file_outside_the_repository_judges_both(
    repo: Repo, pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """`--policy FILE` outside the repository is the workflow's, not the change's: it is
    used as it is for the whole diff, and the repository's own policy plays no part."""
    outside = tmp_path / "ci-policy.toml"
    outside.write_text('[actions]\n"not-on-registry" = "warn"\n', encoding="utf-8")
    pull_request(repo, {}, {"chaingate.toml": '[severity]\nhigh = "block"\n'})
    proc = chaingate(pypi_server, repo, "--format", "json", "--policy", str(outside))
    assert proc.returncode == 0, proc.stderr
    assert policy_changes(report(proc)) == []


def test_a_policy_file_inside_the_repository_is_read_at_the_base(
    repo: Repo, pypi_server: PyPIServer
) -> None:
    strict = '[severity]\nmedium = "block"\n'
    pull_request(
        repo,
        {"ci/chaingate.toml": strict},
        {"ci/chaingate.toml": strict + '[actions]\n"not-on-registry" = "ignore"\n'},
    )
    proc = chaingate(pypi_server, repo, "--format", "json", "--policy", "ci/chaingate.toml")
    assert proc.returncode == 1, proc.stderr
    (change,) = policy_changes(report(proc))
    assert "HEAD~1:ci/chaingate.toml" in str(change["message"])


def test_an_edit_that_leaves_the_policy_as_it_was_is_no_finding(
    repo: Repo, pypi_server: PyPIServer
) -> None:
    """Comments, order and a reworded reason change nothing the gate does: no cry wolf."""
    before = (
        PYPROJECT
        + '\n[tool.chaingate.severity]\nmedium = "warn"\n'
        + '\n[[tool.chaingate.ignore]]\nid = "single-owner"\npackage = "six"\nreason = "ok"\n'
    )
    after = (
        PYPROJECT
        + "\n# reviewed\n"
        + '\n[[tool.chaingate.ignore]]\nid = "single-owner"\npackage = "six"\n'
        + 'reason = "reviewed by the platform team"\n'
        + '\n[tool.chaingate.severity]\nmedium = "warn"  # as before\n'
    )
    repo.write("requirements.txt", BASE)
    repo.write("pyproject.toml", before)
    repo.commit("base")
    repo.write("pyproject.toml", after)
    repo.commit("reword")
    proc = chaingate(pypi_server, repo, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert policy_changes(report(proc)) == []


def test_deleting_the_policy_is_a_change_too(repo: Repo, pypi_server: PyPIServer) -> None:
    pull_request(
        repo, {"chaingate.toml": '[deny]\npackages = ["left-pad"]\n'}, {"chaingate.toml": ""}
    )
    proc = chaingate(pypi_server, repo, "--format", "json")
    assert proc.returncode == 1, proc.stderr
    (change,) = policy_changes(report(proc))
    assert 'deny.packages: - "left-pad"' in change["evidence"]["changes"]  # type: ignore[index]
    assert change["evidence"]["head"] is None  # type: ignore[index]


def test_a_policy_file_the_job_wrote_is_not_the_changes(
    repo: Repo, pypi_server: PyPIServer
) -> None:
    """A file inside the work tree that git neither tracks nor had at the base (a CI step
    wrote it) cannot come from the change: both sides read it as it is."""
    repo.write(".gitignore", "generated/\n")
    pull_request(repo, {}, {})
    repo.write("generated/chaingate.toml", '[actions]\n"not-on-registry" = "warn"\n')
    proc = chaingate(pypi_server, repo, "--format", "json", "--policy", "generated/chaingate.toml")
    assert proc.returncode == 0, proc.stderr
    assert policy_changes(report(proc)) == []


def test_a_base_policy_that_cannot_be_used_is_an_error_naming_the_revision(
    repo: Repo, pypi_server: PyPIServer
) -> None:
    pull_request(
        repo,
        {"chaingate.toml": '[severity]\nhigh = "blok"\n'},
        {"chaingate.toml": '[severity]\nhigh = "block"\n'},
    )
    proc = chaingate(pypi_server, repo)
    assert proc.returncode == 2
    assert proc.stderr.startswith("chaingate: HEAD~1:chaingate.toml:2: severity.high: 'blok'")


# Every key a policy can set must show in the effective policy that policy-change compares:
# a key it left out would be a way to relax the gate unseen. One setting per field of Policy;
# a new field without a line here fails the completeness check below.
_CHANGED_BY = {
    "severity": 'severity.medium = "block"',
    "actions": 'actions.typosquat = "ignore"',
    "thresholds": "thresholds.cooldown_hours = 1",
    "allow": '[allow]\npackages = ["six"]',
    "deny": '[deny]\naccounts = ["someone"]',
    "rules": '[[rules]]\nname = "r"\naction = "warn"\nexpr = "true"',
    "ignores": '[[ignore]]\nid = "*"\nreason = "x"',
    "build": "[resolve]\nbuild = true",
    "allow_incomplete": "[gate]\nallow_incomplete = true",
    "cooldown": "[gate]\nmin_release_age = 48",
    "sources": '[sources]\nsix = "https://example.invalid/simple/"',
    "scopes": '[scopes]\ndocs = "ignore"',
}


def test_every_policy_key_shows_in_the_compared_policy(tmp_path: Path) -> None:
    from msgspec.structs import fields

    from chaingate.policy.change import lines
    from chaingate.policy.policy import Policy, load_policy

    judged = {f.name for f in fields(Policy)} - {"source", "where"}
    assert judged == set(_CHANGED_BY), "a Policy field is missing from _CHANGED_BY"
    default = lines(Policy())
    for name, text in _CHANGED_BY.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text + "\n")
        assert lines(load_policy(tmp_path, path)) != default, name


def test_every_list_key_shows_in_the_compared_policy(tmp_path: Path) -> None:
    """Each allow/deny list (packages, accounts, organizations, domains) is compared: adding
    an organisation to allow.organizations is a policy change like adding an account."""
    from chaingate.policy.change import lines
    from chaingate.policy.policy import _LIST_KEYS, Policy, load_policy

    default = lines(Policy())
    for which in ("allow", "deny"):
        for key in _LIST_KEYS:
            path = tmp_path / f"{which}-{key}.toml"
            path.write_text(f'[{which}]\n{key} = ["example.org"]\n')
            changed = lines(load_policy(tmp_path, path))
            assert any(f"{which}.{key}" in line for line in changed), (which, key, changed)
            assert changed != default
