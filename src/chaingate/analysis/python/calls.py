"""What a file's calls can set off (`kinds_of_calls`: network, process, download, decoder,
hidden builtin, ...), which decides the tree detectors a file needs (`registry.Detector.calls`),
and the call classifications several families share (network calls, process commands)."""

from __future__ import annotations

import ast
import re
from typing import Any

import msgspec

from chaingate.analysis.python.flow import call_args, socket_call
from chaingate.analysis.python.index import (
    Context,
    call_name,
    fold,
    is_blob,
    is_decoder_call,
    is_process_name,
    qualname,
    socket_used,
    walk,
)
from chaingate.analysis.python.names import (
    BUILTIN_MODULES,
    BYTECODE_LOADERS,
    DECODERS,
    EXEC,
    FETCH,
    KNOWN_CALLS,
    KNOWN_ENDS,
    NETWORK,
    PROCESS_PREFIXES,
    SOCKET_NETWORK,
)

_SUSPICIOUS_COMMAND = re.compile(
    r"\bcurl\b|\bwget\b|powershell|Invoke-WebRequest|https?://|\|\s*(?:ba)?sh\b|base64\s+-d"
    r"|\b(?:ba|z|k|da)?sh\s+-i\b"
    # Windows: start a shipped script/executable, or skip the UAC prompt for it
    r"|\bstart\s+(?:/\w+\s+)*(?:\"[^\"]*\"\s+)?\S+\.(?:bat|cmd|exe|vbs|js|ps1|scr)\b|__COMPACT_LAYER",
    re.IGNORECASE,
)


class CallKinds(msgspec.Struct):
    """What the calls of a file could set off. Each detector below reports only from calls
    of its kind, so a file without them skips it, with the same findings and none of the
    cost (most files call no network, process, exec or decoder function at all)."""

    network: bool = False  # also DNS lookups and a socket's connect/send
    process: bool = False
    fetch: bool = False  # a download, or anything named *urlretrieve (download-exec)
    decoder: bool = False
    hidden_builtin: bool = False
    exec_blob: bool = False  # exec(f(<long high-entropy literal>))
    bytecode: bool = False  # SourcelessFileLoader, marshal.load, ...
    dup2: bool = False
    exec_literal: bool = False  # exec/eval/compile of anything (write_run: a literal)
    exec_file: bool = False  # exec(<something>.read()), runpy.run_path (data_exec)


def kinds_of_calls(ctx: Context) -> CallKinds:
    kinds = CallKinds()
    aliases = ctx.aliases
    sockets = socket_used(ctx)
    for call in ctx.calls:
        q = call_name(ctx, call) or ""
        if q in KNOWN_CALLS or q.startswith(PROCESS_PREFIXES) or q.endswith(KNOWN_ENDS):
            kinds.network |= q in NETWORK
            kinds.process |= is_process_name(q)
            kinds.fetch |= q in FETCH or q.endswith("urlretrieve")
            kinds.decoder |= q in DECODERS or q.endswith(".fromhex")
            kinds.bytecode |= q.startswith("marshal.")
        elif q in EXEC:
            kinds.exec_blob = kinds.exec_blob or execs_blob(call)
        elif q == "runpy.run_path":
            kinds.exec_file = True
        elif q.endswith(BYTECODE_LOADERS) or q.endswith("spec_from_file_location"):
            kinds.bytecode = True
        elif q == "os.dup2":
            kinds.dup2 = True
        elif q in {"bytes", "bytearray"}:
            kinds.decoder = kinds.decoder or is_decoder_call(ctx, call)
        if q in EXEC and call.args:  # what write_run and data_exec look at (a literal may
            kinds.exec_literal = kinds.exec_file = True  # be folded: b'..'.decode('cp1026'))
        func: Any = call.func
        if func.__class__ is ast.Attribute:
            attr = func.attr
            if attr in SOCKET_NETWORK:
                kinds.network = kinds.network or (
                    sockets and socket_call(ctx, call, SOCKET_NETWORK)
                )
            elif attr in {"join", "decode", "decrypt", "decrypt_and_verify"}:
                kinds.decoder = kinds.decoder or is_decoder_call(ctx, call)
        elif (
            func.__class__ is ast.Name
            and not kinds.hidden_builtin
            and aliases.get(func.id, func.id) == "getattr"
        ):
            kinds.hidden_builtin = hides_builtin(ctx, call) or computed_builtin(ctx, call)
    return kinds


def is_network(ctx: Context, call: ast.Call) -> bool:
    """A call that reaches another machine: HTTP, sockets, DNS."""
    q = call_name(ctx, call) or ""
    return q in NETWORK or socket_call(ctx, call, SOCKET_NETWORK)


def describe(ctx: Context, call: ast.Call) -> str:
    return call_name(ctx, call) or "call"


def suspicious_command(ctx: Context, call: ast.Call) -> bool:
    return any(_SUSPICIOUS_COMMAND.search(text) for text in command_texts(ctx, call))


def command_texts(
    ctx: Context, call: ast.Call, local: dict[str, ast.AST] | None = None
) -> list[str]:
    """The constant strings in a process call's arguments, and each argument list joined
    with spaces (`["/bin/sh", "-i"]` reads "/bin/sh -i"); `local` resolves a name bound
    once in the scope to its value (`command = [...]; Popen(command)`)."""
    out: list[str] = []
    for expr in call_args(call):
        arg = local[expr.id] if isinstance(expr, ast.Name) and local and expr.id in local else expr
        if isinstance(arg, ast.List | ast.Tuple):
            out.append(" ".join(fold(ctx, e) or "?" for e in arg.elts))
        for n in walk(arg):
            text = fold(ctx, n)
            if text:
                out.append(text)
    return out


def execs_blob(call: ast.Call) -> bool:
    """exec(f(<long high-entropy literal>)): whatever `f` is, it unpacks hidden code."""
    for arg in call_args(call):
        for n in walk(arg):
            if isinstance(n, ast.Call) and any(
                isinstance(a, ast.Constant) and is_blob(a.value) for a in call_args(n)
            ):
                return True
    return False


def hides_builtin(ctx: Context, call: ast.Call) -> bool:
    """getattr(builtins, <computed>) / __builtins__[<computed>] naming exec and friends."""
    name = _builtin_lookup(ctx, call)
    return name is not None and fold(ctx, name) in {"exec", "eval", "compile", "__import__"}


def computed_builtin(ctx: Context, call: ast.Call) -> bool:
    """getattr(builtins, <name computed by an expression that does not fold>), with no
    default: the name is decoded, joined or sliced at run time. (A plain variable, as in
    `getattr(builtins, type_name)`, is ordinary dynamic lookup.)"""
    if len(call.args) != 2 or call.keywords:
        return False
    name = _builtin_lookup(ctx, call)
    return (
        isinstance(name, ast.Call | ast.BinOp | ast.JoinedStr | ast.Subscript)
        and fold(ctx, name) is None
    )


def _builtin_lookup(ctx: Context, call: ast.Call) -> ast.AST | None:
    """The name expression of `getattr(builtins or __builtins__, <non-literal>)`."""
    if not (
        isinstance(call.func, ast.Name)
        and ctx.aliases.get(call.func.id, call.func.id) == "getattr"
        and len(call.args) >= 2
    ):
        return None
    target, name = call.args[0], call.args[1]
    if isinstance(name, ast.Constant):
        return None
    base = qualname(ctx, target) or ""
    if base not in BUILTIN_MODULES and not base.endswith(".__builtins__"):
        return None
    return name
