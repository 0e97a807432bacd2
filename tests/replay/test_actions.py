"""The GitHub Actions replays (tests/replay/actions.py, RECONSTRUCTED): tj-actions'
re-pointed @v35 and reviewdog's moved annotated v1 are action-ref-moved (critical, blocks)
on the first scan after the move; an impostor commit is critical; a clean repository pinned
by SHA stays quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.replay.actions import SCENARIOS, replay


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, ("action-ref-moved", "critical")),  # tj-actions/changed-files@v35
        (1, ("action-ref-moved", "critical")),  # reviewdog/action-setup@v1 (annotated)
        (2, ("action-impostor-commit", "critical")),
    ],
)
def test_attack_blocks(tmp_path: Path, index: int, expected: tuple[str, str]) -> None:
    out = replay(index, tmp_path)
    assert expected in out.findings, SCENARIOS[index][0].name
    assert out.verdict == "blocks"


def test_clean_sha_pinned_repository_is_quiet(tmp_path: Path) -> None:
    out = replay(3, tmp_path)
    assert out.findings == ()
    assert out.verdict == "passes"
