"""The GitHub Action (action.yml) and the pre-commit hooks (.pre-commit-hooks.yaml).

First their structure, as GitHub and pre-commit read it. Then their commands, run for real
against the local PyPI, DNS and RDAP servers -- but neither GitHub Actions nor pre-commit runs
here; both are emulated:

- the action's `Run chaingate` step runs the way the runner runs a composite `shell: bash`
  step: the `${{ }}` expressions of its `env:` evaluated from the inputs (given, else their
  defaults), its script passed to `bash --noprofile --norc -eo pipefail`, `GITHUB_OUTPUT` a
  file. The install step is not run (it would pip-install chaingate from the network);
  `chaingate` on PATH is this virtualenv's.
- a hook runs the way pre-commit runs a `language: python` hook with `pass_filenames: false`:
  skipped unless a staged file matches `files` (and not `exclude`), else `entry` plus `args`
  (the user's `args` replacing the manifest's) once, in the repository root, with the hook's
  virtualenv -- here this one -- first on PATH. `pre-commit try-repo` would do the same after
  building that virtualenv by pip-installing chaingate from a clone of this repository: it
  needs the network and minutes, so it is not used.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from chaingate.inventory.discover import discover
from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer
from tests.rdapserver import RdapServer, healthy_world

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
NOW = "2026-11-25T12:00:00Z"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT_REFERENCE = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
STEP_REFERENCE = re.compile(r"\bsteps\.([A-Za-z0-9_-]+)\.")

# pre-commit's languages (pre_commit/all_languages.py, pre-commit 4.x).
PRE_COMMIT_LANGUAGES = {
    "conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail", "golang",
    "haskell", "julia", "lua", "node", "perl", "pygrep", "python", "r", "ruby", "rust",
    "swift", "unsupported", "unsupported_script", "system", "script",
}  # fmt: skip


def load_action() -> dict[str, Any]:
    with (ROOT / "action.yml").open(encoding="utf-8") as f:
        action: dict[str, Any] = yaml.safe_load(f)
    return action


def load_hooks() -> dict[str, dict[str, Any]]:
    with (ROOT / ".pre-commit-hooks.yaml").open(encoding="utf-8") as f:
        hooks: list[dict[str, Any]] = yaml.safe_load(f)
    assert isinstance(hooks, list)
    return {hook["id"]: hook for hook in hooks}


def strings(node: Any) -> Iterator[str]:
    """Every string value below `node`."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def expressions(action: dict[str, Any]) -> list[str]:
    """Every expression of the action: the `${{ }}` ones, and each step's `if:` (implicitly
    an expression)."""
    found = [m for text in strings(action) for m in EXPRESSION.findall(text)]
    found += [step["if"] for step in action["runs"]["steps"] if "if" in step]
    return found


# --- action.yml: what GitHub requires -----------------------------------------------------


def test_action_is_a_composite_action_github_can_run() -> None:
    action = load_action()
    assert action["name"] == "chaingate"
    assert action["description"].strip()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    ids = [step["id"] for step in steps if "id" in step]
    assert len(ids) == len(set(ids))
    for step in steps:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash", f"composite run steps need a shell: {step['name']}"
        else:
            action_ref, _, version = step["uses"].partition("@")
            assert action_ref and version, f"pin a version: {step['uses']}"
    assert set(action) <= {"name", "author", "description", "inputs", "outputs", "runs", "branding"}
    for name, spec in action["inputs"].items():
        assert re.fullmatch(r"[_a-zA-Z][a-zA-Z0-9_-]*", name), name
        assert set(spec) <= {"description", "required", "default", "deprecationMessage"}, name
        assert spec["description"].strip() and isinstance(spec.get("required", False), bool)
        # Inputs are strings; an unquoted `true` or `3.12` would arrive as something else.
        assert isinstance(spec.get("default", ""), str), name
    for name, spec in action["outputs"].items():
        assert spec["description"].strip() and "value" in spec, name  # composite outputs
    assert set(action["inputs"]) >= {
        "path", "command", "base", "fail-on", "policy", "format", "output", "version",
        "python-version", "upload-sarif",
    }  # fmt: skip
    assert action["inputs"]["base"]["default"] == "${{ github.event.pull_request.base.sha }}"
    assert action["inputs"]["format"]["default"] == "sarif"
    assert action["inputs"]["output"]["default"] == "chaingate.sarif"


def test_action_references_exactly_its_inputs_and_steps() -> None:
    action = load_action()
    found = expressions(action)
    referenced = {name for text in found for name in INPUT_REFERENCE.findall(text)}
    assert referenced == set(action["inputs"]), "an input used but not declared, or unused"
    step_ids = {step["id"] for step in action["runs"]["steps"] if "id" in step}
    used_steps = {name for text in found for name in STEP_REFERENCE.findall(text)}
    assert used_steps and used_steps <= step_ids


def test_action_scripts_take_inputs_from_the_environment_only() -> None:
    """An expression pasted into a script is shell code (a branch name like `$(curl ..)`);
    GitHub's hardening guide: pass it through `env:`."""
    for step in load_action()["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step["name"]


def test_sarif_upload_is_optional_and_survives_a_failing_gate() -> None:
    steps = load_action()["runs"]["steps"]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/")]
    assert upload["uses"].split("@")[0] == "github/codeql-action/upload-sarif"
    condition = upload["if"]
    assert condition.startswith("always()")
    assert "inputs.upload-sarif == 'true'" in condition
    assert steps.index(upload) > [s.get("id") for s in steps].index("gate")
    (setup,) = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    (install,) = [s for s in steps if "pip install" in s.get("run", "")]
    assert install["env"]["CG_VERSION"] == "${{ inputs.version }}"  # refused when given


# --- action.yml: its own supply chain (issue 12, item 17) -------------------------------------

PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*[^@\s]+@[0-9a-f]{40}\s+#\s*v\d+(?:\.\d+)*\s*$")


def uses_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^\s*(?:-\s+)?uses:", line)]


def test_action_pins_every_action_it_uses_by_commit() -> None:
    """A tag can be moved to other code (tj-actions/changed-files, March 2025); a commit
    cannot. The tag stays in a comment, for the reader and for update tools."""
    lines = uses_lines((ROOT / "action.yml").read_text(encoding="utf-8"))
    steps = [s for s in load_action()["runs"]["steps"] if "uses" in s]
    assert len(lines) == len(steps) >= 2
    for line in lines:
        assert PINNED_USES.match(line), f"pin by commit, the tag in a comment: {line.strip()}"
    for step in steps:
        assert re.fullmatch(r"[^@\s]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def requirement_lines(text: str) -> list[str]:
    """The entries of a pip requirements file: continuation lines joined, comments out."""
    out = []
    for line in text.replace("\\\n", " ").splitlines():
        line = "" if line.lstrip().startswith("#") else line.split(" #", 1)[0].strip()
        if line:
            out.append(line)
    return out


def test_action_installs_chaingate_with_hash_pinned_dependencies() -> None:
    """Everything the install step takes from an index is pinned by hash and installed from
    wheels (no sdist's build code runs); chaingate itself is the action's own checkout,
    installed with no index and no dependencies."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    (install,) = [s for s in load_action()["runs"]["steps"] if "pip install" in s.get("run", "")]
    assert install["env"]["CG_ACTION_PATH"] == "${{ github.action_path }}"
    script = re.sub(r"\\\n\s*", " ", install["run"])  # continuation lines joined
    commands = [line for line in script.splitlines() if "pip install" in line]
    for command in commands:
        hashed = "--require-hashes" in command and "--only-binary :all:" in command
        assert hashed or ("--no-index" in command and "--no-deps" in command), command
    found = re.search(r'--require-hashes .*-r "\$CG_ACTION_PATH/([^"]+)"', script)
    assert found, "install a requirements file shipped with the action, with --require-hashes"
    requirements = ROOT / found.group(1)
    assert requirements.is_file()
    pinned = {}
    for entry in requirement_lines(requirements.read_text(encoding="utf-8")):
        m = re.fullmatch(
            r"([A-Za-z0-9._-]+)==([^\s;]+)(?:\s*;[^-]+)?((?:\s+--hash=sha256:[0-9a-f]{64})+)", entry
        )
        assert m, f"{requirements.name}: pin a version and its hashes: {entry}"
        pinned[canonicalize_name(m.group(1))] = m.group(2)
    # It holds what the action installs: chaingate's dependencies and its build backend.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for text in [*project["project"]["dependencies"], *project["build-system"]["requires"]]:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pinned, f"{name} is missing from {requirements.name}"
        assert req.specifier.contains(pinned[name], prereleases=True), (name, pinned[name])


# --- .pre-commit-hooks.yaml: what pre-commit requires --------------------------------------


def test_hooks_manifest_is_what_pre_commit_reads() -> None:
    hooks = load_hooks()
    assert set(hooks) == {"chaingate-check", "chaingate-scan"}
    for hook_id, hook in hooks.items():
        for key in ("id", "name", "entry", "language"):
            assert isinstance(hook[key], str) and hook[key].strip(), (hook_id, key)
        assert hook["language"] in PRE_COMMIT_LANGUAGES
        assert hook["pass_filenames"] is False
        re.compile(hook["files"])
        re.compile(hook.get("exclude", "^$"))
    assert shlex.split(hooks["chaingate-check"]["entry"]) == ["chaingate", "check"]
    scan = shlex.split(hooks["chaingate-scan"]["entry"])
    assert scan[:2] == ["chaingate", "scan"] and scan[-2:] == ["--fail-on", "critical"]


MANIFEST_NAMES = [
    "requirements.txt",
    "requirements-dev.txt",
    "requirements_test.txt",
    "dev-requirements.txt",
    "requirements/base.txt",
    "pyproject.toml",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "pdm.lock",
    "pylock.toml",
    "pylock.dev.toml",
    "services/api/uv.lock",
]
OTHER_NAMES = [
    "README.md",
    "setup.py",
    "requirements.in",
    "Pipfile",
    "Cargo.lock",
    "package-lock.json",
    "notes.txt",
    "pyproject.toml.orig",
    "docs/requirements.md",
]


@pytest.mark.parametrize("hook_id", ["chaingate-check", "chaingate-scan"])
@pytest.mark.parametrize("name", MANIFEST_NAMES + OTHER_NAMES)
def test_hook_runs_exactly_for_the_files_chaingate_reads(
    hook_id: str, name: str, tmp_path: Path
) -> None:
    """The `files` filter and the scanner's discovery agree on every name."""
    hook = load_hooks()[hook_id]
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("", encoding="utf-8")
    read = bool(discover(tmp_path))
    assert read == (name in MANIFEST_NAMES)
    assert bool(re.search(hook["files"], name)) == read


def yaml_blocks(markdown: str) -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", markdown, re.S)]


def test_docs_examples_use_the_action_and_hooks_as_they_are() -> None:
    """docs/ci.md's workflow: diff on pull requests, check on main, only declared inputs;
    its .pre-commit-config.yaml: only hooks the manifest has."""
    blocks = yaml_blocks((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"))
    inputs = set(load_action()["inputs"])
    workflows = [b for b in blocks if "jobs" in b]
    # YAML 1.1 reads the key `on` as True
    (workflow,) = [w for w in workflows if "pull_request" in w[True]]
    triggers = workflow[True]
    assert triggers["push"]["branches"] == ["main"]
    commands = {}
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if not step.get("uses", "").startswith("chaingate/chaingate@"):
                continue
            assert set(step["with"]) <= inputs, set(step["with"]) - inputs
            commands[job["if"]] = step["with"]["command"]
            if step["with"].get("upload-sarif"):
                assert job["permissions"]["security-events"] == "write"
    assert commands == {
        "github.event_name == 'pull_request'": "diff",
        "github.event_name != 'pull_request'": "check",
    }
    (config,) = [b for b in blocks if "repos" in b]
    hook_ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert hook_ids and hook_ids <= set(load_hooks())


def test_docs_workflows_run_pull_request_code_with_read_only_permissions() -> None:
    """The job that runs on a pull request's checkout (its manifests, its policy) has no
    write permission: SARIF from a pull request is uploaded by a separate workflow
    (`workflow_run`) that runs nothing of the pull request. Every action but chaingate's
    own (whose release commit the reader looks up) is pinned by commit."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    workflows = [b for b in yaml_blocks(text) if "jobs" in b]
    jobs_on_pull_requests = 0
    for workflow in workflows:
        triggers = workflow[True]
        top = workflow.get("permissions", {})
        for job in workflow["jobs"].values():
            if "pull_request" not in triggers or "!= 'pull_request'" in job.get("if", ""):
                continue
            jobs_on_pull_requests += 1
            permissions = job.get("permissions", top)
            assert permissions, "say the permissions of a job that runs pull request code"
            assert set(permissions.values()) <= {"read", "none"}, permissions
            assert all(
                step.get("with", {}).get("upload-sarif") in (None, False, "false")
                for step in job["steps"]
            )
    assert jobs_on_pull_requests == 1
    (upload,) = [w for w in workflows if "workflow_run" in w[True]]
    (job,) = upload["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    assert not any("run" in step for step in job["steps"])  # nothing of the pull request runs
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        for line in uses_lines(block):
            if "chaingate/chaingate@" not in line:
                assert PINNED_USES.match(line), line.strip()


# --- the commands, run for real -------------------------------------------------------------


@pytest.fixture
def world(
    pypi_server: PyPIServer, dns_server: DnsServer, rdap_server: RdapServer, tmp_path: Path
) -> dict[str, str]:
    """The environment of a CI job or a developer's shell, with `chaingate` this virtualenv's
    and every network source local."""
    assert (VENV_BIN / "chaingate").exists()
    healthy_world(dns_server, rdap_server)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINGATE_", "PIP_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        CHAINGATE_INDEX_URL=pypi_server.url,
        CHAINGATE_CACHE_DIR=str(tmp_path / "cache"),
        CHAINGATE_DB=f"sqlite:///{tmp_path / 'store.db'}",
        CHAINGATE_DNS_SERVERS=dns_server.spec,
        CHAINGATE_RDAP_BOOTSTRAP_URL=rdap_server.bootstrap_url,
        CHAINGATE_ADVISORIES="off",  # no OSV server here (tests/cli/test_advisories.py has one)
        PIP_CONFIG_FILE=os.devnull,
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = [{deps}]
"""
LOCKED = {"six": "1.17.0", "idna": "3.11", "acme-internal-billing": "1.0.0"}


def write_uv_project(directory: Path, *names: str) -> None:
    """A uv project locking `names` (versions from LOCKED); acme-internal-billing is on no
    index: dependency confusion, which the default policy blocks."""
    directory.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{n}=={LOCKED[n]}"' for n in names)
    (directory / "pyproject.toml").write_text(PYPROJECT.format(deps=deps), encoding="utf-8")
    lock = 'version = 1\nrevision = 2\nrequires-python = ">=3.11"\n\n'
    lock += '[[package]]\nname = "shop"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
    lock += "dependencies = [\n" + "".join(f'    {{ name = "{n}" }},\n' for n in names) + "]\n"
    for name in names:
        lock += f'\n[[package]]\nname = "{name}"\nversion = "{LOCKED[name]}"\n'
        lock += 'source = { registry = "https://pypi.org/simple" }\n'
    (directory / "uv.lock").write_text(lock, encoding="utf-8")


def committed_uv_project(directory: Path, env: Mapping[str, str], *names: str) -> str:
    """A new git repository at `directory` whose one commit holds a uv project locking
    `names`; returns the commit."""
    directory.mkdir(parents=True, exist_ok=True)
    git(directory, env, "init", "-q")
    write_uv_project(directory, *names)
    git(directory, env, "add", ".")
    git(directory, env, "commit", "-q", "-m", "base")
    return git(directory, env, "rev-parse", "HEAD")


def git(repo: Path, env: Mapping[str, str], *args: str) -> str:
    command = ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.com"]
    command += ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args]
    proc = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


# --- the action's `Run chaingate` step ------------------------------------------------------


@dataclass
class StepRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]  # what the step wrote to GITHUB_OUTPUT


def evaluate(text: str, context: Mapping[str, Any]) -> str:
    """Substitute `${{ a.b.c }}` property paths the way GitHub does: a missing property of
    `github` is null, which is the empty string; any other unknown name fails the test."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)*", expression), expression
        head, *rest = expression.split(".")
        node: Any = context[head]
        for part in rest:
            if head == "github" and (not isinstance(node, dict) or part not in node):
                return ""
            node = node[part]
        return str(node)

    return EXPRESSION.sub(value, text)


def run_gate_step(workspace: Path, env: Mapping[str, str], tmp_path: Path, **given: str) -> StepRun:
    """Run the action's `gate` step with these inputs (underscores for hyphens) in
    `workspace`, as the runner would."""
    action = load_action()
    given = {name.replace("_", "-"): value for name, value in given.items()}
    assert set(given) <= set(action["inputs"]), set(given) - set(action["inputs"])
    github = {"event": {}, "workspace": str(workspace)}
    inputs = {
        name: given.get(name, evaluate(spec.get("default", ""), {"github": github}))
        for name, spec in action["inputs"].items()
    }
    context = {"inputs": inputs, "github": github, "runner": {"temp": str(tmp_path / "runner")}}
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "gate"]
    assert step["shell"] == "bash"
    script = tmp_path / "gate.sh"
    script.write_text(step["run"], encoding="utf-8")
    github_output = tmp_path / "github_output"
    github_output.write_text("", encoding="utf-8")
    step_env = {
        **env,
        **{key: evaluate(str(value), context) for key, value in step["env"].items()},
        "GITHUB_OUTPUT": str(github_output),
        "GITHUB_WORKSPACE": str(workspace),
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],  # shell: bash
        cwd=workspace,
        env=step_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    outputs = dict(
        line.split("=", 1) for line in github_output.read_text().splitlines() if "=" in line
    )
    return StepRun(proc.returncode, proc.stdout, proc.stderr, outputs)


def test_action_check_passes_and_writes_the_report(world: dict[str, str], tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    write_uv_project(workspace, "six", "idna")
    step = run_gate_step(
        workspace, world, tmp_path, command="check", format="json", output="report.json"
    )
    assert step.returncode == 0, step.stdout + step.stderr
    assert "Traceback" not in step.stderr
    assert json.loads((workspace / "report.json").read_text(encoding="utf-8"))
    assert step.outputs == {"exit-code": "0", "report": "report.json"}


def test_action_check_fails_the_job_when_the_gate_blocks(
    world: dict[str, str], tmp_path: Path
) -> None:
    """The step's exit code is chaingate's; the report and the outputs are still written, so
    the `if: always()` upload has something to upload."""
    workspace = tmp_path / "workspace"
    write_uv_project(workspace / "app", "six", "acme-internal-billing")
    step = run_gate_step(
        workspace, world, tmp_path, path="app", format="json", output="out/report.json",
        args=f"--now {NOW}",
    )  # fmt: skip
    assert step.returncode == 1, step.stdout + step.stderr
    report = (workspace / "out" / "report.json").read_text(encoding="utf-8")
    assert "acme-internal-billing" in report and "not-on-registry" in report
    assert step.outputs == {"exit-code": "1", "report": "out/report.json"}


def test_action_defaults_write_sarif_and_fail_on_tightens_the_gate(
    world: dict[str, str], tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write_uv_project(workspace, "six", "idna")
    step = run_gate_step(workspace, world, tmp_path, fail_on="info")  # six has one owner
    assert step.returncode == 1, step.stdout + step.stderr
    sarif = json.loads((workspace / "chaingate.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert step.outputs == {"exit-code": "1", "report": "chaingate.sarif"}


def test_action_passes_the_policy_file(world: dict[str, str], tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    write_uv_project(workspace, "six")
    (workspace / "ci").mkdir()
    (workspace / "ci" / "chaingate.toml").write_text(
        '[actions]\n"single-owner" = "block"\n', encoding="utf-8"
    )
    step = run_gate_step(workspace, world, tmp_path, format="json", output="r.json")
    assert step.returncode == 0, step.stdout + step.stderr  # single-owner is info: ignored

    step = run_gate_step(
        workspace, world, tmp_path, policy="ci/chaingate.toml", format="json", output="r.json"
    )
    assert step.returncode == 1, step.stdout + step.stderr
    assert "single-owner" in (workspace / "r.json").read_text(encoding="utf-8")

    step = run_gate_step(workspace, world, tmp_path, policy="ci/missing.toml")
    assert step.returncode == 2
    assert "ci/missing.toml" in step.stderr and "Traceback" not in step.stderr
    assert step.outputs == {"exit-code": "2"}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"command": "diff"}, "needs a base revision"),
        ({"command": "scan"}, "must be 'check' or 'diff'"),
    ],
)
def test_action_rejects_unusable_inputs(
    world: dict[str, str], tmp_path: Path, given: dict[str, str], message: str
) -> None:
    """On a push there is no pull request, so `base` defaults to nothing."""
    step = run_gate_step(tmp_path, world, tmp_path, **given)
    assert step.returncode == 2
    assert step.stdout.startswith("::error title=chaingate::") and message in step.stdout


def test_action_diff_fetches_the_base_and_judges_only_the_change(
    world: dict[str, str], tmp_path: Path
) -> None:
    """A pull request's shallow checkout lacks the base commit; the step fetches it."""
    origin = tmp_path / "origin"
    base = committed_uv_project(origin, world, "six")
    write_uv_project(origin, "six", "acme-internal-billing")
    git(origin, world, "commit", "-q", "-am", "add billing")
    workspace = tmp_path / "workspace"
    git(tmp_path, world, "clone", "-q", "--depth=1", origin.as_uri(), str(workspace))
    with pytest.raises(subprocess.CalledProcessError):
        git(workspace, world, "cat-file", "-e", f"{base}^{{commit}}")

    step = run_gate_step(
        workspace, world, tmp_path, command="diff", base=base, format="json", output="r.json"
    )
    assert step.returncode == 1, step.stdout + step.stderr
    assert "acme-internal-billing" in (workspace / "r.json").read_text(encoding="utf-8")

    head = git(workspace, world, "rev-parse", "HEAD")
    step = run_gate_step(
        workspace, world, tmp_path, command="diff", base=head, format="json", output="r.json"
    )
    assert step.returncode == 0, step.stdout + step.stderr


@pytest.mark.parametrize(("given", "builds"), [({}, False), ({"build": "true"}, True)])
def test_action_resolves_without_building_unless_the_workflow_says_so(
    world: dict[str, str], tmp_path: Path, given: dict[str, str], builds: bool
) -> None:
    """Resolving a requirement only an sdist satisfies runs that sdist's build code on the
    runner, with the pull request's checkout: the action passes --no-build (as the policy's
    `resolve.build = false`) unless the workflow sets `build: true`."""
    workspace = tmp_path / "workspace"
    head = committed_uv_project(workspace, world, "six")
    step = run_gate_step(
        workspace, world, tmp_path, command="diff", base=head, format="json", output="r.json",
        **given,
    )  # fmt: skip
    assert step.returncode == 0, step.stdout + step.stderr
    (command,) = [line for line in step.stdout.splitlines() if line.startswith("chaingate diff")]
    assert ("--no-build" not in command.split()) == builds, command


# --- the pre-commit hooks ----------------------------------------------------------------


def run_hook(
    repo: Path, env: Mapping[str, str], hook_id: str, args: list[str] | None = None
) -> subprocess.CompletedProcess[str] | None:
    """What `git commit` runs for this hook given the staged files; None when pre-commit
    would skip it ("(no files to check)")."""
    hook = load_hooks()[hook_id]
    staged = git(repo, env, "diff", "--cached", "--name-only").splitlines()
    exclude = hook.get("exclude", "^$")
    matching = [p for p in staged if re.search(hook["files"], p) and not re.search(exclude, p)]
    if not matching and not hook.get("always_run", False):
        return None
    command = [*shlex.split(hook["entry"]), *(hook.get("args", []) if args is None else args)]
    if hook.get("pass_filenames", True):
        command += matching
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=180)


@pytest.fixture
def repo(world: dict[str, str], tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, world, "init", "-q")
    (repo / "README.md").write_text("# shop\n", encoding="utf-8")
    git(repo, world, "add", "README.md")
    git(repo, world, "commit", "-q", "-m", "readme")
    return repo


# The local index serves no distribution files, so nothing can be resolved: the user's
# .pre-commit-config.yaml passes `args: [--no-resolve, ...]`.
USER_ARGS = ["--no-resolve", "--now", NOW]


def test_check_hook_is_skipped_when_no_manifest_is_staged(
    repo: Path, world: dict[str, str]
) -> None:
    (repo / "README.md").write_text("# shop, now with docs\n", encoding="utf-8")
    git(repo, world, "add", "README.md")
    assert run_hook(repo, world, "chaingate-check", USER_ARGS) is None


def test_check_hook_passes_a_clean_requirements_file(repo: Path, world: dict[str, str]) -> None:
    (repo / "requirements.txt").write_text("six==1.17.0\nidna==3.11\n", encoding="utf-8")
    git(repo, world, "add", "requirements.txt")
    proc = run_hook(repo, world, "chaingate-check", USER_ARGS)
    assert proc is not None
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_hook_blocks_the_commit(repo: Path, world: dict[str, str]) -> None:
    (repo / "requirements.txt").write_text(
        "six==1.17.0\nacme-internal-billing==1.0.0\n", encoding="utf-8"
    )
    git(repo, world, "add", "requirements.txt")
    proc = run_hook(repo, world, "chaingate-check", USER_ARGS)
    assert proc is not None
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "acme-internal-billing" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_scan_hook_reports_without_blocking_below_critical(
    repo: Path, world: dict[str, str]
) -> None:
    (repo / "requirements").mkdir()
    (repo / "requirements" / "base.txt").write_text(
        "six==1.17.0\nacme-internal-billing==1.0.0\n", encoding="utf-8"
    )
    git(repo, world, "add", "requirements/base.txt")
    hook = load_hooks()["chaingate-scan"]
    assert hook["verbose"] is True  # the report is shown even when the hook passes
    proc = run_hook(repo, world, "chaingate-scan", USER_ARGS)
    assert proc is not None
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not-on-registry" in proc.stdout and "single-owner" in proc.stdout
