"""Every signal id is documented, and every documented id exists."""

from __future__ import annotations

import re
from pathlib import Path

from chaingate.signals.catalog import SIGNALS, load_catalog

DOCS = Path(__file__).resolve().parents[2] / "docs" / "signals.md"


def test_docs_and_registry_name_the_same_ids() -> None:
    load_catalog()
    documented = set(re.findall(r"^### `([a-z0-9-]+)`", DOCS.read_text(), re.M))
    assert documented == set(SIGNALS)


def test_ids_are_kebab_case() -> None:
    load_catalog()
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sid) for sid in SIGNALS)


def test_a_scan_without_deep_does_not_load_the_code_detectors() -> None:
    """The code signals' ids are declared when the whole catalog is read, not when the
    signals a scan runs are loaded (that would import every detector on every scan)."""
    import subprocess
    import sys

    probe = (
        "import sys; from chaingate.signals.catalog import load_all, load_catalog; load_all(); "
        "print('chaingate.analysis.python.detectors' in sys.modules); load_catalog(); "
        "print('chaingate.analysis.python.detectors' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
