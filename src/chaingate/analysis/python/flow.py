"""Data flow over the index: what runs when a module is imported (`run_at_import`, following
calls to the module's own functions and callables handed to threads, timers and handlers),
taint through assignments (`tainted_by`, `secret_flow`), sockets, parameters and the
identities of path expressions."""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from chaingate.analysis.python.index import (
    Context,
    attr_key,
    bindings_of,
    call_name,
    children,
    fold,
    makes_socket,
    walk,
)
from chaingate.analysis.python.names import MAIN_NAMES, SPAWNER_METHODS, SPAWNERS


def _is_main_guard(test: ast.expr) -> bool:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_main_guard(v) for v in test.values)
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    consts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and bool(consts & MAIN_NAMES)


def _runtime_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Nodes that run when this body runs (not function bodies, not `__main__` blocks)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.If) and _is_main_guard(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(children(node))


def reachable(ctx: Context, body: Iterable[ast.AST]) -> list[ast.AST]:
    """Nodes run by `body`, following calls to module-level functions of this file, and
    functions handed to a thread, a timer, an executor, `atexit` or a signal handler."""
    out: list[ast.AST] = []
    seen: set[str] = set()
    pending = [list(body)]
    while pending:
        for node in _runtime_nodes(pending.pop()):
            out.append(node)
            if node.__class__ is not ast.Call:
                continue
            call: Any = node
            func = call.func
            names = [func.id] if func.__class__ is ast.Name else []
            if _spawns(ctx, call):
                names += [a.id for a in call_args(call) if isinstance(a, ast.Name)]
            for name in names:
                fn = ctx.functions.get(name)
                if fn is not None and fn.name not in seen:
                    seen.add(fn.name)
                    pending.append(list(fn.body))
    return out


_PEP517_HOOKS = (
    "build_wheel",
    "build_sdist",
    "build_editable",
    "prepare_metadata_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "get_requires_for_build_wheel",
    "get_requires_for_build_sdist",
    "get_requires_for_build_editable",
)


_TOOLING_DIR = re.compile(r"^(?:scripts?|tools?|tooling|ci|dev|devtools|build_tools|tasks)$", re.I)


def _in_tooling_dir(path: str) -> bool:
    return any(_TOOLING_DIR.match(d) for d in path.replace("\\", "/").split("/")[:-1])


def run_at_import(ctx: Context) -> tuple[list[ast.AST], set[int]]:
    """The nodes that run when the module is imported (setup.py and a build backend: when
    pip runs them, PEP 517 hooks included), and their ids; worked out once per file."""
    if ctx.at_import is None:
        roots: list[ast.AST] = list(ctx.tree.body)
        if ctx.backend:  # the frontend calls the PEP 517 hooks
            hooks = [name for name in _PEP517_HOOKS if name in ctx.functions]
            # A helper module setup.py imports from a tooling directory (scripts/post_install
            # .py, no hooks of its own): setup.py may call any of its functions, so all of
            # them run at install time. A build backend's own helpers are followed from its
            # hooks only (cmake's backend downloads in a function nobody calls on install).
            called = hooks or (list(ctx.functions) if _in_tooling_dir(ctx.path) else [])
            roots += [s for name in called for s in ctx.functions[name].body]
        nodes = reachable(ctx, roots)
        ctx.at_import = (nodes, {id(n) for n in nodes})
    return ctx.at_import


def _spawns(ctx: Context, call: ast.Call) -> bool:
    """Does this call hand its callable arguments over to be run (a thread's target)?"""
    if isinstance(call.func, ast.Attribute) and call.func.attr in SPAWNER_METHODS:
        return True
    return (call_name(ctx, call) or "") in SPAWNERS


def _receiver_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return attr_key(node)


def is_socket(ctx: Context, node: ast.AST) -> bool:
    """Is `node` a socket: a name bound from one, or a call making one?"""
    if isinstance(node, ast.Call):
        return makes_socket(ctx, node)
    key = _receiver_key(node)
    return key is not None and key in ctx.sockets


def socket_call(ctx: Context, call: ast.Call, methods: frozenset[str]) -> bool:
    """`sock.<method>(...)` on a socket (`.send`, `.connect`, ...)."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in methods and is_socket(ctx, func.value)


def tainted_by(
    nodes: list[ast.AST],
    is_source: Callable[[ast.AST], bool],
    name_use: Callable[[ast.Name], bool] = lambda n: True,
) -> Callable[[ast.AST], bool]:
    """A predicate: does an expression contain a source or a name bound from one?

    `name_use` filters the uses of a tainted name that carry the taint along.
    """
    tainted: set[str] = set()
    if not any(is_source(n) for n in nodes):
        return lambda expr: False

    def contains(expr: ast.AST) -> bool:
        return any(
            is_source(n) or (isinstance(n, ast.Name) and n.id in tainted and name_use(n))
            for n in walk(expr)
        )

    bindings = bindings_of(nodes)
    for _ in range(4):
        before = len(tainted)
        for names, value in bindings:
            if not names <= tainted and contains(value):
                tainted |= names
        if len(tainted) == before:
            break
    return contains


def secret_flow(
    nodes: list[ast.AST],
    is_source: Callable[[ast.AST], bool],
    name_use: Callable[[ast.AST], bool],
    stop: Callable[[ast.AST], bool],
) -> tuple[Callable[[ast.AST], bool], set[str]]:
    """`tainted_by` for secrets: attributes of plain names (`self.key`) are tracked like names,
    and nothing flows out of a node `stop` accepts (hmac/hashlib: signing with a key does
    not send it). Returns the predicate and the names and attributes tainted."""
    tainted: set[str] = set()

    def contains(expr: ast.AST) -> bool:
        stack = [expr]
        while stack:
            n = stack.pop()
            if is_source(n):
                return True
            if n.__class__ is ast.Name:
                if n.id in tainted and name_use(n):
                    return True
                continue
            if n.__class__ is ast.Attribute:
                key = attr_key(n)
                if key is not None and key in tainted and name_use(n):
                    return True
            elif n.__class__ is ast.Call and stop(n):
                continue
            stack.extend(children(n))
        return False

    if not any(is_source(n) for n in nodes):
        return contains, tainted
    bindings = bindings_of(nodes, attributes=True)
    for _ in range(4):
        before = len(tainted)
        for names, value in bindings:
            if not names <= tainted and contains(value):
                tainted |= names
        if len(tainted) == before:
            break
    return contains, tainted


def call_args(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def args_contain(call: ast.Call, pred: Callable[[ast.AST], bool]) -> bool:
    return any(pred(a) for a in call_args(call))


def enclosing_function(
    ctx: Context, node: ast.AST
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    parent = ctx.parents.get(id(node))
    while parent is not None:
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return parent
        if isinstance(parent, ast.Lambda | ast.ClassDef):
            return None
        parent = ctx.parents.get(id(parent))
    return None


def parameters_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr | None]:
    """A function's parameter names, positional ones first, with their default values."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    out: dict[str, ast.expr | None] = dict(
        zip((x.arg for x in positional), [*defaults, *a.defaults], strict=True)
    )
    out.update(zip((x.arg for x in a.kwonlyargs), a.kw_defaults, strict=True))
    for extra in (a.vararg, a.kwarg):
        if extra is not None:
            out[extra.arg] = None
    return out


def single_bindings(nodes: list[ast.AST]) -> dict[str, ast.AST]:
    """Names bound exactly once in a scope, with their value."""
    seen: Counter[str] = Counter()
    values: dict[str, ast.AST] = {}
    for names, value in bindings_of(nodes):
        for name in names:
            seen[name] += 1
            values[name] = value
    return {name: value for name, value in values.items() if seen[name] == 1}


def path_keys(ctx: Context, expr: ast.AST) -> set[str]:
    """Identity of a path expression: a variable name or a constant string."""
    if isinstance(expr, ast.Name):
        return {f"name:{expr.id}"}
    text = fold(ctx, expr)
    return {f"const:{text}"} if text else set()


def path_refs(ctx: Context, expr: ast.AST) -> set[str]:
    out: set[str] = set()
    for n in walk(expr):
        out |= path_keys(ctx, n)
    # a command string mentioning a constant path ("sh /tmp/x") references it too
    for n in walk(expr):
        text = fold(ctx, n)
        if text:
            out |= {f"const:{w}" for w in text.split()}
    return out
