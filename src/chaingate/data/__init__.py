"""Data files shipped inside the package (read offline)."""

from __future__ import annotations

from pathlib import Path


def read_text(name: str) -> str:
    """The text of the data file `name`. (They sit beside this module in every install
    chaingate supports; `importlib.resources` would add ~25 ms of imports to each scan.)"""
    return Path(__file__).with_name(name).read_text(encoding="utf-8")
