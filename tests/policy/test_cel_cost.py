"""CEL rules have a cost limit (issue 12, item 13): a rule whose nested comprehensions could
run for minutes (three nested `.all()` over 40 items ran 95 s) is a policy error, with its
file and line, before anything is evaluated; everyday rules stay well under the limit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaingate.policy.interface import PolicyError
from chaingate.policy.policy import load_policy

FORTY = "[" + ", ".join(str(i) for i in range(40)) + "]"
NESTED = f"{FORTY}.all(x, {FORTY}.all(y, {FORTY}.all(z, x + y + z >= 0)))"


def project(tmp_path: Path, expr: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1"\n\n'
        f'[[tool.chaingate.rules]]\nname = "nested"\naction = "block"\nexpr = "{expr}"\n'
    )
    (tmp_path / "requirements.txt").write_text("")
    return tmp_path


def test_a_rule_over_the_cost_limit_is_refused_quickly_with_its_line(tmp_path: Path) -> None:
    env = {**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "cache")}
    requirements = project(tmp_path, NESTED) / "requirements.txt"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "chaingate", "scan", str(requirements),
             "--offline", "--no-db", "--no-domain-checks"],
            capture_output=True, text=True, timeout=20, env=env, cwd=tmp_path,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the rule was evaluated instead of refused (95 s before the limit)")
    assert done.returncode == 2, done.stderr
    assert f"{tmp_path / 'pyproject.toml'}:8: " in done.stderr
    assert "exceeds the cost limit" in done.stderr


@pytest.mark.parametrize(
    "expr",
    [
        "package.owners.all(o, package.emails.exists(e, e.endsWith(o)))",  # two over the data
        f"{FORTY}.exists(x, {FORTY}.exists(y, x == y))",  # 1,600 steps
        "package.owners.map(o, o.size()).filter(n, n > 3).size() > 0",  # one after another
    ],
)
def test_everyday_rules_are_within_the_limit(tmp_path: Path, expr: str) -> None:
    load_policy(project(tmp_path, expr))


@pytest.mark.parametrize(
    "expr",
    [
        NESTED,
        "package.owners.all(a, package.owners.all(b, package.owners.all(c, a == b)))",
        f"{FORTY}.map(x, {FORTY}.map(y, {FORTY}.size())).size() > 0",
    ],
)
def test_nested_comprehensions_over_the_limit_are_policy_errors(tmp_path: Path, expr: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(project(tmp_path, expr))
    assert caught.value.line == 8
    assert "exceeds the cost limit" in caught.value.message


def test_a_rule_over_the_limit_on_long_data_blocks_instead_of_running(tmp_path: Path) -> None:
    # Within the limit as loaded (a list from the data counts as 50 items), but this finding
    # carries 3,000: two nested comprehensions would take 9 million steps (minutes). The rule
    # cannot be evaluated on it, which blocks (never fail open), and says why.
    expr = "finding.evidence.names.exists(a, finding.evidence.names.exists(b, a == b + 1))"
    project(tmp_path, expr)
    names = list(range(0, 6000, 2))
    code = (
        "from datetime import date\n"
        "from pathlib import Path\n"
        "from chaingate.core.findings import Finding, Severity\n"
        "from chaingate.policy.policy import decide, load_policy\n"
        "from tests.report.conftest import make_result\n"
        f"pol = load_policy(Path({str(tmp_path)!r}))\n"
        f"found = Finding('typosquat', Severity.LOW, 'demo', '1.0', 'm', {{'names': {names!r}}})\n"
        "result = make_result(findings=(found,), ignored=(), notes=())\n"
        "[d] = decide(result, pol, date(2025, 6, 1))\n"
        "print(d.action.value, d.rule)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=20,
            cwd=Path(__file__).resolve().parents[2],
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the rule ran over the long list instead of stopping")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("block"), done.stdout
    assert "exceeds the cost limit on this finding's data" in done.stdout
