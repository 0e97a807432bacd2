"""docs/replays.md is what `python -m tests.replay.table` writes today."""

from __future__ import annotations

from tests.replay import table


def test_the_committed_replay_table_is_current() -> None:
    assert table.TABLE.read_text(encoding="utf-8") == table.render(), (
        "docs/replays.md is stale: run .venv/bin/python -m tests.replay.table"
    )


def test_every_row_names_its_incident_and_both_times() -> None:
    text = table.TABLE.read_text(encoding="utf-8")
    for incident in table.INCIDENTS:
        row = next(line for line in text.splitlines() if line.startswith(f"| {incident.name} |"))
        assert row.count("check: **") == 2 and row.count("install guard: **") == 2
