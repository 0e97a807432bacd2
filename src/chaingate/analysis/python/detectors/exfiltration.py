"""`exfiltration`: environment, credential files or credential-named variables read and sent
out of the machine (also host identity leaving as DNS labels)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from chaingate.analysis.python.calls import describe
from chaingate.analysis.python.detectors.import_time import destination
from chaingate.analysis.python.flow import (
    args_contain,
    run_at_import,
    secret_flow,
    socket_call,
    tainted_by,
)
from chaingate.analysis.python.index import Context, attr_key, call_name, fold, qualname
from chaingate.analysis.python.names import DNS, IDENTITY, NETWORK, SOCKET_SENDS
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

_SIGNING = ("hmac.", "hashlib.")


_ENV_READS = frozenset({"os.getenv", "os.environ.get", "os.environ.pop", "os.environ.setdefault"})
# Environment variable names that hold credentials, word by word (TOKENIZERS_PARALLELISM
# holds none): GITHUB_TOKEN, OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, DB_PASSWORD.
_CREDENTIAL_NAME = re.compile(
    r"(?:^|_)(?:SECRETS?|TOKENS?|PASSWORDS?|PASSWD|API_?KEYS?|ACCESS_?KEY|PRIVATE_?KEY"
    r"|SECRET_?KEY)(?:_|$)|^AWS_(?:ACCESS|SECRET|SESSION)_",
    re.IGNORECASE,
)
# Keyword arguments of an HTTP call that authenticate the request rather than carry data:
# a credential variable sent there goes to the service it is for.
_AUTH_KEYWORDS = frozenset({"headers", "auth", "cookies", "cert", "verify"})
_PATH_JOINS = frozenset(
    {"os.path.join", "posixpath.join", "ntpath.join", "pathlib.Path", "pathlib.PurePath"}
)


_CREDENTIAL_PATH = re.compile(
    r"(?:^|[/\\~])\.ssh(?:[/\\]|$)|id_rsa|id_ed25519|\.aws[/\\]credentials|\.npmrc"
    r"|\.pypirc|\.git-credentials|\.docker[/\\]config\.json|\.kube[/\\]config"
    r"|(?:Google[/\\]Chrome|Chromium|BraveSoftware|Microsoft[/\\]Edge)[/\\]User Data"
    r"|Login Data|\.mozilla[/\\]firefox|cookies\.sqlite|logins\.json|key4\.db"
    # shell history, crypto wallets and seed stores, cloud CLIs' credentials
    r"|\.(?:bash|zsh|sh|python)_history|solana[/\\]id\.json|\.electrum[/\\]wallets"
    r"|exodus\.wallet|wallet\.dat|\.ethereum[/\\]keystore|Atomic[/\\]Local Storage"
    r"|\.config[/\\]gcloud[/\\](?:credentials|application_default)|\.azure[/\\]",
    re.IGNORECASE,
)


def _is_bulk_environ(ctx: Context, node: ast.AST) -> bool:
    if not isinstance(node, ast.Attribute | ast.Name) or qualname(ctx, node) != "os.environ":
        return False
    return _is_bulk_use(ctx, node)


def _is_bulk_use(ctx: Context, node: ast.AST) -> bool:
    """Is a mapping used whole (not one key read with [..], .get, `in`)?"""
    parent = ctx.parents.get(id(node))
    if isinstance(parent, ast.Subscript) and parent.value is node:
        return False
    if isinstance(parent, ast.Attribute) and parent.attr in {
        "get",
        "setdefault",
        "pop",
        "update",
        "__contains__",
        "__getitem__",
        "__setitem__",
    }:
        return False
    return not (isinstance(parent, ast.Compare) and node in parent.comparators)


def _sends(
    ctx: Context, nodes: Iterable[ast.AST], senders: set[str] | frozenset[str] = frozenset()
) -> Iterator[ast.Call]:
    """Calls that carry data off the machine: HTTP, DNS lookups, a socket's send, and calls
    of this module's functions that send their parameters (`senders`)."""
    for n in nodes:
        if n.__class__ is ast.Call:
            call: Any = n
            q = call_name(ctx, call) or ""
            if q in NETWORK or q in senders or socket_call(ctx, call, SOCKET_SENDS):
                yield call


def _returning(
    ctx: Context,
    source: Callable[[ast.AST], bool],
    name_use: Callable[[ast.AST], bool],
    stop: Callable[[ast.AST], bool],
) -> set[str]:
    """Module-level functions whose return value holds what `source` reads (`_collect()`
    reading wallet files), also through each other, two calls deep."""
    out: set[str] = set()
    nodes_of = dict(zip(map(id, ctx.scope_roots), ctx.scopes, strict=True))
    for _ in range(2):
        before = len(out)
        for name, fn in ctx.functions.items():
            if name in out:
                continue
            nodes = nodes_of.get(id(fn), [])

            def src(n: ast.AST) -> bool:
                return source(n) or (
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in out
                )

            flows, _ = secret_flow(nodes, src, name_use, stop)
            if any(isinstance(n, ast.Return) and n.value and flows(n.value) for n in nodes):
                out.add(name)
        if len(out) == before:
            break
    return out


def _sending(ctx: Context) -> set[str]:
    """Module-level functions that send (HTTP, DNS, socket) what a parameter holds
    (`_send(data)` posting `data`)."""
    nodes_of = dict(zip(map(id, ctx.scope_roots), ctx.scopes, strict=True))
    out: set[str] = set()
    for name, fn in ctx.functions.items():
        nodes = nodes_of.get(id(fn), [])
        params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        params.discard("self")
        if not params:
            continue
        calls = list(_sends(ctx, nodes))
        if not calls:
            continue
        given = tainted_by(nodes, _names_in(params))
        for call in calls:
            carried = [*call.args[1:], *(k.value for k in call.keywords if k.arg in _DATA)]
            if call.args and (call_name(ctx, call) or "") in {"urllib.request.urlopen"}:
                carried.append(call.args[0])  # urlopen(Request(url, data=...))
            if any(given(a) for a in carried):
                out.add(name)
                break
    return out


def _names_in(names: set[str]) -> Callable[[ast.AST], bool]:
    return lambda n: isinstance(n, ast.Name) and n.id in names


# Keyword arguments that carry a request's body (what a sender function is given to send).
_DATA = frozenset({"data", "json", "files", "body", "content", "params"})


def _credential_path(ctx: Context, node: ast.AST) -> bool:
    """A credential file's path: a constant (`"~/.ssh/id_rsa"`), one joined from
    constants (`os.path.join(home, ".aws", "credentials")`, `Path.home() / ".aws" / ...`),
    or a module-level list of such constants (`for rel in TARGETS`)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return isinstance(value, str) and len(value) < 512 and bool(_CREDENTIAL_PATH.search(value))
    if isinstance(node, ast.Name) and node.id in ctx.module_values:
        values = ctx.module_values[node.id]
        return len(values) == 1 and _credential_list(values[0])
    parts: list[ast.AST] = []
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "joinpath":
            parts = [func.value, *node.args]
        elif (call_name(ctx, node) or "") in _PATH_JOINS:
            parts = list(node.args)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left: ast.AST = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
            parts.insert(0, left.right)
            left = left.left
        parts.insert(0, left)
    if len(parts) < 2:
        return False
    text = "/".join(fold(ctx, part) or "*" for part in parts)
    return len(text) < 512 and bool(_CREDENTIAL_PATH.search(text))


def _credential_list(node: ast.AST) -> bool:
    if not isinstance(node, ast.List | ast.Tuple | ast.Set) or len(node.elts) > 1000:
        return False
    return any(
        isinstance(e, ast.Constant)
        and isinstance(e.value, str)
        and len(e.value) < 512
        and bool(_CREDENTIAL_PATH.search(e.value))
        for e in node.elts
    )


def _credential_env(ctx: Context, node: ast.AST) -> bool:
    """One environment variable read whose name says it holds a credential
    (`environ.get("AWS_SECRET_ACCESS_KEY")`, `os.environ["GITHUB_TOKEN"]`)."""
    key: ast.AST | None = None
    if isinstance(node, ast.Call) and node.args:
        if (call_name(ctx, node) or "") in _ENV_READS:
            key = node.args[0]
    elif isinstance(node, ast.Subscript) and qualname(ctx, node.value) == "os.environ":
        key = node.slice
    if key is None:
        return False
    name = fold(ctx, key)
    return name is not None and len(name) < 256 and bool(_CREDENTIAL_NAME.search(name))


def _env_read(ctx: Context, node: ast.AST) -> bool:
    if node.__class__ is ast.Call:
        return (call_name(ctx, node) or "") in _ENV_READS
    if isinstance(node, ast.Subscript):
        return qualname(ctx, node.value) == "os.environ"
    return _is_bulk_environ(ctx, node)


def _identity(ctx: Context, node: ast.AST) -> bool:
    """Who and where the user is: user and host names, the working directory, the
    environment."""
    if node.__class__ is ast.Call and (call_name(ctx, node) or "") in IDENTITY:
        return True
    return _env_read(ctx, node)


def _is_signing(ctx: Context, node: ast.AST) -> bool:
    return (call_name(ctx, node) or "").startswith(_SIGNING)


@tree_detector(
    "exfiltration",
    Severity.HIGH,
    "Environment or credential files are sent out",
    calls=("network",),
)
def exfiltration(ctx: Context) -> None:
    """The environment, credential files or credential variables flowing into data sent out
    (and who and where the user is, leaving as DNS labels)."""

    def bulk_use(n: ast.AST) -> bool:
        return _is_bulk_use(ctx, n)

    def signing(n: ast.AST) -> bool:
        return _is_signing(ctx, n)

    def direct(n: ast.AST) -> bool:
        return _is_bulk_environ(ctx, n) or _credential_path(ctx, n)

    # functions returning secrets; a file that never names the environment or a
    # credential path has none (most files: skipped by two text searches)
    readers = (
        _returning(ctx, direct, bulk_use, signing)
        if "environ" in ctx.text or _CREDENTIAL_PATH.search(ctx.text)
        else set()
    )

    def bulk(n: ast.AST) -> bool:
        return direct(n) or (
            n.__class__ is ast.Call and isinstance(n.func, ast.Name) and n.func.id in readers
        )

    def named(n: ast.AST) -> bool:
        return bulk(n) or _credential_env(ctx, n)

    senders = _sending(ctx) if readers else set()  # functions sending their parameters
    sends = {
        id(root): calls
        for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True)
        if (calls := list(_sends(ctx, nodes, senders)))
    }
    if not sends:
        return
    bulk_attrs = _class_secrets(ctx, bulk, sends)
    named_attrs = _class_secrets(ctx, named, sends)
    for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True):
        if id(root) not in sends:
            continue
        strong, _ = secret_flow(
            nodes, _with_attrs(bulk, bulk_attrs.get(id(root))), bulk_use, signing
        )
        weak, _ = secret_flow(
            nodes, _with_attrs(named, named_attrs.get(id(root))), bulk_use, signing
        )
        who: Callable[[ast.AST], bool] | None = None
        for call in sends[id(root)]:
            data = [k.value for k in call.keywords if k.arg not in _AUTH_KEYWORDS]
            configured = False
            if args_contain(call, strong):
                what = "the environment, credential files or credential variables"
            elif any(weak(a) for a in [*call.args, *data]):
                what = "the environment, credential files or credential variables"
                # A token sent where the package does not fix the host (a server read from
                # the user's own config, a parameter): authenticating to a configured
                # service, as mlflow sends JUPYTERHUB_API_TOKEN to the local Jupyter server.
                configured = (call_name(ctx, call) or "") not in DNS and destination(ctx, call) in {
                    "loopback",
                    "parameter",
                    "unknown",
                }
            elif (call_name(ctx, call) or "") in DNS and _built_name(call):
                if who is None:
                    who, _ = secret_flow(nodes, lambda n: _identity(ctx, n), bulk_use, signing)
                if not args_contain(call, who):
                    continue
                what = "who and where the user is (user, host, directory or environment)"
            elif (ctx.setup or id(call) in run_at_import(ctx)[1]) and _beacon(
                ctx, nodes, call, bulk_use, signing
            ):
                what = "the user, host name or working directory (a beacon)"
            else:
                continue
            if configured:
                ctx.add(
                    "exfiltration",
                    Severity.MEDIUM,
                    call,
                    "a credential variable is sent to a destination the package does not "
                    f"fix ({describe(ctx, call)}): usually authenticating to a service the "
                    "user configured; check where the address comes from",
                )
                continue
            early = ctx.setup or id(call) in run_at_import(ctx)[1]
            beacon = what.endswith("(a beacon)")
            ctx.add(
                "exfiltration",
                Severity.CRITICAL if early and (ctx.setup or not beacon) else Severity.HIGH,
                call,
                f"this module reads {what} and sends it out ({describe(ctx, call)})"
                + (" while being imported or installed" if early else "")
                + ": check the destination and what is sent",
            )


def _beacon(
    ctx: Context,
    nodes: list[ast.AST],
    call: ast.Call,
    name_use: Callable[[ast.AST], bool],
    stop: Callable[[ast.AST], bool],
) -> bool:
    """An HTTP call (at import or install) carrying the user name, host name or working
    directory (`IDENTITY` calls, not the environment: a proxy setting read at import is
    not who the user is). Dependency-confusion beacons are this and nothing else, so it is
    high on its own."""
    q = call_name(ctx, call) or ""
    if q not in NETWORK or q in DNS:  # DNS: only built names (above); resolving one's own
        return False  # host name (`gethostbyname(gethostname())`) is common and harmless

    def identity(n: ast.AST) -> bool:
        return n.__class__ is ast.Call and (call_name(ctx, n) or "") in IDENTITY

    who, _ = secret_flow(nodes, identity, name_use, stop)
    return args_contain(call, who)


def _with_attrs(
    source: Callable[[ast.AST], bool], attrs: set[str] | None
) -> Callable[[ast.AST], bool]:
    if not attrs:
        return source
    return lambda n: source(n) or (n.__class__ is ast.Attribute and attr_key(n) in attrs)


# Suffixes that keep a lookup on the local network (mDNS, home routers): jupyter-client
# resolves `gethostname() + ".local"` to find this machine's addresses.
_LOCAL_SUFFIXES = (".local", ".localdomain", ".lan", ".home.arpa")


def _built_name(call: ast.Call) -> bool:
    """Is the name a DNS call resolves put together (f-string, +, %, join, format), as
    exfiltration labels are, rather than passed as it is? A name ending in a local-network
    suffix (`host + ".local"`) never leaves the local network."""
    if not call.args:
        return False
    name = call.args[0]
    if (
        isinstance(name, ast.BinOp)
        and isinstance(name.right, ast.Constant)
        and isinstance(name.right.value, str)
        and name.right.value.lower().rstrip(".").endswith(_LOCAL_SUFFIXES)
    ):
        return False
    if isinstance(name, ast.JoinedStr | ast.BinOp):
        return True
    return (
        isinstance(name, ast.Call)
        and isinstance(name.func, ast.Attribute)
        and name.func.attr in {"join", "format"}
    )


def _class_secrets(
    ctx: Context, source: Callable[[ast.AST], bool], sends: dict[int, list[ast.Call]]
) -> dict[int, set[str]]:
    """For each method of a class that sends data: the `self.<attr>` keys that hold a
    secret some method of the class stored there (`self.secret = environ.get(...)` in
    `__init__`, sent from another method)."""
    out: dict[int, set[str]] = {}
    nodes_of = dict(zip(map(id, ctx.scope_roots), ctx.scopes, strict=True))
    for cls in ctx.scope_roots:
        if not isinstance(cls, ast.ClassDef):
            continue
        methods = {
            id(m): m.args.args[0].arg if m.args.args else ""
            for m in cls.body
            if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        if not methods or all(i not in sends for i in methods):
            continue
        attrs: set[str] = set()
        for _ in range(3):
            before = len(attrs)
            for i, me in methods.items():
                if not me:
                    continue
                keys = {f"{me}.{a}" for a in attrs}
                _, tainted = secret_flow(
                    nodes_of[i],
                    _with_attrs(source, keys),
                    lambda n: _is_bulk_use(ctx, n),
                    lambda n: _is_signing(ctx, n),
                )
                attrs |= {k.split(".", 1)[1] for k in tainted if k.startswith(me + ".")}
            if len(attrs) == before:
                break
        if attrs:
            for i, me in methods.items():
                out[i] = {f"{me}.{a}" for a in attrs}
    return out
