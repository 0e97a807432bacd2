"""The policy engine: what a team writes in `[tool.chaingate]` (or chaingate.toml, or
`--policy FILE`) decides which findings block, warn or are ignored, and a policy that cannot
be read exactly as written is an error naming the file, line and key.

Scans are built by hand (tests/report/conftest.py): requests -> urllib3, certifi; ctx (the
2022 takeover, email domain figmm.com); mylib from git.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.core.findings import Finding, Severity
from chaingate.engine.result import ScanResult
from chaingate.policy import ignore
from chaingate.policy.cel import FINDING_FIELDS, PACKAGE_FIELDS
from chaingate.policy.ignore import Ignore
from chaingate.policy.interface import Action, Decision, PolicyError
from chaingate.policy.policy import (
    DENY_ID,
    Policy,
    blocked,
    decide,
    load_policy,
)
from chaingate.signals.catalog import Thresholds
from tests.report.conftest import make_result

TODAY = date(2025, 6, 1)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def write(tmp_path: Path, text: str, name: str = "pyproject.toml") -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def policy(tmp_path: Path, body: str) -> Policy:
    """The policy of a project whose pyproject.toml holds `body`."""
    write(tmp_path, body)
    return load_policy(tmp_path)


def by_id(decisions: list[Decision]) -> dict[tuple[str, str | None], Decision]:
    return {(d.finding.id, d.finding.package): d for d in decisions}


def finding(sid: str, severity: Severity, package: str | None, **evidence: object) -> Finding:
    return Finding(sid, severity, package, None, f"{sid} on {package}", dict(evidence))


def scan(*findings: Finding) -> ScanResult:
    """The shared tree with only `findings` (nothing already excepted, no notes)."""
    return make_result(findings=findings, ignored=(), notes=())


def error(tmp_path: Path, body: str, name: str = "pyproject.toml") -> PolicyError:
    write(tmp_path, body, name)
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path)
    return info.value


# --- resolve ---------------------------------------------------------------------------------


def test_resolve_build_defaults_to_false_and_can_be_turned_on(tmp_path: Path) -> None:
    """Issue 12, item 3: building runs code that was not judged, so it is opt-in."""
    assert not Policy().build
    assert not policy(tmp_path, "[tool.chaingate.severity]\nmedium = 'warn'\n").build
    assert not policy(tmp_path, "[tool.chaingate.resolve]\nbuild = false\n").build
    assert policy(tmp_path, "[tool.chaingate.resolve]\nbuild = true\n").build


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("[tool.chaingate.resolve]\nbuild = 'no'\n", 2, "must be true or false, not 'no'"),
        ("[tool.chaingate.resolve]\nbuilds = false\n", 2, "did you mean 'build'"),
        ("[tool.chaingate]\nresolve = 1\n", 2, "must be a table"),
    ],
)
def test_bad_resolve_settings_are_errors(
    tmp_path: Path, body: str, line: int, message: str
) -> None:
    err = error(tmp_path, body)
    assert err.line == line, str(err)
    assert message in str(err)


# --- sources: one index per package (issue 12, item 2) ---------------------------------------


def test_sources_pin_package_names_to_one_index(tmp_path: Path) -> None:
    assert Policy().sources == {}
    pol = policy(
        tmp_path,
        """
[tool.chaingate.sources]
Corp_Lib = "https://pypi.corp.example/simple/"
"pypi:solidlib" = "https://pypi.org"
""",
    )
    assert pol.sources == {
        "corp-lib": "https://pypi.corp.example/simple/",
        "solidlib": "https://pypi.org",
    }


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("[tool.chaingate.sources]\nsix = 1\n", 2, "must be an index URL, not a int"),
        ("[tool.chaingate.sources]\nsix = 'pypi.org'\n", 2, "is not an index URL"),
        ("[tool.chaingate.sources]\n'npm:six' = 'https://x/'\n", 2, "must be a PyPI package"),
        ("[tool.chaingate.sources]\n'six>=1' = 'https://x/'\n", 2, "must be a PyPI package"),
        ("[tool.chaingate]\nsources = ['six']\n", 2, "must be a table"),
    ],
)
def test_bad_sources_are_errors(tmp_path: Path, body: str, line: int, message: str) -> None:
    err = error(tmp_path, body)
    assert err.line == line, str(err)
    assert message in str(err)


# --- actions by severity and by id -----------------------------------------------------------


def test_default_policy_blocks_high_and_critical_warns_medium_and_low_ignores_info() -> None:
    findings = [finding(f"x-{s.label}", s, "requests") for s in Severity]
    decisions = by_id(decide(scan(*findings), Policy(), TODAY))
    actions = {sid: d.action for (sid, _), d in decisions.items()}
    assert actions == {
        "x-critical": Action.BLOCK,
        "x-high": Action.BLOCK,
        "x-medium": Action.WARN,
        "x-low": Action.WARN,
        "x-info": Action.IGNORE,
    }
    assert decisions[("x-high", "requests")].rule == "severity.high = block (default)"


def test_policy_without_a_project_file_is_the_default(tmp_path: Path) -> None:
    assert load_policy(tmp_path) == Policy()
    write(tmp_path, '[project]\nname = "shop"\n')
    assert load_policy(tmp_path) == Policy()


def test_severity_table_changes_what_blocks(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.severity]
medium = "block"
high = "warn"
""",
    )
    decisions = by_id(
        decide(
            scan(
                finding("new-release", Severity.MEDIUM, "urllib3"),
                finding("dormant-then-release", Severity.HIGH, "ctx"),
                finding("known-vulnerability", Severity.CRITICAL, "requests"),
            ),
            pol,
            TODAY,
        )
    )
    assert decisions[("new-release", "urllib3")].action is Action.BLOCK
    assert decisions[("new-release", "urllib3")].rule == (
        f"severity.medium = block ({tmp_path / 'pyproject.toml'}:2)"
    )
    assert decisions[("dormant-then-release", "ctx")].action is Action.WARN
    assert decisions[("known-vulnerability", "requests")].action is Action.BLOCK  # default


def test_action_by_id_wins_over_severity(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.severity]
low = "ignore"

[tool.chaingate.actions]
typosquat = "block"
dormant-then-release = "warn"
single-owner = "ignore"
""",
    )
    decisions = by_id(
        decide(
            scan(
                finding("typosquat", Severity.LOW, "requests"),
                finding("dormant-then-release", Severity.CRITICAL, "ctx"),
                finding("single-owner", Severity.MEDIUM, "certifi"),
                finding("new-release", Severity.LOW, "urllib3"),
            ),
            pol,
            TODAY,
        )
    )
    typo = decisions[("typosquat", "requests")]
    assert typo.action is Action.BLOCK
    assert typo.rule == f"actions.typosquat = block ({tmp_path / 'pyproject.toml'}:5)"
    assert decisions[("dormant-then-release", "ctx")].action is Action.WARN
    assert decisions[("single-owner", "certifi")].action is Action.IGNORE
    assert decisions[("new-release", "urllib3")].action is Action.IGNORE  # severity.low


def test_blocks_come_first_and_blocked_keeps_only_them() -> None:
    decisions = decide(make_result(), Policy(), TODAY)
    actions = [d.action for d in decisions]
    assert actions == sorted(actions, key=[Action.BLOCK, Action.WARN, Action.IGNORE].index)
    assert blocked(decisions) == [d for d in decisions if d.action is Action.BLOCK]
    assert {d.finding.id for d in blocked(decisions)} == {
        "email-domain-registered-after-release",
        "dormant-then-release",
    }


def test_chaingate_toml_uses_top_level_keys(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[actions]
single-owner = "block"

[[ignore]]
id = "new-release"
reason = "we pin and review every upgrade"
""",
        "chaingate.toml",
    )
    pol = load_policy(tmp_path / "requirements.txt")  # a file: its directory is used
    assert pol.actions == {"single-owner": Action.BLOCK}
    assert pol.ignores[0].reason == "we pin and review every upgrade"
    assert pol.source == str(tmp_path / "chaingate.toml")


def test_explicit_policy_file_replaces_the_project_files(tmp_path: Path) -> None:
    write(tmp_path, '[tool.chaingate.actions]\nsingle-owner = "block"\n')
    explicit = write(tmp_path, '[actions]\nsingle-owner = "warn"\n', "ci-policy.toml")
    assert load_policy(tmp_path, explicit).actions == {"single-owner": Action.WARN}
    other = tmp_path / "other"
    other.mkdir()
    pyproject = write(other, '[tool.chaingate.actions]\ntyposquat = "warn"\n')
    assert load_policy(tmp_path, pyproject).actions == {"typosquat": Action.WARN}


def test_a_policy_in_both_pyproject_and_chaingate_toml_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, '[tool.chaingate.actions]\nsingle-owner = "block"\n')
    exc = error(tmp_path, '[actions]\nsingle-owner = "warn"\n', "chaingate.toml")
    assert "keep one of the two" in str(exc)


# --- thresholds --------------------------------------------------------------------------------


def test_thresholds_reach_the_signals(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.thresholds]
cooldown_hours = 168
dormancy_days = 730.5
burst_min_releases = 3
concentration_share = 0.25
""",
    )
    assert pol.thresholds == Thresholds(
        cooldown_hours=168.0, dormancy_days=730.5, burst_min_releases=3, concentration_share=0.25
    )
    assert isinstance(pol.thresholds.cooldown_hours, float)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('cooldown_hours = "72"', "must be a number, not '72'"),
        ("cooldown_hours = true", "must be a number, not a boolean"),
        ("cooldown_hours = -1", "must be at least 0, not -1"),
        ("cooldown_hours = inf", "must be a number"),
        ("burst_min_releases = 2.5", "must be a whole number, not a float"),
        ("burst_min_releases = 1", "must be at least 2, not 1"),
        ("concentration_share = 1.5", "must be between 0 (excluded) and 1"),
        ("cooldown = 24", "unknown key (did you mean 'cooldown_hours'?)"),
    ],
)
def test_bad_thresholds_are_errors(tmp_path: Path, line: str, message: str) -> None:
    exc = error(tmp_path, f"[tool.chaingate.thresholds]\n\n{line}\n")
    assert exc.file == str(tmp_path / "pyproject.toml")
    assert exc.line == 3
    key = line.split(" ", 1)[0]
    assert f"tool.chaingate.thresholds.{key}: {message}" in exc.message


# --- allow and deny lists ----------------------------------------------------------------------

# ctx is owned by aydinnyunus (figmm.com); urllib3 by sethmlarson and pquentin (gmail.com);
# requests by nateprewitt and sethmlarson (kennethreitz.org); certifi by lukasa.
BLOCKING = (
    finding("dormant-then-release", Severity.HIGH, "ctx"),
    finding("release-burst", Severity.HIGH, "urllib3"),
    finding("ownership-change", Severity.HIGH, "requests"),
    finding("known-vulnerability", Severity.CRITICAL, "certifi"),
)


def test_allow_lists_lower_block_to_warn_and_say_why(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.allow]
packages = ["certifi>=2024"]
accounts = ["SethMLarson", "pquentin"]
domains = ["figmm.com"]
""",
    )
    decisions = by_id(decide(scan(*BLOCKING), pol, TODAY))
    assert decisions[("known-vulnerability", "certifi")].action is Action.WARN
    assert (
        "'certifi>=2024' is on allow.packages" in decisions[("known-vulnerability", "certifi")].rule
    )
    # every owner of urllib3 is allow-listed (case does not matter)
    urllib3 = decisions[("release-burst", "urllib3")]
    assert urllib3.action is Action.WARN
    assert urllib3.rule.startswith("severity.high = block (default), lowered to warn: every owner")
    # ctx's only email domain is allow-listed
    assert decisions[("dormant-then-release", "ctx")].action is Action.WARN
    assert "every email domain (figmm.com)" in decisions[("dormant-then-release", "ctx")].rule
    # requests has an owner who is not on the list: still blocked
    assert decisions[("ownership-change", "requests")].action is Action.BLOCK


def test_allow_list_versions_must_match(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[tool.chaingate.allow]\npackages = ["certifi<2024"]\n')
    decisions = by_id(decide(scan(*BLOCKING), pol, TODAY))
    assert decisions[("known-vulnerability", "certifi")].action is Action.BLOCK


def test_allow_lists_never_silence_a_warning_or_a_rule(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.allow]
packages = ["certifi"]

[[tool.chaingate.rules]]
name = "vulnerabilities always block"
expr = 'finding.id == "known-vulnerability"'
action = "block"
""",
    )
    decisions = by_id(
        decide(scan(*BLOCKING, finding("single-owner", Severity.LOW, "certifi")), pol, TODAY)
    )
    assert decisions[("known-vulnerability", "certifi")].action is Action.BLOCK
    assert decisions[("single-owner", "certifi")].action is Action.WARN


def test_deny_lists_block_packages_even_without_a_finding(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.deny]
packages = ["urllib3<2.1", "requests>=3"]
accounts = ["lukasa"]
domains = ["figmm.com"]
""",
    )
    decisions = decide(scan(), pol, TODAY)
    assert all(d.action is Action.BLOCK and d.finding.id == DENY_ID for d in decisions)
    hits = {d.finding.package: d for d in decisions}
    assert set(hits) == {"urllib3", "certifi", "ctx"}  # requests 2.31.0 is not >=3
    assert hits["urllib3"].rule == f"deny.packages ({tmp_path / 'pyproject.toml'}:2)"
    assert hits["urllib3"].finding.severity is Severity.HIGH
    assert hits["urllib3"].finding.version == "2.0.0"
    assert hits["certifi"].finding.evidence == {"list": "deny.accounts", "matched": ["lukasa"]}
    assert hits["ctx"].finding.evidence == {
        "list": "deny.domains",
        "matched": ["aydinnyunus@figmm.com"],
    }
    assert "owner lukasa on deny.accounts" in hits["certifi"].finding.message


def test_allow_and_deny_by_organisation(tmp_path: Path) -> None:
    # requests is owned by the organisation psf (beside nateprewitt and sethmlarson).
    allow = policy(tmp_path, '[tool.chaingate.allow]\norganizations = ["PSF"]\n')
    decisions = by_id(decide(scan(*BLOCKING), allow, TODAY))
    requests = decisions[("ownership-change", "requests")]
    assert requests.action is Action.WARN
    assert requests.rule.endswith(
        f"lowered to warn: its organisation psf is on allow.organizations "
        f"({tmp_path / 'pyproject.toml'}:2)"
    )
    assert decisions[("release-burst", "urllib3")].action is Action.BLOCK  # no organisation
    deny = policy(tmp_path, '[tool.chaingate.deny]\norganizations = ["psf"]\n')
    [d] = decide(scan(), deny, TODAY)
    assert (d.finding.id, d.finding.package, d.action) == (DENY_ID, "requests", Action.BLOCK)
    assert d.finding.evidence == {"list": "deny.organizations", "matched": ["psf"]}
    assert "organisation psf on deny.organizations" in d.finding.message


def test_deny_list_with_versions_covers_a_package_of_unknown_version(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[tool.chaingate.deny]\npackages = ["MyLib>=1"]\n')
    [d] = decide(scan(), pol, TODAY)
    assert (d.finding.id, d.finding.package, d.finding.version) == (DENY_ID, "mylib", None)


def test_deny_lists_win_over_exceptions(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[tool.chaingate.deny]
packages = ["ctx"]

[[tool.chaingate.ignore]]
id = "*"
package = "ctx"
reason = "we trust ctx"
""",
    )
    decisions = decide(scan(finding("dormant-then-release", Severity.HIGH, "ctx")), pol, TODAY)
    assert [(d.finding.id, d.action) for d in decisions] == [
        (DENY_ID, Action.BLOCK),
        ("dormant-then-release", Action.IGNORE),
    ]


def test_domain_entries_cover_subdomains_and_nothing_else(tmp_path: Path) -> None:
    pol = policy(tmp_path, '[tool.chaingate.deny]\ndomains = ["@MMM.com", "kennethreitz.org"]\n')
    assert pol.deny.domains == ("mmm.com", "kennethreitz.org")
    assert pol.deny.domain("mail.mmm.com") and not pol.deny.domain("figmm.com")
    assert {d.finding.package for d in decide(scan(), pol, TODAY)} == {"requests"}


# --- exceptions --------------------------------------------------------------------------------

EXCEPTION = """
[[tool.chaingate.ignore]]
id = "dormant-then-release"
package = "ctx"
reason = "Pinned to 0.1.2 in production; tracked in SEC-114"
expires = "2025-06-30"
"""


def test_an_exception_applies_until_it_expires(tmp_path: Path) -> None:
    pol = policy(tmp_path, EXCEPTION)
    result = scan(finding("dormant-then-release", Severity.HIGH, "ctx"))

    [before] = decide(result, pol, date(2025, 6, 30))
    assert before.action is Action.IGNORE
    assert before.exception == pol.ignores[0]
    assert before.rule == (
        f"exception ({tmp_path / 'pyproject.toml'}:1, until 2025-06-30): "
        "Pinned to 0.1.2 in production; tracked in SEC-114"
    )

    [after] = decide(result, pol, date(2025, 7, 1))
    assert after.action is Action.BLOCK
    assert after.exception is None


def test_findings_the_scan_already_excepted_come_back_as_ignored() -> None:
    result = make_result()
    [excepted] = [d for d in decide(result, Policy(), TODAY) if d.exception is not None]
    assert excepted.action is Action.IGNORE
    assert excepted.finding == result.ignored[0].finding
    assert excepted.exception == result.ignored[0].by


def test_exceptions_win_over_rules(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        EXCEPTION + '\n[[tool.chaingate.rules]]\nname = "all"\nexpr = "true"\naction = "block"\n',
    )
    [d] = decide(scan(finding("dormant-then-release", Severity.HIGH, "ctx")), pol, TODAY)
    assert d.action is Action.IGNORE


def test_exception_errors_keep_their_file_and_line(tmp_path: Path) -> None:
    exc = error(tmp_path, '[project]\nname = "x"\n\n[[tool.chaingate.ignore]]\nid = "typosquat"\n')
    assert (exc.file, exc.line) == (str(tmp_path / "pyproject.toml"), 4)
    assert "'reason' is required" in exc.message
    (tmp_path / "pyproject.toml").unlink()
    exc = error(
        tmp_path,
        '[[ignore]]\nid = "x"\nreason = "r"\nexpires = 2025-01-01T00:00:00\n',
        "chaingate.toml",
    )
    assert "expires must be a date" in exc.message


def test_ignore_policy_error_is_the_policy_error() -> None:
    assert ignore.PolicyError is PolicyError


# --- custom rules ------------------------------------------------------------------------------

RULES = """
[[tool.chaingate.rules]]
name = "a direct dependency with one owner"
expr = 'finding.id == "single-owner" && package.direct'
action = "block"
reason = "a direct dependency is ours to replace"

[[tool.chaingate.rules]]
name = "long dormancy"
expr = '''
finding.id == "dormant-then-release"
  && has(finding.evidence.quiet_days)
  && finding.evidence.quiet_days > 1000'''
action = "block"

[[tool.chaingate.rules]]
name = "quiet for our own org"
expr = 'package.organization == "psf" && finding.severity_rank < 3'
action = "ignore"
reason = "reviewed with the PSF"
"""


def test_a_rule_decides_over_actions_by_id(tmp_path: Path) -> None:
    pol = policy(tmp_path, RULES + '\n[tool.chaingate.actions]\nsingle-owner = "ignore"\n')
    decisions = by_id(
        decide(
            scan(
                finding("single-owner", Severity.INFO, "ctx"),  # direct
                finding("single-owner", Severity.INFO, "certifi"),  # transitive
                finding("dormant-then-release", Severity.MEDIUM, "ctx", quiet_days=2710),
                finding("new-release", Severity.MEDIUM, "requests"),
            ),
            pol,
            TODAY,
        )
    )
    direct = decisions[("single-owner", "ctx")]
    assert direct.action is Action.BLOCK
    assert direct.rule == (
        f"rule 'a direct dependency with one owner' ({tmp_path / 'pyproject.toml'}:1): "
        "a direct dependency is ours to replace"
    )
    assert decisions[("single-owner", "certifi")].action is Action.IGNORE  # actions.single-owner
    assert decisions[("dormant-then-release", "ctx")].action is Action.BLOCK
    assert decisions[("new-release", "requests")].action is Action.IGNORE
    assert "quiet for our own org" in decisions[("new-release", "requests")].rule


def test_rules_see_the_packages_facts(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[[tool.chaingate.rules]]
name = "facts"
expr = '''
package.name == "ctx" && package.version == "0.2.6" && package.origin == "registry"
  && package.owners == ["aydinnyunus"] && package.domains == ["figmm.com"]
  && package.emails.exists(e, e.endsWith("@figmm.com"))
  && package.first_release == "2014-12-19T21:12:22Z" && package.release_count == 2
  && package.latest_version == "0.2.6" && package.organization == null && package.has_facts
  && finding.severity == "high" && finding.severity_rank == 3 && finding.message != ""
  && finding.package == "ctx" && finding.evidence.note == "x"'''
action = "warn"
""",
    )
    result = scan(finding("dormant-then-release", Severity.HIGH, "ctx", note="x"))
    [d] = decide(result, pol, TODAY)
    assert d.action is Action.WARN, d.rule


def test_project_level_findings_have_an_empty_package(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[[tool.chaingate.rules]]
name = "project level"
expr = 'package.name == null && !package.has_facts && size(package.owners) == 0'
action = "block"
""",
    )
    [d] = decide(scan(finding("owner-concentration", Severity.LOW, None)), pol, TODAY)
    assert d.action is Action.BLOCK


def test_a_rule_that_cannot_be_evaluated_blocks_and_says_why(tmp_path: Path) -> None:
    pol = policy(
        tmp_path,
        """
[[tool.chaingate.rules]]
name = "unguarded"
expr = 'finding.evidence.quiet_days > 1000'
action = "ignore"
reason = "old projects are fine"
""",
    )
    [d] = decide(scan(finding("new-release", Severity.LOW, "urllib3")), pol, TODAY)
    assert d.action is Action.BLOCK
    assert "could not be evaluated (no such member in mapping: 'quiet_days')" in d.rule


def test_rules_are_cel_never_python(tmp_path: Path) -> None:
    exc = error(
        tmp_path,
        """
[[tool.chaingate.rules]]
name = "python"
expr = '__import__("os").system("true")'
action = "block"
""",
    )
    assert exc.line == 3 and "unknown function '__import__'" in exc.message


# --- malformed policies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "line", "expected"),
    [
        (
            '[project]\nname = "x"\n\n[tool.chaingate]\nacitons = {}\n',
            5,
            "tool.chaingate.acitons: unknown key (did you mean 'actions'?)",
        ),
        (
            '[tool.chaingate.actions]\ntyposquat = "block"\ntypo-squat = "warn"\n',
            3,
            "tool.chaingate.actions.typo-squat: unknown signal id (did you mean 'typosquat'?)",
        ),
        (
            '[tool.chaingate.actions]\ntyposquat = "deny"\n',
            2,
            "tool.chaingate.actions.typosquat: 'deny' is not an action (block, warn, ignore)",
        ),
        (
            "[tool.chaingate.actions]\ntyposquat = true\n",
            2,
            "tool.chaingate.actions.typosquat: a boolean is not an action",
        ),
        (
            '[tool.chaingate.severity]\nhigh = "block"\nsevere = "block"\n',
            3,
            "tool.chaingate.severity.severe: unknown severity 'severe'",
        ),
        ('[tool.chaingate]\nactions = ["typosquat"]\n', 2, "must be a table, not an array"),
        (
            '[tool.chaingate.allow]\npackages = "six"\n',
            2,
            "tool.chaingate.allow.packages: must be an array of non-empty strings",
        ),
        (
            '[tool.chaingate.deny]\npackages = ["six @ https://x.test/six.whl"]\n',
            2,
            "give a name and optionally versions",
        ),
        ('[tool.chaingate.deny]\npackages = ["-six"]\n', 2, "tool.chaingate.deny.packages: '-six'"),
        (
            '[tool.chaingate.deny]\ndomains = ["alice@figmm.com"]\n',
            2,
            "tool.chaingate.deny.domains: 'alice@figmm.com' is not a domain",
        ),
        (
            '[tool.chaingate.allow]\nowners = ["lukasa"]\n',
            2,
            "tool.chaingate.allow.owners: unknown key",
        ),
        ('[tool.chaingate]\nrules = {name = "x"}\n', 2, "must be an array of tables"),
        (
            '[[tool.chaingate.rules]]\nname = "a"\naction = "block"\n',
            1,
            "tool.chaingate.rules[0]: 'expr' is required",
        ),
        (
            '[[tool.chaingate.rules]]\nname = "a"\nexpr = "true"\naction = "block"\nwhen = "x"\n',
            5,
            "tool.chaingate.rules[0].when: unknown key",
        ),
        (
            '[[tool.chaingate.rules]]\nname = "a"\nexpr = "true"\naction = "ignore"\n',
            1,
            "'reason' is required for an ignore rule (a)",
        ),
        (
            '[[tool.chaingate.rules]]\nname = "a"\nexpr = "true"\naction = "warn"\n\n'
            '[[tool.chaingate.rules]]\nname = "a"\nexpr = "false"\naction = "warn"\n',
            7,
            "tool.chaingate.rules[1].name: another rule is already named 'a'",
        ),
        (
            '[[tool.chaingate.rules]]\nname = "a"\naction = "block"\nexpr = """\n'
            'finding.id == "x" &&\n  package.ownrs == []"""\n',
            4,
            "package has no field 'ownrs' (did you mean 'owners'?)",
        ),
        (
            '[[tool.chaingate.rules]]\nname = "a"\naction = "block"\nexpr = "pakage.direct"\n',
            4,
            "unknown name 'pakage' (did you mean 'package'?)",
        ),
        (
            "[[tool.chaingate.rules]]\nname = 'a'\naction = 'block'\nexpr = 'foo(finding.id)'\n",
            4,
            "unknown function 'foo'",
        ),
        (
            "[[tool.chaingate.rules]]\nname = 'a'\naction = 'block'\n"
            "expr = 'package.owners.sise() > 1'\n",
            4,
            "unknown function 'sise' (did you mean 'size'?)",
        ),
        (
            '[[tool.chaingate.rules]]\nname = "a"\naction = "block"\nexpr = "finding.id"\n',
            4,
            "must be a condition (true or false), not a string",
        ),
        ("[tool.chaingate\nactions = 1\n", 1, "Expected ']'"),
    ],
)
def test_malformed_policies_name_file_line_and_key(
    tmp_path: Path, body: str, line: int, expected: str
) -> None:
    exc = error(tmp_path, body)
    assert exc.file == str(tmp_path / "pyproject.toml")
    assert exc.line == line, exc
    assert expected in exc.message, exc.message
    assert str(exc).startswith(f"{tmp_path / 'pyproject.toml'}:{line}: ")


def test_cel_syntax_errors_show_where(tmp_path: Path) -> None:
    exc = error(
        tmp_path,
        """
[[tool.chaingate.rules]]
name = "broken"
expr = 'finding.id == "single-owner" &&'
action = "block"
""",
    )
    assert exc.line == 3
    assert exc.message.startswith(
        "tool.chaingate.rules[0].expr: CEL syntax error at line 1, column 30"
    )
    assert exc.message.endswith('finding.id == "single-owner" &&\n' + " " * 33 + "^")


def test_chaingate_toml_errors_use_its_own_keys(tmp_path: Path) -> None:
    exc = error(tmp_path, "\n[thresholds]\ncooldown_hour = 1\n", "chaingate.toml")
    assert (exc.file, exc.line) == (str(tmp_path / "chaingate.toml"), 2)
    assert exc.message.startswith("thresholds.cooldown_hour: unknown key")


def test_an_unreadable_explicit_policy_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path, tmp_path / "missing.toml")


# --- the loader never fails with anything but a PolicyError ------------------------------------

KEYS = [
    "severity", "actions", "thresholds", "allow", "deny", "rules", "ignore", "high", "info",
    "typosquat", "single-owner", "cooldown_hours", "burst_min_releases", "concentration_share",
    "packages", "accounts", "domains", "name", "expr", "action", "reason", "id", "package",
    "expires", "version",
]  # fmt: skip
VALUES = [
    '"block"', '"warn"', '"ignore"', '"x"', '""', "1", "-1", "0.5", "1e400", "nan", "true",
    "[]", '["six"]', '["a@b"]', '["figmm.com"]', '["six>=1"]', "{}", "2025-01-01",
    "2025-01-01T00:00:00", '"2025-13-01"', '"finding.id == \\"x\\""', '"package.direct &&"',
    '"finding.evidence.x"', '"1 + "', "'''\nfinding.id\n  == \"a\"'''", '"[[[[[[[[[["',
]  # fmt: skip
HEADERS = ["[{}]", "[[{}]]", "[{}.{}]", "[[{}.{}]]"]


@st.composite
def policy_texts(draw: st.DrawFn) -> str:
    """Text that looks like a policy: headers and assignments from the real vocabulary."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            header = draw(st.sampled_from(HEADERS))
            lines.append(header.format(*(draw(st.sampled_from(KEYS)) for _ in range(2))))
        lines.append(f"{draw(st.sampled_from(KEYS))} = {draw(st.sampled_from(VALUES))}")
    return "\n".join(lines)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=300), policy_texts()))
def test_any_text_is_a_policy_or_a_policy_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "chaingate.toml"
    path.write_text(text, encoding="utf-8")
    try:
        pol = load_policy(tmp_path)
    except PolicyError as exc:
        assert exc.file == str(path)
        assert exc.line is None or exc.line >= 1
        return
    decide(make_result(), pol, TODAY)  # and a policy that loads can decide


# --- docs/policy.md stays in step with the code ------------------------------------------------


def test_every_key_and_rule_field_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    names = [f.name for f in msgspec.structs.fields(Thresholds)]
    names += [*FINDING_FIELDS, *PACKAGE_FIELDS, "severity", "actions", "allow", "deny", "rules"]
    names += ["packages", "accounts", "domains", "ignore", "expires", "reason"]
    missing = [n for n in names if f"`{n}`" not in text and f"`package.{n}`" not in text]
    assert missing == []


def test_the_documented_examples_load(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, re.S)
    pyproject = [b for b in blocks if "[tool.chaingate" in b]
    standalone = [b for b in blocks if b.startswith("# chaingate.toml")]
    assert pyproject and standalone
    for i, block in enumerate(pyproject + standalone):
        where = tmp_path / str(i)
        where.mkdir()
        name = "pyproject.toml" if block in pyproject else "chaingate.toml"
        write(where, block, name)
        pol = load_policy(where)
        assert pol.source == str(where / name)
        decide(make_result(), pol, TODAY)


def test_the_full_example_decides_as_documented(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- full example -->\n```toml\n(.*?)```", text, re.S)
    assert block
    write(tmp_path, block.group(1))
    pol = load_policy(tmp_path)
    result = scan(
        finding("single-owner", Severity.LOW, "ctx"),
        finding("typosquat", Severity.LOW, "requests"),
    )
    decisions = by_id(decide(result, pol, TODAY))
    assert decisions[("single-owner", "ctx")].action is Action.BLOCK
    assert decisions[("typosquat", "requests")].action is Action.BLOCK
    assert not pol.build


def test_ignores_are_the_ignore_py_exceptions(tmp_path: Path) -> None:
    pol = policy(tmp_path, EXCEPTION)
    assert pol.ignores == tuple(ignore.load(tmp_path))
    assert isinstance(pol.ignores[0], Ignore)


def test_the_cel_interpreter_is_loaded_only_for_a_policy_with_rules(tmp_path: Path) -> None:
    """Every scan loads the policy; celpy and lark cost ~0.04 s of start-up it need not pay."""
    plain, ruled = tmp_path / "plain", tmp_path / "ruled"
    plain.mkdir()
    ruled.mkdir()
    (plain / "chaingate.toml").write_text('[severity]\nmedium = "block"\n')
    (ruled / "chaingate.toml").write_text(
        '[[rules]]\nname = "x"\nexpr = "finding.id == \'typosquat\'"\naction = "block"\n'
    )
    program = (
        "import sys; from pathlib import Path; from chaingate.policy.policy import load_policy; "
        "load_policy(Path(sys.argv[1])); print('celpy' in sys.modules, 'lark' in sys.modules)"
    )
    for where, expected in ((plain, "False False"), (ruled, "True True")):
        proc = subprocess.run(
            [sys.executable, "-c", program, str(where)], capture_output=True, text=True, check=True
        )
        assert proc.stdout.strip() == expected, where


def test_a_chaingate_toml_in_pyprojects_form_is_read(tmp_path: Path) -> None:
    """The README's `[tool.chaingate]` example pasted as it is into chaingate.toml (or a
    `--policy` file) works, as the top-level form does (issue 13: it was 'tool: unknown
    key')."""
    body = (
        '[tool.chaingate.severity]\nmedium = "block"\n\n'
        '[[tool.chaingate.ignore]]\nid = "typosquat"\nreason = "ours"\n'
    )
    (tmp_path / "chaingate.toml").write_text(body)
    found = load_policy(tmp_path)
    assert found.severity[Severity.MEDIUM] is Action.BLOCK
    assert [i.id for i in found.ignores] == ["typosquat"]
    assert load_policy(tmp_path, tmp_path / "chaingate.toml") == found
