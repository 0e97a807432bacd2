"""`download-exec`: downloaded content executed, directly or via a file made executable;
commands from a socket run by a shell (reverse shell); processes with miner arguments."""

from __future__ import annotations

import ast
import itertools
import re

from chaingate.analysis.python.calls import command_texts
from chaingate.analysis.python.flow import (
    args_contain,
    call_args,
    is_socket,
    parameters_of,
    path_keys,
    path_refs,
    single_bindings,
    socket_call,
    tainted_by,
)
from chaingate.analysis.python.index import (
    Context,
    bindings_of,
    call_name,
    fold,
    is_process_name,
    qualname,
    scopes_of,
    walk,
)
from chaingate.analysis.python.names import EXEC, FETCH
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

_EXEC_BITS = frozenset(
    {"S_IEXEC", "S_IXUSR", "S_IXGRP", "S_IXOTH", "S_IRWXU", "S_IRWXG", "S_IRWXO"}
)


_INTERPRETERS = frozenset({"python", "python3", "sh", "bash", "cmd", "powershell", "pwsh"})


# Cryptocurrency miners: pool URLs, well-known miner names and flags.
_MINER = re.compile(
    r"stratum\+(?:tcp|ssl|tls)://|\bxmrig\b|--donate-level|\bcpuminer\b|\bminerd\b"
    r"|\bnanominer\b|\bethminer\b|\bt-rex\b|--randomx",
    re.IGNORECASE,
)
_POOL_ADDRESS = re.compile(r"^[\w.-]+\.[a-z][\w-]*:\d{2,5}$", re.IGNORECASE)


@tree_detector(
    "download-exec", Severity.CRITICAL, "Downloaded content is executed", calls=("fetch",)
)
def download_exec(ctx: Context) -> None:
    """Downloaded content run: into exec or a process, or saved, made executable and run."""
    fetchers: set[str] = set()

    def is_fetch(n: ast.AST) -> bool:
        if not isinstance(n, ast.Call):
            return False
        if isinstance(n.func, ast.Name) and n.func.id in fetchers:
            return True
        return (call_name(ctx, n) or "") in FETCH

    # module-level functions that return downloaded content count as downloads themselves
    rounds = 2 if any(is_fetch(n) for nodes in ctx.scopes for n in nodes) else 0
    for _ in range(rounds):
        for name, fn in ctx.functions.items():
            body = next(scopes_of(ast.Module(body=fn.body, type_ignores=[])))
            returns = tainted_by(body, is_fetch)
            if any(isinstance(n, ast.Return) and n.value and returns(n.value) for n in body):
                fetchers.add(name)
    functions = {id(fn): name for name, fn in ctx.functions.items()}
    writers: list[str] = []  # functions that save downloaded bytes to a file
    runners: dict[str, ast.Call] = {}  # functions that chmod +x and run their parameter
    for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True):
        fetched = tainted_by(nodes, is_fetch)
        calls = [n for n in nodes if isinstance(n, ast.Call)]
        written: set[str] = set()
        handles: dict[str, ast.expr] = {}
        for names, value in bindings_of(nodes):
            if isinstance(value, ast.Call) and (call_name(ctx, value) or "") in {
                "open",
                "io.open",
            }:
                for name in names:
                    if value.args:
                        handles[name] = value.args[0]
        for call in calls:
            q = call_name(ctx, call) or ""
            if (q in EXEC or is_process_name(q)) and args_contain(call, fetched):
                ctx.add(
                    "download-exec",
                    Severity.CRITICAL,
                    call,
                    f"downloaded content is passed to {q}: whatever the server returns "
                    "runs on the installing machine; check the URL and the payload",
                )
            if q.endswith("urlretrieve") and len(call.args) >= 2:
                written |= path_keys(ctx, call.args[1])
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in {"write", "write_bytes", "write_text"}
                and args_contain(call, fetched)
            ):
                target: ast.expr = func.value
                if isinstance(target, ast.Name) and target.id in handles:
                    target = handles[target.id]
                elif isinstance(target, ast.Call) and target.args:
                    # open(p, "wb").write(...), Path(p).write_bytes(...)
                    target = target.args[0]
                written |= path_keys(ctx, target)
        executable = _made_executable(ctx, calls)
        downloads = any(is_fetch(c) for c in calls)
        if written and id(root) in functions:
            writers.append(functions[id(root)])
        if not written and not executable:
            continue
        local = single_bindings(nodes)
        parameters = (
            {f"name:{p}" for p in parameters_of(root)}
            if isinstance(root, ast.FunctionDef | ast.AsyncFunctionDef)
            else set()
        )
        chmodded = any(
            (call_name(ctx, c) or "") == "os.chmod"
            and c.args
            and path_keys(ctx, c.args[0]) & written
            for c in calls
        )
        for call in calls:
            q = call_name(ctx, call) or ""
            if not (is_process_name(q) or q in EXEC) or not call.args:
                continue
            refs = set().union(*(path_refs(ctx, a) for a in call_args(call)))
            program = _program_keys(ctx, call.args[0], local)
            if written and ((chmodded and refs & written) or program & written):
                ctx.add(
                    "download-exec",
                    Severity.CRITICAL,
                    call,
                    f"a downloaded file is written to disk and then run ({q}): check the "
                    "URL and what the file is",
                )
            elif downloads and program & executable:
                ctx.add(
                    "download-exec",
                    Severity.CRITICAL,
                    call,
                    f"this code downloads, makes a file executable and runs it ({q}), the "
                    "steps of installing a program from the network (from an archive it "
                    "unpacks, here): check the URL and what the program is",
                )
            elif program & executable & parameters and id(root) in functions:
                runners.setdefault(functions[id(root)], call)
    _split_download_exec(ctx, writers, runners)


def _split_download_exec(ctx: Context, writers: list[str], runners: dict[str, ast.Call]) -> None:
    """A download and a run in two functions of one module (`path = safe_download(url)`
    in one, `safe_run(path)`: chmod +x and Popen of its parameter, in another)."""
    if not runners:
        return
    if not writers:
        for name, call in runners.items():
            ctx.add(
                "download-exec",
                Severity.MEDIUM,
                call,
                f"{name}() makes the path it is given executable and runs it: check what "
                "calls it with which file",
            )
        return
    for name, call in runners.items():
        ctx.add(
            "download-exec",
            Severity.HIGH,
            call,
            f"this module saves downloaded bytes to a file ({', '.join(sorted(writers))}) "
            f"and {name}() makes the path it is given executable and runs it: together, "
            "a download-and-run; check what calls them with which URL and file",
        )
    for nodes in ctx.scopes:
        local = single_bindings(nodes)
        for node in nodes:
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in runners
            ):
                continue
            for arg in call_args(node):
                value = local.get(arg.id, arg) if isinstance(arg, ast.Name) else arg
                if (
                    isinstance(value, ast.Call)
                    and isinstance(value.func, ast.Name)
                    and value.func.id in writers
                ):
                    ctx.add(
                        "download-exec",
                        Severity.CRITICAL,
                        node,
                        f"the file {value.func.id}() downloads is passed to "
                        f"{node.func.id}(), which makes it executable and runs it: check "
                        "the URL and what the file is",
                    )


def _made_executable(ctx: Context, calls: list[ast.Call]) -> set[str]:
    """Paths given execute permission: os.chmod(p, <mode with an x bit>), Path(p).chmod."""
    out: set[str] = set()
    for call in calls:
        q = call_name(ctx, call) or ""
        func = call.func
        if q == "os.chmod" and len(call.args) >= 2 and _exec_mode(ctx, call.args[1]):
            out |= path_keys(ctx, call.args[0])
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "chmod"
            and call.args
            and q != "os.chmod"
            and _exec_mode(ctx, call.args[0])
        ):
            target = func.value
            if isinstance(target, ast.Call) and target.args:
                target = target.args[0]  # Path(p).chmod(...)
            out |= path_keys(ctx, target)
    return out


def _exec_mode(ctx: Context, mode: ast.AST) -> bool:
    for n in walk(mode):
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value & 0o111:
            return True
        if (isinstance(n, ast.Attribute) and n.attr in _EXEC_BITS) or (
            isinstance(n, ast.Name) and n.id in _EXEC_BITS
        ):
            return True
    return False


def _program_keys(ctx: Context, expr: ast.AST, local: dict[str, ast.AST] | None = None) -> set[str]:
    """The path being run when `expr` is the command of a process call (`local` resolves
    a name bound once in the scope: `command = [path, ...]; Popen(command)`)."""
    if isinstance(expr, ast.Name) and local and expr.id in local:
        value = local[expr.id]
        if isinstance(value, ast.List | ast.Tuple):
            expr = value
    if isinstance(expr, ast.List | ast.Tuple) and expr.elts:
        first = expr.elts[0]
        q = qualname(ctx, first) or ""
        prog = (fold(ctx, first) or "").rsplit("/", 1)[-1].lower()
        if (q == "sys.executable" or prog in _INTERPRETERS) and len(expr.elts) > 1:
            return path_keys(ctx, expr.elts[1]) | path_keys(ctx, first)
        return path_keys(ctx, first)
    text = fold(ctx, expr)
    if text is not None:
        words = text.split()
        return {f"const:{w}" for w in words[:2]}
    if isinstance(expr, ast.JoinedStr | ast.BinOp):
        return {k for n in walk(expr) for k in path_keys(ctx, n) if k.startswith("name:")}
    return path_keys(ctx, expr)


@tree_detector("download-exec", Severity.HIGH, calls=("process",))
def miner_arguments(ctx: Context) -> None:
    """A process started with cryptocurrency-miner arguments."""
    for nodes in ctx.scopes:
        calls = [
            n for n in nodes if isinstance(n, ast.Call) and is_process_name(call_name(ctx, n) or "")
        ]
        if not calls:
            continue
        local = single_bindings(nodes)
        for call in calls:
            if _is_miner(command_texts(ctx, call, local)):
                ctx.add(
                    "download-exec",
                    Severity.HIGH,
                    call,
                    "a process is started with cryptocurrency-miner arguments (a pool "
                    "address with a wallet, a stratum URL, xmrig options): miners are "
                    "downloaded or bundled to mine on the user's machine; check the program",
                )


def _is_miner(texts: list[str]) -> bool:
    for text in texts:
        if _MINER.search(text):
            return True
        words = text.split()
        pool = any(
            w in {"-o", "--url"} and _POOL_ADDRESS.match(n) for w, n in itertools.pairwise(words)
        )
        if pool and any(w in {"-u", "--user", "--wallet"} for w in words):
            return True
    return False


@tree_detector("download-exec", Severity.CRITICAL, calls=("dup2", "network+process"))
def reverse_shell(ctx: Context) -> None:
    """A socket wired to a shell: its stdin/stdout/stderr dup'ed onto a socket, or an
    interactive shell started next to an outgoing connection."""
    for nodes in ctx.scopes:
        calls = [n for n in nodes if isinstance(n, ast.Call)]
        connects = any(socket_call(ctx, c, frozenset({"connect", "connect_ex"})) for c in calls)
        wired = sorted(
            (c for c in calls if _dup_to_stdio(ctx, c, connects)), key=lambda c: c.lineno
        )
        shells = [c for c in calls if _interactive_shell(ctx, c)]
        hits = wired[:1] + shells if wired else (shells if connects else [])
        for call in hits:
            ctx.add(
                "download-exec",
                Severity.CRITICAL,
                call,
                "a reverse shell: a socket is connected and a shell's input and output are "
                "wired to it, so whoever is on the other end runs commands here",
            )


def _dup_to_stdio(ctx: Context, call: ast.Call, connects: bool) -> bool:
    """os.dup2(<socket>.fileno(), 0 | 1 | 2)."""
    if (call_name(ctx, call) or "") != "os.dup2" or len(call.args) < 2:
        return False
    fd, target = call.args[0], call.args[1]
    if not (isinstance(target, ast.Constant) and target.value in (0, 1, 2)):
        return False
    return (
        isinstance(fd, ast.Call)
        and isinstance(fd.func, ast.Attribute)
        and fd.func.attr == "fileno"
        and (connects or is_socket(ctx, fd.func.value))
    )


def _interactive_shell(ctx: Context, call: ast.Call) -> bool:
    q = call_name(ctx, call) or ""
    if q == "pty.spawn":
        program = (fold(ctx, call.args[0]) or "") if call.args else ""
        return program.rsplit("/", 1)[-1] in {"sh", "bash", "zsh", "dash", "ksh"}
    if not is_process_name(q):
        return False
    return any(
        re.search(r"(?:^|[/\s])(?:ba|z|k|da)?sh\s+-i\b", t) for t in command_texts(ctx, call)
    )
