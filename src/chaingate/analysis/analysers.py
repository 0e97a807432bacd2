"""The language analysers the archive layer dispatches to, file by file.

Each is a module exposing `ANALYSER`, an `interface.Analyser`; they are listed here and loaded
on first use, so the archive layer (extraction, the pool, the release comparison) never
imports a language's detectors itself. A JavaScript analyser is one more module in the list.
"""

from __future__ import annotations

import functools
import importlib

from chaingate.analysis.interface import Analyser

MODULES = ("chaingate.analysis.python",)


@functools.cache
def analysers() -> tuple[Analyser, ...]:
    return tuple(importlib.import_module(m).ANALYSER for m in MODULES)


def reads_whole(path: str) -> bool:
    """Does some analyser want this file whole (a source, or metadata it reads)?"""
    return any(a.reads_whole(path) for a in analysers())


def claiming(path: str) -> Analyser | None:
    """The analyser whose source files include this one."""
    return next((a for a in analysers() if a.claims(path)), None)
