"""GitHub Actions and pre-commit as inventory, offline: what a workflow, a composite action
and a pre-commit configuration pull in (with the path and the job's exposure), the
`unpinned-*` signals (pure syntax, no network), bad input as `file:line` exit 2, the
parsers fuzzed, and `chaingate pin`'s rewriting of real-world files (output parses, only
refs change, idempotent) and `--check`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.cli.pin import found_in
from chaingate.core.findings import Severity
from chaingate.core.inventory import InventoryError
from chaingate.ecosystems.actions import pin as edit
from chaingate.ecosystems.actions.pinning import ci_files
from chaingate.ecosystems.actions.workflows import read_action, read_workflow
from chaingate.ecosystems.precommit.config import read_config
from chaingate.engine.scan import evaluate
from chaingate.facts.collect import Fetched
from chaingate.inventory.build import build_inventory
from chaingate.signals.catalog import Thresholds

NOW = datetime(2026, 12, 8, tzinfo=UTC)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "cicd"
SHA = re.compile(r"^[0-9a-f]{40}$")

WORKFLOW = """\
name: CI
on:
  pull_request_target:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    container: node:18
    services:
      db:
        image: postgres@sha256:0000000000000000000000000000000000000000000000000000000000000000
    steps:
      - uses: actions/checkout@v4 # v4
      - name: Changed
        uses: "tj-actions/changed-files@v35"
        env:
          T: ${{ secrets.NPM_TOKEN }}
      - uses: ./.github/actions/setup
      - uses: docker://alpine:3.19
  read-only:
    runs-on: ubuntu-latest
    steps:
      - uses: someone/lint@v2
  call:
    uses: octo/wf/.github/workflows/build.yml@main
"""
COMPOSITE = """\
runs:
  using: composite
  steps:
    - uses: reviewdog/action-setup@v1
"""
PRECOMMIT = """\
repos:
  - repo: https://github.com/psf/black
    rev: 24.1.0
    hooks:
      - id: black
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: v1.8.0
    hooks:
      - id: mypy
        additional_dependencies: [types-requests==2.31.0.1, pydantic]
  - repo: https://github.com/pre-commit/mirrors-prettier
    rev: v3.1.0
    hooks:
      - id: prettier
        additional_dependencies: ["prettier@3.1.0"]
  - repo: local
    hooks: [{id: x, name: x, entry: x, language: system}]
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "actions" / "setup").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    (root / ".github" / "actions" / "setup" / "action.yml").write_text(COMPOSITE)
    (root / ".pre-commit-config.yaml").write_text(PRECOMMIT)
    return root


def test_inventory_names_each_use_its_path_and_exposure(tmp_path: Path) -> None:
    inv = build_inventory(project(tmp_path), index_url="unused", resolve_deps=False)
    by = {(p.ecosystem, p.name): p for p in inv.packages}
    tj = by[("github-actions", "tj-actions/changed-files")]
    assert tj.version == "v35"
    assert tj.paths[0] == (
        ".github/workflows/ci.yml",
        "job test",
        "step 2 (Changed)",
        "tj-actions/changed-files@v35",
    )
    assert set(tj.exposure) == {"write-permissions", "secrets", "pull_request_target"}
    assert [(loc.file, loc.line) for loc in tj.locations] == [(".github/workflows/ci.yml", 18)]
    # the local action is followed (not fetched) with the calling job's context
    rd = by[("github-actions", "reviewdog/action-setup")]
    assert (
        ".github/workflows/ci.yml", "job test", "step 3", "./.github/actions/setup",
        "step 1", "reviewdog/action-setup@v1",
    ) in rd.paths  # fmt: skip
    assert "secrets" in rd.exposure
    assert ("github-actions", "./.github/actions/setup") not in by
    # the job without declared write: the top-level read-only default
    assert set(by[("github-actions", "someone/lint")].exposure) == {"pull_request_target"}
    assert by[("github-actions", "octo/wf")].version == "main"  # a reusable workflow
    images = {p.name: p.version for p in inv.packages if p.name.startswith("docker://")}
    assert images == {"docker://node": "18", "docker://alpine": "3.19",
                      "docker://postgres": "sha256:" + "0" * 64}  # fmt: skip
    # pre-commit: hook repositories, and a python hook's extras as PyPI packages
    assert by[("pre-commit", "github.com/psf/black")].version == "24.1.0"
    assert by[("pypi", "types-requests")].version == "2.31.0.1"
    assert by[("pypi", "pydantic")].version is None
    assert ("pypi", "prettier") not in by and ("pypi", "prettier@3.1.0") not in by  # npm's
    # ... which is said, not dropped: each becomes an incomplete entry of the scan
    ((where, what, why),) = inv.unanalysed
    assert (where, what) == (".pre-commit-config.yaml", "prettier@3.1.0")
    assert "hook prettier" in why and "not analysed" in why


def _ids(tmp_path: Path) -> dict[tuple[str, str | None], Severity]:
    inv = build_inventory(project(tmp_path), index_url="unused", resolve_deps=False)
    findings = evaluate(inv, Fetched(), {}, NOW, Thresholds())
    return {(f.id, f.package): f.severity for f in findings}


def test_unpinned_signals_work_offline_with_context_severity(tmp_path: Path) -> None:
    got = _ids(tmp_path)
    # third party, in a job with write permissions and secrets on pull_request_target: high
    assert got[("unpinned-action", "tj-actions/changed-files")] is Severity.HIGH
    assert got[("unpinned-action", "reviewdog/action-setup")] is Severity.HIGH
    # first party stays medium in the same job
    assert got[("unpinned-action", "actions/checkout")] is Severity.MEDIUM
    # a third party in a pull_request_target workflow, even read-only: high
    assert got[("unpinned-action", "someone/lint")] is Severity.HIGH
    assert got[("unpinned-image", "docker://node")] is Severity.MEDIUM
    assert got[("unpinned-image", "docker://alpine")] is Severity.MEDIUM
    assert ("unpinned-image", "docker://postgres") not in got  # by digest
    assert ("unpinned-source", "docker://node") not in got  # one finding per image
    assert got[("unpinned-hook", "github.com/psf/black")] is Severity.MEDIUM


def one_workflow(tmp_path: Path, text: str) -> dict[tuple[str, str | None], Severity]:
    """The findings (offline) of a repository holding one workflow with this text."""
    wf = tmp_path / "r" / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(text)
    inv = build_inventory(tmp_path / "r", index_url="unused", resolve_deps=False)
    return {(f.id, f.package): f.severity for f in evaluate(inv, Fetched(), {}, NOW, Thresholds())}


def test_a_third_party_action_in_a_quiet_job_is_medium(tmp_path: Path) -> None:
    found = one_workflow(
        tmp_path,
        "on: push\npermissions: {contents: read}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - uses: someone/lint@v2\n"
        "      - uses: someone/fmt@" + "a" * 40 + "\n",
    )
    assert found[("unpinned-action", "someone/lint")] is Severity.MEDIUM
    assert ("unpinned-action", "someone/fmt") not in found  # a full SHA


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("jobs:\n  a:\n    steps:\n      - uses: [x\n", 5, "invalid YAML"),
        ("on: push\n", 1, "needs 'jobs'"),
        ("jobs:\n  a:\n    steps:\n      - uses: not-a-ref\n", 4, "is not owner/repo@ref"),
        ("jobs:\n  a: 3\n", 2, "must be a mapping"),
        ("jobs:\n  a: &x {steps: [*x]}\n", 2, "YAML nodes"),  # a cycle: bounded
    ],
)
def test_bad_workflow_is_file_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = tmp_path / "ci.yml"
    path.write_text(text)
    with pytest.raises(InventoryError) as exc:
        read_workflow(path, "ci.yml", tmp_path)
    assert exc.value.line == line, exc.value
    assert what in exc.value.message


def test_bad_input_through_the_cli_is_exit_2(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".pre-commit-config.yaml").write_text("repos:\n  - repo: https://x/y\n")
    run = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", "--no-resolve", "--no-db", str(root)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert (
        "chaingate: .pre-commit-config.yaml:2: repository 'https://x/y' needs 'rev'" in run.stderr
    )


def test_alias_bombs_are_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "ci.yml"
    path.write_text("\n".join(lines) + "\njobs:\n  a:\n    steps: *a8\n")
    with pytest.raises(InventoryError, match="YAML nodes"):
        read_workflow(path, "ci.yml", tmp_path)


_yamlish = st.text(
    alphabet=st.sampled_from(list("jobs:steps-uses@/ \n\t'\"#&*[]{}!|>x1.,")), max_size=300
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_yamlish)
def test_fuzzed_parsers_say_file_line_or_parse(tmp_path: Path, text: str) -> None:
    path = tmp_path / "f.yml"
    path.write_text(text)
    for reader in (
        lambda: read_workflow(path, "f.yml", tmp_path),
        lambda: read_action(path, "f.yml", tmp_path),
        lambda: read_config(path, "f.yml"),
    ):
        try:
            reader()
        except InventoryError as exc:
            assert exc.file == "f.yml"


# --- chaingate pin ----------------------------------------------------------------------------


def _fake_commit(name: str, ref: str) -> str:
    import hashlib

    return hashlib.sha1(f"{name}@{ref}".encode()).hexdigest()


def _pinned_copy(tmp_path: Path, name: str) -> tuple[str, str, Path]:
    """(original text, text after pin, path) with every unpinned ref resolved to a fake
    commit; the kind from where the file is placed."""
    is_config = "pre-commit" in name
    where = tmp_path / (".pre-commit-config.yaml" if is_config else f".github/workflows/{name}")
    where.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / name, where)
    (f,) = ci_files(found_in(where))
    commits = {(u.name, str(u.ref)): _fake_commit(u.name, str(u.ref)) for u in f.uses}
    original = where.read_text()
    new = edit.rewrite(original, edit.pins_for(f.uses, commits), frozen=f.frozen)
    return original, new, where


@pytest.mark.parametrize(
    "name",
    [
        "flask-tests.yaml",
        "black-test.yml",
        "pypi-publish-smoke.yml",
        "pypi-publish-pre-commit.yaml",
    ],
)
def test_pin_real_world_files(tmp_path: Path, name: str) -> None:
    original, new, where = _pinned_copy(tmp_path, name)
    # output parses, to the same document but for the refs
    before, after = yaml.safe_load(original), yaml.safe_load(new)
    assert _without_refs(before) == _without_refs(after)
    # only refs (and their trailing comments) changed: line by line
    old_lines, new_lines = original.splitlines(keepends=True), new.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    for a, b in changed:
        assert re.match(r"^\s*(- )?(uses|rev): ", a), a
        ref = re.search(r"(?:@|rev: )(\S+?)['\"]?(\s|$)", a.split("#")[0])
        assert ref is not None
        assert re.search(r"[0-9a-f]{40}", b) and f"# {'frozen: ' if 'rev:' in a else ''}" in b
    # idempotent: pinning the result again changes nothing
    where.write_text(new)
    (f,) = ci_files(found_in(where))
    assert edit.unpinned(f.uses) == []
    assert edit.rewrite(new, edit.pins_for(f.uses, {}), frozen=f.frozen) == new
    if name == "flask-tests.yaml":
        assert new == original  # already pinned: not a byte changes
    else:
        assert changed


def _without_refs(doc: object) -> object:
    if isinstance(doc, dict):
        return {k: _without_refs(v) for k, v in doc.items() if k not in ("uses", "rev")}
    if isinstance(doc, list):
        return [_without_refs(v) for v in doc]
    return doc


def test_pin_writes_the_tag_as_the_tools_do(tmp_path: Path) -> None:
    _, new, _ = _pinned_copy(tmp_path, "black-test.yml")
    checkout = _fake_commit("actions/checkout", "v2")
    assert f"      - uses: actions/checkout@{checkout} # v2\n" in new
    _, new, _ = _pinned_copy(tmp_path, "pypi-publish-pre-commit.yaml")
    isort = _fake_commit("github.com/pycqa/isort", "5.13.2")
    assert f"  rev: {isort}  # frozen: 5.13.2\n" in new
    # the user's own comment is kept after the frozen tag
    flake8 = _fake_commit("github.com/pycqa/flake8", "4.0.1")
    assert f"  rev: {flake8}  # frozen: 4.0.1 # enforce-version: 4.0.1\n" in new


def test_pin_keeps_quotes_crlf_and_other_bytes(tmp_path: Path) -> None:
    text = (
        "jobs:\r\n  a:\r\n    steps:\r\n"
        "      - uses: 'someone/x@v1'   # keep me\r\n"
        "      - {uses: other/y@v2, with: {a: 1}}\r\n"
    )
    path = tmp_path / ".github" / "workflows" / "a.yml"
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode())
    (f,) = ci_files(found_in(path))
    commits = {(u.name, str(u.ref)): "f" * 40 for u in f.uses}
    new = edit.rewrite(text, edit.pins_for(f.uses, commits))
    assert new == (
        "jobs:\r\n  a:\r\n    steps:\r\n"
        f"      - uses: 'someone/x@{'f' * 40}' # v1 # keep me\r\n"
        f"      - {{uses: other/y@{'f' * 40}, with: {{a: 1}}}}\r\n"
    )


def test_pin_check_exits_1_when_something_is_unpinned(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from chaingate.cli.entry import app

    root = project(tmp_path)
    result = CliRunner().invoke(app, ["pin", "--check", str(root)])
    assert result.exit_code == 1, result.output
    assert ".github/workflows/ci.yml:18: tj-actions/changed-files@v35" in result.output
    assert ".pre-commit-config.yaml:3: github.com/psf/black@24.1.0" in result.output
    pinned = tmp_path / "pinned"
    shutil.copytree(
        FIXTURES,
        pinned / ".github" / "workflows",
        ignore=shutil.ignore_patterns("*.md", "*pre-commit*", "black*", "pypi*"),
    )
    result = CliRunner().invoke(app, ["pin", "--check", str(pinned)])
    assert result.exit_code == 0, result.output


# --- this repository ------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def test_chaingate_scan_reports_this_repository_s_own_action(tmp_path: Path) -> None:
    import json

    run = subprocess.run(
        [sys.executable, "-m", "chaingate", "scan", "--no-resolve", "--no-db", "--offline",
         "--no-domain-checks", "--retries", "0", "--cache-dir", str(tmp_path / "c"),
         "--format", "json", str(REPO)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode in (0, 1, 3), run.stderr
    doc = json.loads(run.stdout)
    actions = {p["name"]: p for p in doc["packages"] if p["ecosystem"] == "github-actions"}
    assert {"actions/setup-python", "github/codeql-action"} <= set(actions)
    for pkg in actions.values():
        assert SHA.match(pkg["version"]), pkg  # pinned by commit, as this issue checks
    ids = {f["id"] for f in doc["findings"] if f.get("ecosystem") == "github-actions"}
    assert not ids & {"unpinned-action", "unpinned-image"}
    # offline: the GitHub checks are unavailable by name, not passed
    assert doc["checks"]["action-ref-moved"]["status"] == "unavailable"


def test_pin_check_passes_on_this_repository() -> None:
    from click.testing import CliRunner

    from chaingate.cli.entry import app

    result = CliRunner().invoke(app, ["pin", "--check", str(REPO)])
    assert result.exit_code == 0, result.output


# --- pin, fuzzed: any mix of quoting, comments and flow style ----------------------------------

_names = st.sampled_from(["actions/checkout", "someone/x", "Org.Name/re-po_1", "a/b/sub/dir"])
_refs = st.sampled_from(["v1", "v4.2.2", "main", "release/v2", "1.0", "x" * 40, "a" * 40])
_comments = st.sampled_from(["", "  # v1", " # keep: this", "  # é ✓", "   "])
_styles = st.sampled_from(["plain", "single", "double", "flow"])


@st.composite
def _workflow_text(draw: st.DrawFn) -> str:
    lines = ["on: push", "jobs:", "  a:", "    runs-on: x", "    steps:"]
    for _ in range(draw(st.integers(1, 6))):
        value = f"{draw(_names)}@{draw(_refs)}"
        style = draw(_styles)
        quoted = {"plain": value, "single": f"'{value}'", "double": f'"{value}"'}.get(style)
        if quoted is None:
            lines.append(f"      - {{uses: {value}, with: {{a: 1}}}}{draw(_comments)}")
        else:
            lines.append(f"      - name: s\n        uses: {quoted}{draw(_comments)}")
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return "\n".join(lines).replace("\n", newline) + newline


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_workflow_text())
def test_pin_fuzzed_only_refs_change_and_idempotent(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".github" / "workflows" / "f.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    (f,) = ci_files(found_in(path))
    commits = {(u.name, str(u.ref)): _fake_commit(u.name, str(u.ref)) for u in f.uses}
    new = edit.rewrite(text, edit.pins_for(f.uses, commits))
    before, after = yaml.safe_load(text), yaml.safe_load(new)
    steps_before, steps_after = before["jobs"]["a"]["steps"], after["jobs"]["a"]["steps"]
    for old_step, new_step in zip(steps_before, steps_after, strict=True):
        name, _, ref = old_step["uses"].rpartition("@")
        want = (
            ref
            if SHA.match(ref)
            else _fake_commit(name.split("/")[0].lower() + "/" + name.split("/")[1].lower(), ref)
        )
        assert new_step["uses"] == f"{name}@{want}"
        assert {k: v for k, v in old_step.items() if k != "uses"} == {
            k: v for k, v in new_step.items() if k != "uses"
        }
    # every byte outside the uses lines is kept, line endings included
    assert [ln for ln in text.splitlines(keepends=True) if "uses:" not in ln] == [
        ln for ln in new.splitlines(keepends=True) if "uses:" not in ln
    ]
    path.write_bytes(new.encode())
    (again,) = ci_files(found_in(path))
    assert edit.unpinned(again.uses) == []


# --- how an attacker would walk around the checks ----------------------------------------------


def test_a_short_or_uppercase_sha_is_not_a_pin(tmp_path: Path) -> None:
    ids = one_workflow(
        tmp_path,
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - uses: someone/short@abc1234\n"
        "      - uses: someone/upper@" + "ABCDEF0123" * 4 + "\n",
    )
    assert ("unpinned-action", "someone/short") in ids
    assert ("unpinned-action", "someone/upper") in ids


def test_uses_hidden_behind_an_anchor_and_a_merge_key_are_found(tmp_path: Path) -> None:
    wf = tmp_path / "r" / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(
        "on: push\njobs:\n"
        "  a:\n    runs-on: x\n    steps: &steps\n      - uses: someone/hidden@v1\n"
        "  b:\n    runs-on: x\n    steps: *steps\n"
        "  c:\n    <<: {uses: other/wf/.github/workflows/w.yml@main}\n"
    )
    inv = build_inventory(tmp_path / "r", index_url="unused", resolve_deps=False)
    by = {p.name: p for p in inv.packages}
    assert {path[1] for path in by["someone/hidden"].paths} == {"job a", "job b"}
    assert "other/wf" in by  # a merge key is read as written (the node graph keeps '<<')
