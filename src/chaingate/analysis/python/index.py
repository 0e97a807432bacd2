"""The shared syntax-tree index every tree detector reads: one parsed file (`Context`) with
its nodes in `ast.walk` order and the calls, strings and assignments among them, filled by one
pass (`prepare`); the fast walks (`walk`, `children`, `scopes_of`), constant folding (`fold`),
qualified names through imports and aliases (`qualname`, `call_name`), bindings and sockets;
and the small helpers findings need (excerpts, `dedupe`)."""

from __future__ import annotations

import ast
import codecs
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any

import msgspec

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.names import (
    B64_ALPHABET,
    BUILTIN_PREFIXES,
    DECODERS,
    EXEC,
    NETWORK,
    PLAIN_CODECS,
    PROCESS,
    PROCESS_PREFIXES,
    SOCKET_MAKERS,
)
from chaingate.core.findings import Severity

EXCERPT_CHARS = 160
BLOB_MIN_CHARS = 2000
BLOB_MIN_ENTROPY = 5.0
_FOLD_DEPTH = 64
MAX_FINDINGS_PER_ID = 20


def source_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def code_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number, line) of the lines of a text that are no comment and not huge: what text
    detectors read of a file without a syntax tree."""
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) <= 100_000 and not line.lstrip().startswith("#"):
            yield number, line


def _excerpt(lines: list[str], line: int | None) -> str:
    if line is None or not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].strip()[:EXCERPT_CHARS]


def dedupe(findings: Iterable[CodeFinding]) -> list[CodeFinding]:
    best: dict[tuple[str, int | None], CodeFinding] = {}
    for f in findings:
        key = (f.id, f.line)
        if key not in best or f.severity > best[key].severity:
            best[key] = f
    per_id: Counter[str] = Counter()
    out: list[CodeFinding] = []
    for f in sorted(best.values(), key=lambda f: (-f.severity, f.line or 0, f.id)):
        per_id[f.id] += 1
        if per_id[f.id] <= MAX_FINDINGS_PER_ID:
            out.append(f)
    return sorted(out, key=lambda f: (f.line or 0, f.id))


def _entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def is_blob(value: object) -> bool:
    if not isinstance(value, str | bytes) or len(value) < BLOB_MIN_CHARS:
        return False
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    compact = "".join(text.split())
    if len(compact) < BLOB_MIN_CHARS or not set(compact) <= B64_ALPHABET:
        return False
    return _entropy(compact) > BLOB_MIN_ENTROPY


def path_parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").lower().split("/") if p]


class Context(msgspec.Struct, dict=True):  # dict: for its cached properties
    """One parsed file. `nodes` lists every node of the tree in `ast.walk` order (operator
    and load/store markers left out), and the lists after it are the kinds the detectors look
    at, in the same order; they are filled by one pass over the tree."""

    path: str
    text: str
    tree: ast.Module
    nodes: list[ast.AST] = msgspec.field(default_factory=list)
    calls: list[ast.Call] = msgspec.field(default_factory=list)
    strings: list[tuple[ast.Constant, str]] = msgspec.field(default_factory=list)  # with the value
    assigns: list[ast.Assign] = msgspec.field(default_factory=list)
    aliases: dict[str, str] = msgspec.field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = msgspec.field(
        default_factory=dict
    )
    findings: list[CodeFinding] = msgspec.field(default_factory=list)
    call_names: dict[int, str | None] = msgspec.field(default_factory=dict)
    decoder_funcs: set[str] = msgspec.field(default_factory=set)  # names whose calls decode
    backend: bool = False  # an in-tree build backend: runs at install time like setup.py
    # what runs at import (or install) and their ids: `flow.run_at_import`, worked out once
    at_import: tuple[list[ast.AST], set[int]] | None = None

    @cached_property
    def setup(self) -> bool:
        """setup.py or an in-tree build backend: code pip runs to build and install."""
        return path_parts(self.path)[-1] == "setup.py" or self.backend

    @property
    def runner(self) -> str:
        """What runs this file at install time, as messages name it."""
        return f"the in-tree build backend {self.path}" if self.backend else "setup.py"

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        parents: dict[int, ast.AST] = {}
        for node in self.nodes:
            for child in children(node):
                parents[id(child)] = node
        return parents

    @cached_property
    def scope_roots(self) -> list[ast.AST]:
        """The module, then every function, class and lambda, in walk order."""
        return [self.tree, *(n for n in self.nodes if n.__class__ in SCOPE_TYPES)]

    @cached_property
    def scopes(self) -> list[list[ast.AST]]:
        """The nodes of each scope, in the order of `scope_roots`."""
        return [scope_nodes(root) for root in self.scope_roots]

    @cached_property
    def sockets(self) -> set[str]:
        """Names (`s`, `self.sock`) bound from a socket: `socket.socket(...)`,
        `socket.create_connection(...)`, `*.wrap_socket(...)`, `*.accept()[0]`."""
        out: set[str] = set()
        if not socket_used(self):
            return out
        for names, value in bindings_of(self.nodes, attributes=True):
            if isinstance(value, ast.Call) and makes_socket(self, value):
                out |= names
        return out

    @cached_property
    def module_values(self) -> dict[str, list[ast.expr]]:
        """What each module-level name is assigned (constants a URL may start from)."""
        out: dict[str, list[ast.expr]] = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        out.setdefault(target.id, []).append(node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and node.value is not None
                and isinstance(node.target, ast.Name)
            ):
                out.setdefault(node.target.id, []).append(node.value)
        return out

    def add(self, id_: str, severity: Severity, node: ast.AST | None, message: str) -> None:
        line = getattr(node, "lineno", None) if node is not None else None
        self.findings.append(
            CodeFinding(id_, severity, self.path, line, message, _excerpt(self.lines, line))
        )


# Fields that never hold a node worth visiting: names, numbers, flags, and the load/store
# and operator markers (leaves no detector looks at, so leaving them out changes no order).
_SCALAR_FIELDS = frozenset(
    {
        "ctx", "op", "ops", "id", "attr", "arg", "asname", "module", "level", "kind", "str",
        "conversion", "is_async", "simple", "tag", "name", "type_comment", "lineno", "rest",
        "kwd_attrs",
    }
)  # fmt: skip
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.Constant: (),
    ast.MatchSingleton: (),
    ast.Global: (),
    ast.Nonlocal: (),
    ast.Name: (),
}


# List fields with None entries: `Dict.keys` (for `**mapping`), `arguments.kw_defaults` (a
# keyword-only parameter without a default).
_HOLEY = frozenset({"keys", "kw_defaults"})


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that hold nodes: each is a node, None or a list of nodes
    (but the `_HOLEY` ones, with None entries)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        keep = {"name"} if cls.__name__ == "TypeAlias" else set()  # 3.12: its name is a Name
        fields = tuple(
            f for f in getattr(cls, "_fields", ()) if f not in _SCALAR_FIELDS or f in keep
        )
        _CHILD_FIELDS[cls] = fields
    return fields


def children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` in the same order, without the marker leaves, as a list."""
    out: list[ast.AST] = []
    for name in _CHILD_FIELDS.get(node.__class__) or _child_fields(node.__class__):
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            out.extend(value if name not in _HOLEY else [v for v in value if v is not None])
        else:
            out.append(value)
    return out


def walk(node: ast.AST) -> list[ast.AST]:
    """`ast.walk` (breadth first, same order) without the marker leaves, as a list."""
    out = [node]
    i = 0
    while i < len(out):
        out.extend(children(out[i]))
        i += 1
    return out


def prepare(ctx: Context) -> None:
    """One pass over the tree: every node in walk order, the calls, strings and assignments
    among them, and the aliases imports create (later imports win, as at run time)."""
    nodes: list[ast.AST] = [ctx.tree]
    ctx.nodes = nodes
    calls, strings, assigns, aliases = ctx.calls, ctx.strings, ctx.assigns, ctx.aliases
    append, extend = nodes.append, nodes.extend
    fields_of = _CHILD_FIELDS
    Call, Constant, Name, Attribute = ast.Call, ast.Constant, ast.Name, ast.Attribute
    Assign, Import, ImportFrom, Dict = ast.Assign, ast.Import, ast.ImportFrom, ast.Dict
    i = 0
    # The same loop as walk, inlined with the sorting: this pass sees every node of
    # every file, and it is most of the analysis time after parsing.
    while i < len(nodes):
        node: Any = nodes[i]
        i += 1
        cls = node.__class__
        if cls is Name:
            continue
        if cls is Attribute:
            append(node.value)
            continue
        if cls is Call:
            calls.append(node)
        elif cls is Constant:
            if node.value.__class__ is str:
                strings.append((node, node.value))
            continue
        elif cls is Assign:
            assigns.append(node)
        elif cls is Dict:
            extend([k for k in node.keys if k is not None])
            extend(node.values)
            continue
        elif cls is Import:
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    root = a.name.split(".", 1)[0]
                    aliases[root] = root
        elif cls is ImportFrom and node.module and not node.level:
            for a in node.names:
                if a.name != "*":
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for name in fields_of.get(cls) or _child_fields(cls):
            value = getattr(node, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                extend(value if name != "kw_defaults" else [v for v in value if v is not None])
            else:
                append(value)
    for node in ctx.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            ctx.functions[node.name] = node
    # Simple aliasing by assignment (`e = exec`, `d = base64.b64decode`), to a fixpoint.
    pairs: list[tuple[str, ast.AST]] = []
    for n in assigns:
        if len(n.targets) != 1:
            continue
        target, value = n.targets[0], n.value
        if isinstance(target, ast.Name) and isinstance(
            value, ast.Name | ast.Attribute | ast.Call | ast.Subscript
        ):
            pairs.append((target.id, value))
        elif (  # `(_a, _b) = (exec, compile)` (Hyperion renames builtins so)
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(value, ast.Tuple | ast.List)
            and len(target.elts) == len(value.elts)
        ):
            pairs += [
                (t.id, v)
                for t, v in zip(target.elts, value.elts, strict=True)
                if isinstance(t, ast.Name) and isinstance(v, ast.Name | ast.Attribute | ast.Call)
            ]
    for _ in range(3):
        changed = False
        for name, value in pairs:
            q = qualname(ctx, value)
            if q and _interesting(q) and ctx.aliases.get(name) != q:
                ctx.aliases[name] = q
                changed = True
        if not changed:
            break


def _interesting(q: str) -> bool:
    return (
        q in EXEC
        or q in {"__import__", "getattr", "builtins"}
        or q in DECODERS
        or q in NETWORK
        or is_process_name(q)
        or q.split(".", 1)[0] in {"base64", "zlib", "marshal", "codecs", "subprocess", "socket"}
    )


def fold(ctx: Context, node: ast.AST, depth: int = 0) -> str | None:
    """The constant string an expression always evaluates to, where that is easy to see."""
    if depth > _FOLD_DEPTH:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(ctx, node.left, depth + 1), fold(ctx, node.right, depth + 1)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [fold(ctx, v, depth + 1) for v in node.values]
        return "".join(p for p in parts if p is not None) if None not in parts else None
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List | ast.Tuple)
    ):
        items = [fold(ctx, e, depth + 1) for e in node.args[0].elts]
        return (
            node.func.value.value.join(i for i in items if i is not None)
            if (None not in items)
            else None
        )
    if isinstance(node, ast.Call) and _literal_decode(node) is not None:
        return _decode_literal(node)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "chr"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, int)
        and 0 <= node.args[0].value < 0x110000
    ):
        return chr(node.args[0].value)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        base = fold(ctx, node.value, depth + 1)
        s = node.slice
        bounds = [
            b.value if isinstance(b, ast.Constant) and isinstance(b.value, int) else None
            for b in (s.lower, s.upper, s.step)
        ]
        if base is not None and all(
            b is None or bv is not None
            for b, bv in zip((s.lower, s.upper, s.step), bounds, strict=True)
        ):
            if bounds[2] == 0:
                return None
            return base[slice(*bounds)]
    return None


def _literal_decode(call: ast.Call) -> str | None:
    """The codec of `<bytes literal>.decode(<codec literal>)`, normalised, else None."""
    func = call.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == "decode"
        and isinstance(func.value, ast.Constant)
        and isinstance(func.value.value, bytes)
        and len(call.args) + len(call.keywords) <= 2
    ):
        return None
    codec: ast.AST | None = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg == "encoding":
            codec = kw.value
    if codec is None:
        return "utf-8"
    if not isinstance(codec, ast.Constant) or not isinstance(codec.value, str):
        return None
    try:
        info = codecs.lookup(codec.value)
    except (LookupError, ValueError):
        return None
    # bytes.decode accepts only text encodings; the others (zlib, base64) raise
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _decode_literal(call: ast.Call) -> str | None:
    """`<bytes literal>.decode(codec)` evaluated: a pure function of two literals."""
    codec = _literal_decode(call)
    func = call.func
    if codec is None or not isinstance(func, ast.Attribute):
        return None
    data = getattr(func.value, "value", b"")
    if not isinstance(data, bytes) or len(data) > 1_000_000:
        return None
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError, TypeError):
        return None


def qualname(ctx: Context, node: ast.AST, depth: int = 0) -> str | None:
    """The dotted name an expression refers to, through imports and simple aliases."""
    if depth > _FOLD_DEPTH:
        return None
    q: str | None = None
    if isinstance(node, ast.Name):
        q = ctx.aliases.get(node.id, node.id)
    elif isinstance(node, ast.Attribute):
        base = qualname(ctx, node.value, depth + 1)
        q = f"{base}.{node.attr}" if base else None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        func = ctx.aliases.get(node.func.id, node.func.id)
        if func == "getattr" and len(node.args) >= 2:
            target = qualname(ctx, node.args[0], depth + 1)
            attr = fold(ctx, node.args[1], depth + 1)
            if target and attr:
                q = f"{target}.{attr}"
        elif func == "__import__" and node.args:
            q = fold(ctx, node.args[0], depth + 1)
    elif (
        isinstance(node, ast.Call)
        and qualname(ctx, node.func, depth + 1) == "importlib.import_module"
        and node.args
    ):
        q = fold(ctx, node.args[0], depth + 1)
    if q is None and isinstance(node, ast.Call):
        q = _lookup_call(ctx, node, depth)
    if isinstance(node, ast.Subscript):
        key = fold(ctx, node.slice, depth + 1)
        base = _namespace_of(ctx, node.value, depth)
        if base is None and isinstance(node.value, ast.Call):  # globals()['__builtins__']
            called = node.value.func
            if isinstance(called, ast.Name) and called.id in {"globals", "locals"} and key:
                q = "builtins" if key == "__builtins__" else key
        elif key and base:
            q = f"{base}.{key}"
    if q is not None and q.endswith(".__call__"):
        q = q[: -len(".__call__")]  # f.__call__(...) is f(...)
    return None if q is None else _unbuiltin(q)


# `vars(X)`, `X.__dict__`: the namespace of X, whose items are X's attributes.
def _namespace_of(ctx: Context, node: ast.AST, depth: int) -> str | None:
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return qualname(ctx, node.value, depth + 1)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and ctx.aliases.get(node.func.id, node.func.id) == "vars"
        and len(node.args) == 1
    ):
        return qualname(ctx, node.args[0], depth + 1)
    if isinstance(node, ast.Name) and node.id == "__builtins__":
        return "builtins"  # __builtins__ is the builtins dict in an imported module
    return None


def _lookup_call(ctx: Context, node: ast.Call, depth: int) -> str | None:
    """What a call that only looks a name up returns: `X.__dict__.get('k')`,
    `vars(X).get('k')`, `X.__getattribute__('k')` are `X.k`; `eval('exec')` is `exec`."""
    func = node.func
    if not node.args:
        return None
    key = fold(ctx, node.args[0], depth + 1)
    if key is None or not key.isidentifier():
        return None
    if isinstance(func, ast.Attribute) and func.attr == "get":
        base = _namespace_of(ctx, func.value, depth)
        return f"{base}.{key}" if base else None
    if isinstance(func, ast.Attribute) and func.attr == "__getattribute__":
        base = qualname(ctx, func.value, depth + 1)
        return f"{base}.{key}" if base else None
    if isinstance(func, ast.Name) and ctx.aliases.get(func.id, func.id) in {"eval"}:
        return key  # eval of a bare name: the object it names
    return None


def _unbuiltin(q: str) -> str:
    if q.startswith(BUILTIN_PREFIXES):
        for prefix in BUILTIN_PREFIXES:
            if q.startswith(prefix):
                return q[len(prefix) :]
    return q


def call_name(ctx: Context, node: ast.AST) -> str | None:
    """`qualname` of a call's function, remembered (aliases are final by now), with the
    two common shapes, `name(...)` and `name.attr(...)`, worked out inline."""
    if node.__class__ is not ast.Call:
        return None
    key = id(node)
    names = ctx.call_names
    if key in names:
        return names[key]
    func: Any = node.func
    q: str | None
    if func.__class__ is ast.Name:
        q = _unbuiltin(ctx.aliases.get(func.id, func.id))
    elif func.__class__ is ast.Attribute and func.value.__class__ is ast.Name:
        name = func.value.id
        base = _unbuiltin(ctx.aliases.get(name, name))
        q = _unbuiltin(f"{base}.{func.attr}") if base else None
    else:
        q = qualname(ctx, func)
    if q is not None and q.endswith(".__call__"):
        q = q[: -len(".__call__")]
    names[key] = q
    return q


def is_process_name(q: str) -> bool:
    return q in PROCESS or q.startswith(PROCESS_PREFIXES)


def is_decoder_call(ctx: Context, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    q = call_name(ctx, node)
    if q in DECODERS or (q is not None and q.endswith((".fromhex",))):
        return True
    func = node.func
    if isinstance(func, ast.Name) and func.id in ctx.decoder_funcs:
        return True
    if isinstance(func, ast.Attribute):
        if func.attr in {"decrypt", "decrypt_and_verify"}:
            return True  # Fernet, Crypto.Cipher, nacl: whatever was encrypted is hidden
        if func.attr == "decode":
            codec = _literal_decode(node)
            return codec is not None and codec not in PLAIN_CODECS
    if isinstance(func, ast.Attribute) and func.attr == "join" and node.args:
        arg = node.args[0]
        if isinstance(arg, ast.GeneratorExp | ast.ListComp):
            elt = arg.elt
            return isinstance(elt, ast.Call) and call_name(ctx, elt) == "chr"
        if isinstance(arg, ast.Call) and call_name(ctx, arg) == "map" and arg.args:
            mapped = arg.args[0]
            return qualname(ctx, mapped) == "chr" or _builtin_getattr(ctx, mapped)
    if q in {"bytes", "bytearray"} and len(node.args) == 1:
        return xor_comprehension(node.args[0])
    return False


def xor_comprehension(node: ast.AST) -> bool:
    """`[b ^ k for b in data]` (a list, generator or map of a lambda): bytes XOR-ed with a
    key, the commonest home-made cipher."""
    if isinstance(node, ast.ListComp | ast.GeneratorExp):
        body: ast.AST = node.elt
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "map"
        and node.args
        and isinstance(node.args[0], ast.Lambda)
    ):
        body = node.args[0].body
    else:
        return False
    return any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitXor) for n in ast.walk(body))


def _builtin_getattr(ctx: Context, node: ast.AST) -> bool:
    """`getattr(__builtins__ or builtins, <anything>)`: a builtin picked by name (mapped
    over a list of numbers, it is `chr` spelled so that no search finds it)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and ctx.aliases.get(node.func.id, node.func.id) == "getattr"
        and len(node.args) >= 2
        and (qualname(ctx, node.args[0]) or "") in {"builtins", "__builtin__", "__builtins__"}
    )


SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})


def scopes_of(tree: ast.Module, walked: list[ast.AST] | None = None) -> Iterator[list[ast.AST]]:
    """The nodes of each scope (module, function, class body, lambda), scope by scope.
    `walked` is `walk(tree)` where the caller has it already."""
    roots: list[ast.AST] = [tree]
    roots.extend(n for n in (walked or walk(tree)) if n.__class__ in SCOPE_TYPES)
    for root in roots:
        yield scope_nodes(root)


def scope_nodes(root: ast.AST) -> list[ast.AST]:
    """The nodes of one scope, not descending into the scopes it defines."""
    nodes: list[ast.AST] = []
    stack = children(root)
    while stack:
        node: Any = stack.pop()
        nodes.append(node)
        cls = node.__class__
        if cls is ast.Name or cls is ast.Constant or cls in SCOPE_TYPES:
            continue  # no children, or another scope's
        if cls is ast.Attribute:
            stack.append(node.value)
        else:
            stack.extend(children(node))
    return nodes


def bindings_of(
    nodes: Iterable[ast.AST], attributes: bool = False
) -> list[tuple[set[str], ast.AST]]:
    """(names bound, value) for every binding among `nodes`; with `attributes`, targets
    such as `self.sock` count as the name "self.sock" (and `a, b = x` binds only `a` when
    `x` is a call of `.accept()`, whose first item is the socket)."""
    out: list[tuple[set[str], ast.AST]] = []
    for n in nodes:
        if isinstance(n, ast.Assign):
            names = set().union(*(_target_names(t, attributes) for t in n.targets))
            if attributes and _is_accept(n.value):
                names = set().union(*(_first_target(t) for t in n.targets))
            out.append((names, n.value))
        elif isinstance(n, ast.AnnAssign | ast.AugAssign) and n.value is not None:
            out.append((_target_names(n.target, attributes), n.value))
        elif isinstance(n, ast.NamedExpr):
            out.append(({n.target.id}, n.value))
        elif isinstance(n, ast.withitem) and n.optional_vars is not None:
            out.append((_target_names(n.optional_vars, attributes), n.context_expr))
        elif isinstance(n, ast.For | ast.comprehension):
            out.append(({t.id for t in ast.walk(n.target) if isinstance(t, ast.Name)}, n.iter))
    return out


def _target_names(target: ast.AST, attributes: bool) -> set[str]:
    if not attributes:
        return {t.id for t in ast.walk(target) if isinstance(t, ast.Name)}
    out: set[str] = set()
    stack = [target]
    while stack:
        t = stack.pop()
        key = attr_key(t)
        if key:
            out.add(key)
            continue
        if isinstance(t, ast.Name):
            out.add(t.id)
        stack.extend(ast.iter_child_nodes(t))
    return out


def _first_target(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Tuple | ast.List) and target.elts:
        return _target_names(target.elts[0], True)
    return set()


def _is_accept(value: ast.AST) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "accept"
    )


def attr_key(node: ast.AST) -> str | None:
    """`name.attr` for an attribute of a plain name (`self.sock`), else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def makes_socket(ctx: Context, call: ast.Call) -> bool:
    """A call returning a network socket (a Unix-domain one stays on this machine)."""
    q = call_name(ctx, call) or ""
    if q in SOCKET_MAKERS:
        family = call.args[0] if call.args else None
        family = next((k.value for k in call.keywords if k.arg == "family"), family)
        return family is None or not (qualname(ctx, family) or "").endswith("AF_UNIX")
    return q.endswith(".wrap_socket") or _is_accept(call)


def socket_used(ctx: Context) -> bool:
    return any(
        v in {"socket", "ssl"} or v.startswith(("socket.", "ssl.")) for v in ctx.aliases.values()
    )
