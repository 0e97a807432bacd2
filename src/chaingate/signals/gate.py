"""Findings about the gate itself rather than a package: raised by a command, not computed
from facts, and declared here so that a policy can name them and reports can explain them.

`policy-change` (`chaingate diff`, policy/change.py): the change edits the policy its own
gate is judged with.
"""

from __future__ import annotations

from chaingate.core.findings import Severity
from chaingate.signals.catalog import declare

POLICY_CHANGE = "policy-change"

declare(
    POLICY_CHANGE,
    Severity.HIGH,
    "gate",
    "The change edits the policy that judges it (judged with the base's policy instead)",
)
