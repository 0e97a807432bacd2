"""`write-then-run`: code held in a string literal that is written to a file and started
(`tmp.write(b"...exec(urlopen(...))..."); os.system(f"start pythonw {tmp.name}")`), and code
in a string literal handed to exec/eval/compile. The literal is analysed as code in its own
right (recursively, bounded in depth and size): what it would do is what the package does.

Healthy code writes files and runs programs, but seldom a script it carries in a string and
then starts with an interpreter or the shell, and not while it is installed or imported:
build scripts that probe a compiler write C and run `cc`, which is not an interpreter; meson
writes a `.bat` and runs it inside a function a user calls (medium); `exec("x = 1")`-style
literals analyse as harmless code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from contextvars import ContextVar

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.calls import command_texts
from chaingate.analysis.python.flow import run_at_import
from chaingate.analysis.python.index import Context, call_name, fold, is_process_name, walk
from chaingate.analysis.python.names import EXEC
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

MAX_DEPTH = 2  # a literal inside a literal inside the file, no deeper
MAX_LITERAL_BYTES = 256 * 1024
_depth: ContextVar[int] = ContextVar("literal_depth", default=0)

_TEMP_MAKERS = frozenset(
    {"tempfile.NamedTemporaryFile", "tempfile.mkstemp", "tempfile.TemporaryFile"}
)
_STARTERS = frozenset({"os.startfile", "runpy.run_path", "os.execv", "os.execl"})
_INTERPRETER = re.compile(
    r"\b(?:pythonw?(?:3(?:\.\d+)?)?(?:\.exe)?|start|wscript|cscript|powershell|pwsh|cmd|"
    r"mshta|bash|sh|node)\b|sys\.executable|\.(?:pyw?|vbs|bat|cmd|ps1|js|sh)\b",
    re.IGNORECASE,
)


def literal_findings(ctx: Context, text: str | bytes) -> list[CodeFinding]:
    """The findings of a string literal analysed as a module of this file's kind (empty
    when it is not Python, too big, or nested too deep)."""
    depth = _depth.get()
    if depth >= MAX_DEPTH or len(text) > MAX_LITERAL_BYTES:
        return []
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    from chaingate.analysis.python.detect import analyse_python_here  # cycle: detect -> us

    token = _depth.set(depth + 1)
    try:
        return analyse_python_here(ctx.path, data, ctx.backend)[0]
    finally:
        _depth.reset(token)


def _literal(ctx: Context, node: ast.AST, local: Mapping[str, ast.AST]) -> str | bytes | None:

    if isinstance(node, ast.Name) and node.id in local:
        node = local[node.id]
    elif isinstance(node, ast.Name) and node.id in ctx.module_values:
        values = ctx.module_values[node.id]
        node = values[0] if len(values) == 1 else node
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
        return node.value
    return fold(ctx, node)


def _worst(found: list[CodeFinding]) -> CodeFinding | None:
    return max(found, key=lambda f: f.severity, default=None)


@tree_detector(
    "write-then-run",
    Severity.HIGH,
    "Code carried in a string is written to a file and started, or executed",
    calls=("process", "exec_literal"),
)
def write_then_run(ctx: Context) -> None:
    for nodes in ctx.scopes:
        calls = [n for n in nodes if isinstance(n, ast.Call)]
        local = {
            t.id: n.value
            for n in nodes
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        _exec_literals(ctx, calls, local)
        _written_and_started(ctx, nodes, calls, local)


def _exec_literals(ctx: Context, calls: list[ast.Call], local: Mapping[str, ast.AST]) -> None:
    for call in calls:
        if (call_name(ctx, call) or "") not in EXEC or not call.args:
            continue
        text = _literal(ctx, call.args[0], local)
        if text is None:
            continue
        inner = _worst(literal_findings(ctx, text))
        if inner is not None and inner.severity >= Severity.HIGH:
            ctx.add(
                "write-then-run",
                inner.severity,
                call,
                f"{call_name(ctx, call)}() runs code held in a string literal, and that code "
                f"is {inner.severity.label} by itself ({inner.id}: {inner.message[:160]})",
            )


def _written_and_started(
    ctx: Context, nodes: list[ast.AST], calls: list[ast.Call], local: Mapping[str, ast.AST]
) -> None:
    """A scope writing a literal to a file (`f.write`, `Path.write_text`) and starting a
    process or `os.startfile` whose arguments name that file (its variable, the file
    object's `.name`) with an interpreter, the shell or a script suffix."""
    handles: dict[str, ast.AST] = {}  # file variable -> the literal written through it
    for n in nodes:
        if isinstance(n, ast.withitem) and isinstance(n.optional_vars, ast.Name):
            handles.setdefault(n.optional_vars.id, n.context_expr)
    written: list[tuple[set[str], ast.AST]] = []
    for call in calls:
        func = call.func
        if not (
            isinstance(func, ast.Attribute)
            and func.attr in {"write", "write_text", "write_bytes"}
            and call.args
        ):
            continue
        content: ast.AST = call.args[0]
        if _literal(ctx, content, local) is None:
            continue
        names = {n.id for n in walk(func.value) if isinstance(n, ast.Name)}
        for name in list(names):  # `with open(path, "w") as f: f.write(...)`: path too
            opened = handles.get(name) or local.get(name)
            if isinstance(opened, ast.Call):
                names |= {n.id for a in opened.args for n in walk(a) if isinstance(n, ast.Name)}
        written.append((names, content))
    if not written:
        return
    for call in calls:
        q = call_name(ctx, call) or ""
        if not (is_process_name(q) or q in _STARTERS):
            continue
        mentioned = {n.id for a in call.args for n in walk(a) if isinstance(n, ast.Name)}
        for names, content in written:
            if not names & mentioned:
                continue
            texts = " ".join(command_texts(ctx, call))
            if q not in _STARTERS and not _INTERPRETER.search(texts + " " + ast.unparse(call)):
                continue
            text = _literal(ctx, content, local)
            inner = _worst(literal_findings(ctx, text)) if text is not None else None
            # Where it runs: setup.py (every build) or at import is high; inside a function a
            # user calls it is medium (meson writes a .bat to shorten Wine paths so).
            severity = (
                Severity.HIGH if ctx.setup or id(call) in run_at_import(ctx)[1] else Severity.MEDIUM
            )
            why = ""
            if inner is not None and inner.severity >= Severity.HIGH:
                severity = Severity.CRITICAL
                why = f"; the written code is {inner.severity.label} by itself ({inner.id})"
            ctx.add(
                "write-then-run",
                severity,
                call,
                f"writes code held in a string literal to a file and starts it ({q}){why}: "
                "a dropper's shape; read the literal as the package's real code",
            )
            break
