"""httpx without its command-line tool: `from chaingate.net.httpx_import import httpx`.

`import httpx` also imports `httpx._main`, its command-line client, whenever rich, pygments
and click are installed (they are, beside chaingate): ~30-60 ms of a cold scan for a tool
chaingate never runs (bench/RESULTS.md, issue 19). A None in `sys.modules` makes that one
import fail, and httpx falls back to the stub `httpx.main` it keeps for installs without
the `cli` extra; the entry is removed again, so a later `import httpx._main` works.
"""

from __future__ import annotations

import sys

_CLI = "httpx._main"
_blocked = "httpx" not in sys.modules and _CLI not in sys.modules
if _blocked:
    sys.modules[_CLI] = None  # type: ignore[assignment]
try:
    import httpx as httpx
finally:
    if _blocked and sys.modules.get(_CLI, 0) is None:
        del sys.modules[_CLI]

__all__ = ["httpx"]
