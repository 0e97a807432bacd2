"""`protected-code`: modules protected with PyArmor (`__pyarmor__(__name__, __file__,
b'PY...')`, `pyarmor_runtime()`): their real code is encrypted bytecode that only the bundled
runtime can run, so nothing in the archive can be reviewed. 2023-2024 stealers shipped their
payloads so. Open-source libraries, the packages people install from PyPI by name, have no
reason to hide their code from their users (none of the 1,000 most downloaded does)."""

from __future__ import annotations

from chaingate.analysis.python.index import Context, call_name
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

_RUNTIME_CALLS = ("__pyarmor__", "pyarmor_runtime", "__pyarmor_enter__")


@tree_detector(
    "protected-code",
    Severity.HIGH,
    "Code protected with PyArmor (encrypted bytecode) runs",
)
def protected_code(ctx: Context) -> None:
    if "pyarmor" not in ctx.text:
        return
    for call in ctx.calls:
        q = call_name(ctx, call) or ""
        if q.rsplit(".", 1)[-1] in _RUNTIME_CALLS:
            ctx.add(
                "protected-code",
                Severity.CRITICAL if ctx.setup else Severity.HIGH,
                call,
                f"runs PyArmor-protected code ({q}): the module's real code is encrypted "
                "bytecode that cannot be reviewed; unless this is a known commercial "
                "package, treat it as hidden code and do not install it",
            )
            return
