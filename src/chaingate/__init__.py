"""chaingate: whom does your project trust, and has anything about them changed?

`from chaingate import Engine, PackageRef` is the library's front door (docs/library.md). The
names are imported on first use, so the command line's start-up does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["ChaingateError", "Engine", "Evaluation", "PackageRef", "__version__"]

if TYPE_CHECKING:
    from chaingate.core.errors import ChaingateError
    from chaingate.core.refs import PackageRef
    from chaingate.engine import Engine, Evaluation

_LAZY = {
    "Engine": "chaingate.engine",
    "Evaluation": "chaingate.engine",
    "PackageRef": "chaingate.core.refs",
    "ChaingateError": "chaingate.core.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'chaingate' has no attribute {name!r}")
