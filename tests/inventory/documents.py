"""What the parser tests share: writing a document to parse, and what the recorded locks of
the demo project (fixtures/README.md) say whichever tool wrote them."""

from __future__ import annotations

from pathlib import Path

# The packages the demo project asks for: rich, click, the local helper, six (an extra) and
# iniconfig (a dev group).
DEMO_DIRECT = frozenset({"click", "helper", "iniconfig", "rich", "six"})

# The graph among the locked packages (dependencies outside the lock leave no edge).
DEMO_GRAPH = {
    "click": ("colorama",),
    "helper": ("six",),
    "markdown-it-py": ("mdurl",),
    "rich": ("markdown-it-py", "pygments"),
}


def write(directory: Path, name: str, text: str) -> Path:
    """`text` written as `directory/name` in UTF-8; returns the path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
