"""`compiled-bytecode`: `.pyc` files shipped outside `__pycache__`, and code that loads
bytecode from a file (SourcelessFileLoader, marshal) at import or by a constant name."""

from __future__ import annotations

import ast

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.flow import call_args, run_at_import
from chaingate.analysis.python.index import Context, call_name, path_parts, walk
from chaingate.analysis.python.registry import SourceFile, file_detector, tree_detector
from chaingate.core.findings import Severity


@file_detector(
    "compiled-bytecode",
    Severity.MEDIUM,
    "Compiled bytecode shipped outside __pycache__, or loaded from a file",
    suffix=".pyc",
)
def compiled_file(file: SourceFile) -> list[CodeFinding]:
    """A `.pyc` shipped outside `__pycache__`."""
    path = file.path
    if "__pycache__" in path_parts(path)[:-1]:
        flags = int.from_bytes(file.data[4:8], "little") if len(file.data) >= 16 else 0
        if flags & 0b11 == 0b01:  # PEP 552: hash-based, never checked against the source
            return [
                CodeFinding(
                    "compiled-bytecode",
                    Severity.HIGH,
                    path,
                    None,
                    "an unchecked-hash .pyc in __pycache__: the interpreter runs it without "
                    "looking at the .py beside it (installers that keep shipped caches, such "
                    "as uv, run this bytecode, not the reviewed source); healthy wheels ship "
                    "no __pycache__, and caches made by the installer are checked",
                )
            ]
        return []  # the interpreter's own cache of the sources beside it
    return [
        CodeFinding(
            "compiled-bytecode",
            Severity.MEDIUM,
            path,
            None,
            "compiled Python bytecode shipped outside __pycache__: code in a .pyc cannot be "
            "reviewed as source, and a package that ships its own .py files has no need for "
            "it; check whether a .py twin exists and what loads this file",
        )
    ]


@tree_detector("compiled-bytecode", Severity.HIGH, calls=("bytecode",))
def bytecode_loading(ctx: Context) -> None:
    """Compiled bytecode loaded from a file: code no reviewer of the sources sees."""
    import_ids = run_at_import(ctx)[1]
    for call in ctx.calls:
        q = call_name(ctx, call) or ""
        loader = q.endswith("SourcelessFileLoader") or q in {"imp.load_compiled"}
        named_pyc = any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith(".pyc")
            for a in call_args(call)
            for n in walk(a)
        )
        if q.endswith("spec_from_file_location"):
            loader = named_pyc
        elif q in {"marshal.load", "marshal.loads"}:
            loader = q == "marshal.load" or any(
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr in {"read", "read_bytes"}
                for a in call.args
                for n in walk(a)
            )
            if not (named_pyc or id(call) in import_ids):
                continue  # caches of compiled code (pytest, jinja2) read their own files
        if not loader:
            continue
        high = named_pyc or id(call) in import_ids
        ctx.add(
            "compiled-bytecode",
            Severity.HIGH if high else Severity.MEDIUM,
            call,
            f"code is loaded from compiled bytecode ({q})"
            + (" named in the package" if named_pyc else " at import" if high else "")
            + ": bytecode hides its code from source review; find the .pyc and decompile "
            "it, or ask why the package does not ship the source",
        )
