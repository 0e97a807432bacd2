"""`obfuscated-exec`: exec/eval/compile fed by a decoder (base64, zlib, marshal, hex, codecs,
chr-joins), builtins reached through a computed name, encoded blobs decoded; and, in a file
that does not parse, exec of decoded data on one line."""

from __future__ import annotations

import ast
import re

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.calls import computed_builtin, describe, execs_blob, hides_builtin
from chaingate.analysis.python.flow import args_contain, tainted_by
from chaingate.analysis.python.index import (
    BLOB_MIN_CHARS,
    EXCERPT_CHARS,
    Context,
    bindings_of,
    call_name,
    code_lines,
    is_blob,
    is_decoder_call,
)
from chaingate.analysis.python.names import EXEC
from chaingate.analysis.python.registry import SourceFile, text_detector, tree_detector
from chaingate.core.findings import Severity


@tree_detector(
    "obfuscated-exec",
    Severity.CRITICAL,
    "Decoded or hidden code is executed",
    calls=("decoder", "hidden_builtin", "exec_blob"),
)
def obfuscation(ctx: Context) -> None:
    """exec/eval/compile of decoded data, builtins reached through computed names, and long
    high-entropy blobs handed to a decoder."""
    _decoder_functions(ctx)
    # A scope reports only from a decoder call, a hidden builtin or an exec of a blob of
    # its own.
    sources = {
        id(c)
        for c in ctx.calls
        if is_decoder_call(ctx, c)
        or hides_builtin(ctx, c)
        or computed_builtin(ctx, c)
        or ((call_name(ctx, c) or "") in EXEC and execs_blob(c))
    }
    for nodes in ctx.scopes:
        if sources.isdisjoint(map(id, nodes)):
            continue
        decoded = tainted_by(nodes, lambda n: is_decoder_call(ctx, n))
        blob = tainted_by(nodes, lambda n: isinstance(n, ast.Constant) and is_blob(n.value))
        lookups = {
            name
            for names, value in bindings_of(nodes)
            if isinstance(value, ast.Call) and computed_builtin(ctx, value)
            for name in names
        }
        exec_in_scope = False
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            q = call_name(ctx, node) or ""
            if q in EXEC and (args_contain(node, decoded) or execs_blob(node)):
                exec_in_scope = True
                ctx.add(
                    "obfuscated-exec",
                    Severity.CRITICAL,
                    node,
                    f"{q}() runs code produced by a decoder (base64/zlib/marshal/hex/chr/"
                    "decryption, or a function returning one) or by a call on a long "
                    "high-entropy literal: decode the payload offline and read it; "
                    "legitimate packages ship code in the clear",
                )
            if hides_builtin(ctx, node):
                ctx.add(
                    "obfuscated-exec",
                    Severity.CRITICAL,
                    node,
                    "a builtin (exec/eval/compile/__import__) is looked up through a computed "
                    "name, which only serves to hide it: read what it is applied to",
                )
            func = node.func
            if (isinstance(func, ast.Call) and computed_builtin(ctx, func)) or (
                isinstance(func, ast.Name) and func.id in lookups
            ):
                ctx.add(
                    "obfuscated-exec",
                    Severity.HIGH,
                    node,
                    "a builtin looked up by a name computed at run time (decoded, joined or "
                    "sliced) is called: code that hides which builtin it calls usually hides "
                    "exec or eval; work out the name",
                )
        for node in nodes:
            if (
                isinstance(node, ast.Call)
                and is_decoder_call(ctx, node)
                and args_contain(node, blob)
            ):
                ctx.add(
                    "obfuscated-exec",
                    Severity.HIGH if exec_in_scope else Severity.MEDIUM,
                    node,
                    f"a long high-entropy string (>= {BLOB_MIN_CHARS} chars) is decoded by "
                    f"{describe(ctx, node)}: decode it offline and check what it contains",
                )


def _decoder_functions(ctx: Context) -> None:
    """Names bound to a lambda, or module-level functions, that return what a decoder
    returns (`_ = lambda s: zlib.decompress(b64decode(s[::-1]))`): calls of them are
    decoder calls too (`ctx.decoder_funcs`), nested ones included."""
    lambdas = {
        id(a.value): a.targets[0].id
        for a in ctx.assigns
        if len(a.targets) == 1
        and isinstance(a.targets[0], ast.Name)
        and isinstance(a.value, ast.Lambda)
    }
    functions = {id(fn): name for name, fn in ctx.functions.items()}
    if not lambdas and not functions:
        return
    named = [
        (lambdas.get(id(root)) or functions[id(root)], root, nodes)
        for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True)
        if id(root) in lambdas or id(root) in functions
    ]
    for _ in range(3):
        changed = False
        for name, root, nodes in named:
            if name in ctx.decoder_funcs:
                continue
            if isinstance(root, ast.Lambda):
                returns: list[ast.AST] = [root.body]
            else:
                returns = [n.value for n in nodes if isinstance(n, ast.Return) and n.value]
            if not returns:
                continue
            decoded = tainted_by(nodes, lambda n: is_decoder_call(ctx, n))
            if any(decoded(r) for r in returns):
                ctx.decoder_funcs.add(name)
                changed = True
        if not changed:
            break


# What is still looked for, line by line, in a file this Python cannot parse (Python 2, or
# syntax newer than this interpreter's: a payload must not hide behind a `type X = ...`).
_TEXT_EXEC = re.compile(r"\b(?:exec|eval)\s*\(")
_TEXT_DECODER = re.compile(
    r"b64decode|b32decode|b85decode|a85decode|decodebytes|unhexlify|fromhex|decompress|"
    r"marshal\.loads|codecs\.decode|\.decrypt\("
)


_TEXT_ASSIGN = re.compile(r"\s*([A-Za-z_]\w*)\s*=[^=]")
# the names exec/eval (or a compile inside them) is called on: `exec(p)`, `exec(compile(p,`
_TEXT_EXEC_ARG = re.compile(r"\(\s*(?:compile\s*\(\s*)?([A-Za-z_]\w*)\s*[,)]")


@text_detector("obfuscated-exec", Severity.HIGH)
def decoded_exec_line(file: SourceFile) -> list[CodeFinding]:
    """exec of decoded data on one line of a file without a syntax tree (high: without the
    tree the flow cannot be confirmed)."""
    found: list[CodeFinding] = []
    decoded: set[str] = set()  # names assigned from a decoder on an earlier line
    for number, line in code_lines(file.text):
        assigned = _TEXT_ASSIGN.match(line)
        execs = _TEXT_EXEC.search(line)
        if execs and (
            _TEXT_DECODER.search(line)
            or any(name in decoded for name in _TEXT_EXEC_ARG.findall(line[execs.start() :]))
        ):
            found.append(
                CodeFinding(
                    "obfuscated-exec",
                    Severity.HIGH,
                    file.path,
                    number,
                    "exec/eval of decoded data (decoded on this line or assigned from a "
                    "decoder before it), in a file this Python cannot parse (newer syntax "
                    "or Python 2): read the line",
                    line.strip()[:EXCERPT_CHARS],
                )
            )
        if assigned and _TEXT_DECODER.search(line):
            decoded.add(assigned.group(1))
    return found
