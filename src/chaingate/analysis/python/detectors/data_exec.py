"""`data-exec`: code kept in a data file of the package and run from Python:
`exec(open(<dir>/"theme.dat").read())`, `runpy.run_path("cfg.dat")`. The payload then sits in
a file no analyser reads as source. Healthy setup.py files `exec(open("pkg/version.py")
.read())` to read a version: a `.py` file, which is analysed like every other, so a file name
ending in `.py` (or none known) is left alone."""

from __future__ import annotations

import ast

from chaingate.analysis.python.flow import run_at_import
from chaingate.analysis.python.index import Context, call_name, fold, walk
from chaingate.analysis.python.names import EXEC
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

_READS = frozenset({"read", "read_text", "read_bytes", "get_data"})
RUNNERS = frozenset({"runpy.run_path"})
_SOURCE_SUFFIXES = (".py", ".pyw")


def _file_names(ctx: Context, expr: ast.AST) -> list[str]:
    """The constant strings in a path expression that look like a file name."""
    out = []
    for n in walk(expr):
        text = fold(ctx, n) if isinstance(n, ast.Constant | ast.JoinedStr | ast.BinOp) else None
        if text and "." in text.rsplit("/", 1)[-1] and len(text) < 260:
            out.append(text)
    return out


def _read_path(ctx: Context, expr: ast.AST) -> ast.AST | None:
    """The path of `open(P).read()`, `Path(P).read_text()`, `pkgutil.get_data(pkg, P)`."""
    for n in walk(expr):
        if not (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
            continue
        if n.func.attr == "get_data" and len(n.args) == 2:
            return n.args[1]
        if n.func.attr in _READS:
            return n.func.value
    return None


@tree_detector(
    "data-exec",
    Severity.HIGH,
    "Code kept in a data file of the package is executed",
    calls=("exec_file",),
)
def data_exec(ctx: Context) -> None:
    at_import = run_at_import(ctx)[1]
    for call in ctx.calls:
        q = call_name(ctx, call) or ""
        if not call.args:
            continue
        if q in EXEC:
            path = _read_path(ctx, call.args[0])
        elif q in RUNNERS:
            path = call.args[0]
        else:
            continue
        if path is None:
            continue
        names = [t for t in _file_names(ctx, path) if not t.lower().endswith(_SOURCE_SUFFIXES)]
        if not names:
            continue
        severity = Severity.HIGH if id(call) in at_import else Severity.MEDIUM
        ctx.add(
            "data-exec",
            severity,
            call,
            f"{q}() runs the contents of {names[0]!r}, a file that is not Python source, "
            f"{'when the module is imported' if severity == Severity.HIGH else 'when called'}"
            ": read that file as the package's code (payloads hide in data files)",
        )
