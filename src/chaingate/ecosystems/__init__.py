"""Ecosystem adapters (see interface.py): one package per ecosystem."""

from __future__ import annotations

from chaingate.ecosystems.interface import Ecosystem


def default_ecosystems() -> tuple[Ecosystem, ...]:
    """The adapters chaingate ships, in the order their manifest parsers are asked."""
    from chaingate.ecosystems.actions import ACTIONS
    from chaingate.ecosystems.precommit import PRECOMMIT
    from chaingate.ecosystems.pypi import PYPI

    return (PYPI, ACTIONS, PRECOMMIT)
