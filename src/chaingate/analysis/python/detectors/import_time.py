"""`import-time-exec`: network or process calls that run when a module is imported, weighed
by where the network call goes (a constant remote host, this machine, a caller's argument)."""

from __future__ import annotations

import ast
import base64
import ipaddress
import re
from collections.abc import Iterable

from chaingate.analysis.python.calls import describe, is_network, suspicious_command
from chaingate.analysis.python.flow import enclosing_function, parameters_of, run_at_import
from chaingate.analysis.python.index import (
    Context,
    bindings_of,
    call_name,
    fold,
    is_process_name,
    path_parts,
    scope_nodes,
    walk,
)
from chaingate.analysis.python.names import IDENTITY, TEST_DIRS
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

# Where each network call takes its destination: (positional index, keyword).
_DESTINATION_ARG = {
    **{f"{lib}.request": (1, "url") for lib in ("requests", "httpx")},
    "socket.getaddrinfo": (0, "host"),
    "http.client.HTTPConnection": (0, "host"),
    "http.client.HTTPSConnection": (0, "host"),
    "httplib.HTTPConnection": (0, "host"),
    "httplib.HTTPSConnection": (0, "host"),
    "socket.create_connection": (0, "address"),
}


_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


@tree_detector(
    "import-time-exec",
    Severity.HIGH,
    "Network or process execution when a module is imported",
    calls=("network", "process"),
    setup=False,
)
def import_time(ctx: Context) -> None:
    """Network or process calls that run when the module is imported (one level less in
    test, documentation and example directories)."""
    step = -1 if TEST_DIRS & set(path_parts(ctx.path)[:-1]) else 0
    for node in run_at_import(ctx)[0]:
        if not isinstance(node, ast.Call):
            continue
        q = call_name(ctx, node) or ""
        if is_network(ctx, node):
            # High only when a constant host elsewhere is contacted: a helper opening
            # the URL it is given (matplotlib's rc file) or a server on this machine is
            # no outbound beacon by itself.
            where = destination(ctx, node)
            severity = {"remote": Severity.HIGH, "loopback": Severity.LOW}.get(
                where, Severity.MEDIUM
            )
            ctx.add(
                "import-time-exec",
                severity.bump(step),
                node,
                f"{describe(ctx, node)} runs when this module is imported, not when a "
                "function is called"
                + {
                    "loopback": " (to this machine)",
                    "parameter": " (to an address its caller passes in)",
                    "unknown": " (to an address computed at run time)",
                }.get(where, "")
                + ": check what it contacts; libraries rarely touch the network at import",
            )
        elif is_process_name(q):
            ctx.add(
                "import-time-exec",
                Severity.MEDIUM.bump(step + (1 if suspicious_command(ctx, node) else 0)),
                node,
                f"{q} starts a process when this module is imported: check the command",
            )


def destination(ctx: Context, call: ast.Call) -> str:
    """Where a network call goes: "remote" (a constant host elsewhere), "loopback" (this
    machine), "parameter" (whatever the enclosing function is given, as in a helper that
    opens the URL it is passed) or "unknown" (computed at run time)."""
    q = call_name(ctx, call) or ""
    index, keyword = _DESTINATION_ARG.get(q, (0, "url"))
    expr: ast.AST | None = next((k.value for k in call.keywords if k.arg == keyword), None)
    if expr is None and len(call.args) > index:
        expr = call.args[index]
    if expr is None:
        return "unknown"
    return _origin(ctx, expr, enclosing_function(ctx, call), 0)


# How far out each kind of destination may reach, to pick the worst of several.
_REACH = {"remote": 3, "unknown": 2, "parameter": 1, "loopback": 0}
_TEXT_DECODERS = frozenset(
    {
        "base64.b64decode",
        "base64.urlsafe_b64decode",
        "base64.b32decode",
        "base64.b16decode",
        "binascii.unhexlify",
        "binascii.a2b_base64",
        "bytes.fromhex",
    }
)


def _worst(kinds: Iterable[str]) -> str:
    return max(kinds, key=_REACH.__getitem__, default="unknown")


def _origin(
    ctx: Context,
    expr: ast.AST,
    fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
    depth: int,
) -> str:
    """Where an address expression (a URL, a host, a `(host, port)` pair) inside `fn`
    leads, by what it starts with: a constant (its host decides between "remote" and
    "loopback"), an argument of `fn` (what callers in this module pass, else
    "parameter"), this machine's own name ("loopback"), or "unknown"."""
    if depth > 8:
        return "unknown"
    text = fold(ctx, expr)
    if text is not None:
        return "loopback" if _is_loopback(text, True) else "remote"
    if isinstance(expr, ast.Tuple | ast.List) and expr.elts:
        return _origin(ctx, expr.elts[0], fn, depth + 1)  # (host, port)
    if isinstance(expr, ast.JoinedStr | ast.BinOp):
        parts = _pieces(expr)
        if not parts:
            return "unknown"
        prefix = ""
        for part in parts:
            text = _constant_text(ctx, part, fn)
            if text is None:
                break
            prefix += text
        else:
            whole = not (isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod))
            if whole:
                return "loopback" if _is_loopback(prefix, True) else "remote"
            prefix = prefix.split("%", 1)[0]  # "https://%s/x" % host
        if prefix:
            return _prefix_origin(prefix)
        return _origin(ctx, parts[0], fn, depth + 1)
    if isinstance(expr, ast.Subscript):
        return _subscript_origin(ctx, expr, fn, depth)
    if isinstance(expr, ast.Call):
        return _call_origin(ctx, expr, fn, depth)
    if isinstance(expr, ast.Name):
        return _name_origin(ctx, expr.id, fn, depth)
    return "unknown"


def _prefix_origin(prefix: str) -> str:
    """A constant beginning of an address: "remote" or "loopback" when it holds the host
    (`"https://c2.example" + path`), "unknown" when the host is computed
    (`"https://" + host`)."""
    if _is_loopback(prefix, False):
        return "loopback"
    if "://" not in prefix:
        return "unknown"
    m = _HOST.match(prefix.split("://", 1)[1])
    if m is None or not m.group(1):
        return "unknown"
    return "remote" if m.group(2) or "." in m.group(1) else "unknown"


def _pieces(expr: ast.JoinedStr | ast.BinOp) -> list[ast.AST]:
    """The parts an address is put together from, in order: an f-string's pieces, the
    operands of a chain of `+`, the format string of `%`."""
    if isinstance(expr, ast.JoinedStr):
        return [v.value if isinstance(v, ast.FormattedValue) else v for v in expr.values]
    if isinstance(expr.op, ast.Mod):
        return [expr.left]
    if not isinstance(expr.op, ast.Add):
        return []
    out: list[ast.AST] = []
    node: ast.AST = expr
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        out.insert(0, node.right)
        node = node.left
    out.insert(0, node)
    return out


def _constant_text(
    ctx: Context, expr: ast.AST, fn: ast.FunctionDef | ast.AsyncFunctionDef | None
) -> str | None:
    """The constant string `expr` is: a literal, or a name assigned one constant only (in
    `fn`, else at module level: `BASE = "https://..."`)."""
    text = fold(ctx, expr)
    if text is not None or not isinstance(expr, ast.Name):
        return text
    values: list[ast.AST] = []
    if fn is not None:
        values = [v for names, v in bindings_of(scope_nodes(fn)) if expr.id in names]
        if not values and expr.id in parameters_of(fn):
            return None
    if not values:
        values = list(ctx.module_values.get(expr.id, []))
    return fold(ctx, values[0]) if len(values) == 1 else None


def _call_origin(
    ctx: Context, call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef | None, depth: int
) -> str:
    q = call_name(ctx, call) or ""
    if q in IDENTITY:
        return "loopback"  # this machine's own name
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "format":
        template = _constant_text(ctx, func.value, fn)
        if template is not None:
            return _prefix_origin(template.split("{", 1)[0])
        return _origin(ctx, func.value, fn, depth + 1)
    if isinstance(func, ast.Attribute) and func.attr == "decode":
        return _origin(ctx, func.value, fn, depth + 1)
    if q in _TEXT_DECODERS and len(call.args) == 1:
        decoded = _decode_constant(ctx, q, call.args[0])
        if decoded is not None:
            return "loopback" if _is_loopback(decoded, True) else "remote"
    if q.endswith(("Request", "urljoin")) or q in {"str", "os.fspath"}:
        inner: ast.AST | None = call.args[0] if call.args else None
        inner = next((k.value for k in call.keywords if k.arg == "url"), inner)
        return "unknown" if inner is None else _origin(ctx, inner, fn, depth + 1)
    return "unknown"


def _decode_constant(ctx: Context, q: str, arg: ast.AST) -> str | None:
    """base64/hex decoding of a short literal, evaluated (pure functions of the text)."""
    value: object = arg.value if isinstance(arg, ast.Constant) else fold(ctx, arg)
    if not isinstance(value, str | bytes) or len(value) > 10_000:
        return None
    try:
        if q in {"bytes.fromhex", "binascii.unhexlify"}:
            data = bytes.fromhex(value if isinstance(value, str) else value.decode("ascii"))
        elif q == "base64.b32decode":
            data = base64.b32decode(value)
        elif q == "base64.b16decode":
            data = base64.b16decode(value)
        elif q == "base64.urlsafe_b64decode":
            data = base64.urlsafe_b64decode(value)
        else:
            data = base64.b64decode(value)
    except (ValueError, TypeError, UnicodeError):
        return None
    return data.decode("latin-1")


def _subscript_origin(
    ctx: Context,
    expr: ast.Subscript,
    fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
    depth: int,
) -> str:
    """CONFIG["url"] where CONFIG is a dict literal at module level."""
    key = fold(ctx, expr.slice)
    if key is None or not isinstance(expr.value, ast.Name):
        return "unknown"
    values = ctx.module_values.get(expr.value.id, [])
    found = [
        v
        for d in values
        if isinstance(d, ast.Dict)
        for k, v in zip(d.keys, d.values, strict=True)
        if k is not None and fold(ctx, k) == key
    ]
    return _worst(_origin(ctx, v, None, depth + 1) for v in found) if found else "unknown"


def _name_origin(
    ctx: Context,
    name: str,
    fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
    depth: int,
) -> str:
    if fn is None:
        return _worst(_origin(ctx, v, None, depth + 1) for v in ctx.module_values.get(name, []))
    values: list[ast.AST] = [v for names, v in bindings_of(scope_nodes(fn)) if name in names]
    params = parameters_of(fn)
    if name not in params:
        if not values:
            return _name_origin(ctx, name, None, depth + 1)  # a module-level name
        return _worst(_origin(ctx, v, fn, depth + 1) for v in values)
    # a parameter: what the function rebinds it to (other than from itself, as in
    # `fname = os.path.expanduser(fname)`), and what callers in this module pass
    kinds = [
        _origin(ctx, v, fn, depth + 1)
        for v in values
        if not any(isinstance(n, ast.Name) and n.id == name for n in walk(v))
    ]
    kinds += _argument_origins(ctx, fn, name, params, depth)
    return _worst(kinds)


def _argument_origins(
    ctx: Context,
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    params: dict[str, ast.expr | None],
    depth: int,
) -> list[str]:
    """Where the values callers in this module pass for parameter `name` lead ("parameter"
    when nothing here calls the function by name)."""
    if ctx.functions.get(fn.name) is not fn:
        return ["parameter"]  # a method or nested function: its callers are not followed
    sites = [c for c in ctx.calls if isinstance(c.func, ast.Name) and c.func.id == fn.name]
    if not sites:
        return ["parameter"]
    positional = [p for p in params if p not in {x.arg for x in fn.args.kwonlyargs}]
    index = positional.index(name) if name in positional else None
    out: list[str] = []
    for site in sites:
        arg: ast.AST | None = next((k.value for k in site.keywords if k.arg == name), None)
        if arg is None and index is not None and index < len(site.args):
            arg = site.args[index]
            if any(isinstance(a, ast.Starred) for a in site.args[: index + 1]):
                arg = None
                out.append("unknown")
                continue
        if arg is None:
            default = params[name]
            out.append("parameter" if default is None else _origin(ctx, default, None, depth + 1))
            continue
        out.append(_origin(ctx, arg, enclosing_function(ctx, site), depth + 1))
    return out


def _is_loopback(text: str, whole: bool) -> bool:
    """Does an address (a URL, a host name or an IP; all of it when `whole`, else its
    beginning) name this machine?"""
    if "://" in text:
        rest = text.split("://", 1)[1]
    elif whole and _is_loopback_host(text):
        return True  # "::1", a bare host name
    else:
        rest = text
    m = _HOST.match(rest)
    if m is None or (not m.group(2) and not whole):
        return False  # the host is not all there: "http://" + host
    return _is_loopback_host(m.group(1).strip("[]"))


_HOST = re.compile(r"(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#\[]*)([/:?#]?)")


def _is_loopback_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified
