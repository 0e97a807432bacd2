"""Actions per scope (issue 13): `[tool.chaingate.scopes] docs = "warn"` is the most a
finding on a package pulled in only by docs can do; a package also in runtime is judged
as runtime. A change to a scope's action is a `policy-change` in a diff."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msgspec.structs import replace

from chaingate.core.findings import Finding, Severity
from chaingate.engine.result import ScanResult
from chaingate.policy.change import policy_change
from chaingate.policy.interface import Action, PolicyError
from chaingate.policy.policy import Policy, decide, load_policy
from tests.report.conftest import make_result

TODAY = date(2025, 6, 1)
FIXTURE = [HealthCheck.function_scoped_fixture]
SCOPES = {"certifi": ("docs",), "urllib3": ("runtime", "docs"), "ctx": ("dev", "docs")}


def scoped(*findings: Finding) -> ScanResult:
    result = make_result(findings=findings, ignored=(), notes=())
    packages = tuple(
        replace(p, scopes=SCOPES.get(p.name, p.scopes)) for p in result.inventory.packages
    )
    return replace(result, inventory=replace(result.inventory, packages=packages))


def policy(tmp_path: Path, body: str, name: str = "pyproject.toml") -> Policy:
    (tmp_path / name).write_text(body)
    return load_policy(tmp_path)


def high(package: str) -> Finding:
    return Finding("release-burst", Severity.HIGH, package, None, f"burst on {package}", {})


def test_a_scope_caps_the_action_of_its_packages(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[tool.chaingate.scopes]\ndocs = "warn"\ndev = "ignore"\n')
    decisions = {
        d.finding.package: d
        for d in decide(scoped(high("certifi"), high("urllib3"), high("ctx")), pol, TODAY)
    }
    certifi = decisions["certifi"]
    assert certifi.action is Action.WARN  # docs only: lowered
    assert "scopes.docs = warn" in certifi.rule and "pyproject.toml:2" in certifi.rule
    assert decisions["urllib3"].action is Action.BLOCK  # runtime too: judged as runtime
    # dev and docs: the stronger of the two caps (warn), never the weakest
    assert decisions["ctx"].action is Action.WARN


def test_chaingate_toml_has_a_top_level_scopes_table(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[scopes]\n"extra:socks" = "warn"\n', "chaingate.toml")
    assert pol.scopes == {"extra:socks": Action.WARN}


def test_scope_names_are_normalised_and_actions_checked(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[tool.chaingate.scopes]\nDocs_Build = "warn"\n')
    assert pol.scopes == {"docs-build": Action.WARN}
    with pytest.raises(PolicyError) as info:
        policy(tmp_path, '[tool.chaingate.scopes]\ndocs = "lower"\n')
    assert info.value.line == 2
    assert "scopes.docs" in str(info.value)


def test_weakening_a_scope_is_a_policy_change(tmp_path: Path) -> None:
    base = policy(tmp_path, '[tool.chaingate.scopes]\ndocs = "warn"\n')
    head = policy(tmp_path, '[tool.chaingate.scopes]\ndocs = "ignore"\nruntime = "warn"\n')
    found = policy_change(base, head, "main")
    assert found is not None
    assert 'scopes."docs": warn -> ignore' in found.evidence["changes"]
    assert 'scopes."runtime": unset -> warn' in found.evidence["changes"]


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.text(max_size=20), value=st.one_of(st.text(max_size=8), st.integers(), st.booleans()))
def test_fuzz_a_scopes_table_is_read_or_refused_at_its_line(
    tmp_path: Path, key: str, value: object
) -> None:
    import json

    body = f"[tool.chaingate.scopes]\n{json.dumps(key)} = {json.dumps(value)}\n"
    try:
        pol = policy(tmp_path, body)
    except PolicyError as exc:
        assert exc.line in (None, 1, 2)
        return
    assert set(pol.scopes.values()) <= set(Action)


@pytest.mark.parametrize("finding_id", ["known-malicious", "project-quarantined"])
def test_a_scope_cap_never_lowers_known_malware(tmp_path: Path, finding_id: str) -> None:
    """A docs tool that is known malware still runs on developers' machines and in CI, next
    to their credentials: `docs = "ignore"` must not let it through. Only an explicit
    `actions.<id>` line can lower these, and that line is a policy-change in review."""
    pol = policy(tmp_path, '[tool.chaingate.scopes]\ndocs = "ignore"\n')
    bad = Finding(finding_id, Severity.CRITICAL, "certifi", None, "reported malicious", {})
    (decision,) = decide(scoped(bad), pol, TODAY)
    assert decision.action is Action.BLOCK
    assert "scopes.docs" not in decision.rule
