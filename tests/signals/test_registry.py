"""Every signal id is documented, and every documented id exists."""

from __future__ import annotations

import re
from pathlib import Path

from chaingate.signals.catalog import SIGNALS, load_all

DOCS = Path(__file__).resolve().parents[2] / "docs" / "signals.md"


def test_docs_and_registry_name_the_same_ids() -> None:
    load_all()
    documented = set(re.findall(r"^### `([a-z0-9-]+)`", DOCS.read_text(), re.M))
    assert documented == set(SIGNALS)


def test_ids_are_kebab_case() -> None:
    load_all()
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sid) for sid in SIGNALS)
