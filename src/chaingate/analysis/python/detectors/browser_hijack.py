"""`browser-hijack`: code that rewrites the browser's shortcuts (`.lnk`) so the browser starts
with an extension of the package's choosing (`--load-extension=`): the 2023 clipboard
hijackers swapped crypto addresses so. Healthy code that loads an extension starts its own
browser (Selenium, Playwright pass `--load-extension` as an argument) and never touches the
user's shortcuts."""

from __future__ import annotations

import ast

from chaingate.analysis.python.index import Context, fold
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

_SHORTCUT_CALLS = frozenset({"CreateShortcut", "CreateShortCut"})
_FLAG = "--load-extension"


@tree_detector(
    "browser-hijack",
    Severity.CRITICAL,
    "Browser shortcuts are rewritten to load an extension",
)
def browser_hijack(ctx: Context) -> None:
    """A string naming `--load-extension` (a literal, or put together: `"--load-" +
    "extension"`) in a file that edits `.lnk` shortcuts (names `.lnk` or calls
    WScript.Shell's `CreateShortcut`)."""
    text = ctx.text
    if ".lnk" not in text and ".LNK" not in text and "CreateShort" not in text:
        return  # the common case, decided by two substring searches
    shortcuts = any(".lnk" in value.lower() for _, value in ctx.strings) or any(
        isinstance(c.func, ast.Attribute) and c.func.attr in _SHORTCUT_CALLS for c in ctx.calls
    )
    if not shortcuts:
        return  # most files: no folding at all
    loads: list[ast.AST] = [node for node, value in ctx.strings if _FLAG in value]
    if not loads:
        loads = [
            n
            for n in ctx.nodes
            if isinstance(n, ast.BinOp | ast.JoinedStr | ast.Call) and _FLAG in (fold(ctx, n) or "")
        ]
    if loads:
        ctx.add(
            "browser-hijack",
            Severity.CRITICAL,
            loads[0],
            "rewrites browser shortcuts (.lnk) to start the browser with --load-extension: "
            "the extension runs in every page the user opens (clipboard-swapping crypto "
            "stealers install themselves so); no library edits the user's shortcuts",
        )
