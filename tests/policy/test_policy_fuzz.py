"""Issue 12, item 14: a policy file, however damaged, is a `Policy` that decides a scan, or a
`PolicyError` (exit 2, `chaingate: <file>:<line>: ...`): never another exception.

Seeds: the documented full example (docs/policy.md), as pyproject.toml and as
chaingate.toml; mutations as the manifest fuzzer makes them (tests/inventory/test_fuzz.py),
plus thresholds of every size and type.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.core.errors import EXIT_USAGE
from chaingate.policy.interface import PolicyError
from chaingate.policy.policy import decide, load_policy
from tests.inventory.test_fuzz import mutations
from tests.report.conftest import make_result

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
_found = re.search(r"<!-- full example -->\n```toml\n(.*?)```", DOCS.read_text("utf-8"), re.S)
assert _found
PYPROJECT = _found.group(1).encode()
STANDALONE = PYPROJECT.replace(b"[tool.chaingate.", b"[").replace(b"[[tool.chaingate.", b"[[")
NUMBERS = st.sampled_from(
    ["1e300", "-1e300", "inf", "nan", "-0.0", "0", "1" * 5000, "9" * 20, "0x7fffffffffffffff"]
)
KEYS = st.sampled_from(["cooldown_hours", "dormancy_days", "burst_min_releases", "recent_days"])


def policies() -> st.SearchStrategy[tuple[str, bytes]]:
    thresholds = st.lists(st.tuples(KEYS, NUMBERS), min_size=1, max_size=3).map(
        lambda items: "[thresholds]\n" + "".join(f"{k} = {v}\n" for k, v in items)
    )
    return st.one_of(
        st.tuples(st.just("pyproject.toml"), mutations(PYPROJECT)),
        st.tuples(st.just("chaingate.toml"), mutations(STANDALONE)),
        st.tuples(st.just("chaingate.toml"), thresholds.map(str.encode)),
        st.tuples(st.just("chaingate.toml"), st.binary(max_size=100)),
    )


def test_policies_load_and_decide_or_are_a_policy_error(
    tmp_path_factory: object,
) -> None:
    result = make_result()

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(case=policies())
    def run(case: tuple[str, bytes]) -> None:
        name, data = case
        directory = Path(tmp_path_factory.mktemp("policy"))  # type: ignore[attr-defined]
        (directory / name).write_bytes(data)
        try:
            pol = load_policy(directory)
        except PolicyError as exc:
            assert exc.exit_code == EXIT_USAGE
            assert str(exc).startswith(str(directory / name)), str(exc)
            return
        decide(result, pol, date(2025, 6, 1))
        for name in msgspec.structs.asdict(pol.thresholds):  # the signals' windows
            value = getattr(pol.thresholds, name)
            if name.endswith("_hours"):
                assert NOW + timedelta(hours=value) >= NOW - timedelta(hours=value)
            elif name.endswith("_days"):
                assert NOW + timedelta(days=value) >= NOW - timedelta(days=value)

    run()


def test_the_seeds_are_policies(tmp_path: Path) -> None:
    for name, data in (("pyproject.toml", PYPROJECT), ("chaingate.toml", STANDALONE)):
        directory = tmp_path / name
        directory.mkdir()
        (directory / name).write_bytes(data)
        load_policy(directory)
