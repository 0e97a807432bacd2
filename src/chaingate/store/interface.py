"""What the store hands to the signals; importable without the database machinery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chaingate.registry.interface import Account


@dataclass(frozen=True)
class Observation:
    """The most recent stored view of a project, as the signals need it."""

    name: str
    observed_at: datetime
    last_seen_at: datetime
    owners: tuple[Account, ...] | None  # None: the index published no ownership then
    organization: str | None
    emails: tuple[str, ...]
    latest_version: str | None


class StoreError(Exception):
    """The database could not be opened or written; the message says which and why."""


def default_url() -> str:
    from platformdirs import user_data_path

    path = user_data_path("chaingate", appauthor=False) / "chaingate.db"
    return f"sqlite:///{path}"
