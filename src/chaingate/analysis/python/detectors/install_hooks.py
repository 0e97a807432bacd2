"""`install-hook`: setup.py (or an in-tree build backend) doing network or process work, or
writing outside the build tree, at module level or inside a cmdclass override of
install/develop/egg_info/build_py."""

from __future__ import annotations

import ast
import re

from chaingate.analysis.python.calls import command_texts, describe, is_network, suspicious_command
from chaingate.analysis.python.flow import reachable, run_at_import
from chaingate.analysis.python.index import (
    Context,
    call_name,
    fold,
    is_process_name,
    qualname,
    walk,
)
from chaingate.analysis.python.names import EXEC
from chaingate.analysis.python.registry import tree_detector
from chaingate.core.findings import Severity

_FILE_OPS = frozenset(
    {
        "os.chmod",
        "os.remove",
        "os.unlink",
        "os.rename",
        "os.replace",
        "shutil.copy",
        "shutil.copy2",
        "shutil.copyfile",
        "shutil.move",
        "shutil.rmtree",
    }
)


_HOOK_COMMANDS = frozenset({"install", "develop", "egg_info", "build_py"})


_PIP_INSTALL = re.compile(r"\bpip3?(?:\.exe)?\s+install\b|-m\s+pip\b", re.IGNORECASE)
# pip's own entry points, called in-process: `pip.main(['install', ...])`
_PIP_MAINS = frozenset({"pip.main", "pip._internal.main", "pip._internal.cli.main.main"})


@tree_detector(
    "install-hook",
    Severity.HIGH,
    "Code that runs when the package is installed does network or process work",
    setup=True,
)
def install_hooks(ctx: Context) -> None:
    """setup.py (or an in-tree build backend) doing network or process work, or writing
    outside the build tree, where it runs; and cmdclass overrides of install commands."""
    for node in run_at_import(ctx)[0]:
        if not isinstance(node, ast.Call):
            continue
        q = call_name(ctx, node) or ""
        if is_network(ctx, node):
            ctx.add(
                "install-hook",
                Severity.HIGH,
                node,
                f"{ctx.runner} calls {describe(ctx, node)} while it runs (every build and "
                "install from source): check what it contacts and what it does with the "
                "answer",
            )
        elif q in _PIP_MAINS:
            ctx.add("install-hook", Severity.HIGH, node, _pip_message(ctx.runner, q))
        elif is_process_name(q):
            suspicious = suspicious_command(ctx, node)
            pip = not suspicious and _pip_install(ctx, node)
            if suspicious:
                severity, why = Severity.HIGH, " with a command that fetches or pipes to a shell"
            elif pip:
                severity, why = Severity.HIGH, " that installs packages with pip"
            else:
                severity, why = Severity.LOW, ""
            ctx.add(
                "install-hook",
                severity,
                node,
                f"{ctx.runner} runs a process ({q}) while it runs{why}: check the command "
                + (
                    "(dependencies belong in install_requires, where the resolver sees them)"
                    if pip
                    else "(git/pkg-config probes are common and harmless)"
                ),
            )
        elif _writes_outside(ctx, node):
            ctx.add(
                "install-hook",
                Severity.MEDIUM,
                node,
                f"{ctx.runner} writes to a path outside the build tree (home directory or an "
                "absolute path): check what is written and why",
            )
    for cls in _hook_classes(ctx):
        own = {id(n) for n in walk(cls)}
        # an override that downloads: whatever it runs may be what it fetched
        fetches = any(isinstance(n, ast.Call) and is_network(ctx, n) for n in walk(cls))
        for node in _hook_nodes(ctx, cls):
            if not isinstance(node, ast.Call):
                continue
            q = call_name(ctx, node) or ""
            where = f"cmdclass override {cls.name!r} (runs on pip install)"
            network = is_network(ctx, node)
            if q in _PIP_MAINS:
                ctx.add("install-hook", Severity.HIGH, node, _pip_message(where, q))
            elif id(node) not in own and not network:
                # A module-level helper the override calls: judged as module-level code
                # is (protoc, make or a build script run from a helper is ordinary).
                if is_process_name(q) and (
                    suspicious_command(ctx, node) or _pip_install(ctx, node)
                ):
                    ctx.add(
                        "install-hook",
                        Severity.HIGH,
                        node,
                        f"{where} calls a helper that runs a process ({q}) with a command "
                        "that fetches, pipes to a shell, starts a script or installs "
                        "packages: check the command",
                    )
            elif network or is_process_name(q):
                kind = "network call" if network else "process"
                # A process with a plain command is a build step (make, protoc, npm, a
                # postBuild script: daff, pydeck); one that fetches, pipes to a shell,
                # starts a script or installs packages is not.
                strong = (
                    network or fetches or suspicious_command(ctx, node) or _pip_install(ctx, node)
                )
                ctx.add(
                    "install-hook",
                    Severity.HIGH if strong else Severity.MEDIUM,
                    node,
                    f"{where} makes a {kind} ({q}): check what it fetches or runs",
                )
            elif q in EXEC or q in _FILE_OPS or _writes_outside(ctx, node):
                ctx.add(
                    "install-hook",
                    Severity.MEDIUM,
                    node,
                    f"{where} does extra work ({q or 'file write'}): check that it only "
                    "builds or installs the package's own files",
                )


def _pip_message(where: str, q: str) -> str:
    return (
        f"{where} installs packages with pip ({q}) while it runs: a package pulled in so "
        "is out of the resolver's and the lock file's sight (dependencies belong in "
        "install_requires); check what it installs"
    )


def _hook_nodes(ctx: Context, cls: ast.ClassDef) -> list[ast.AST]:
    """The nodes of a cmdclass override and of the module-level functions its methods
    call (a `run()` that only calls `_post_install()`), transitively."""
    bodies = [
        stmt
        for m in cls.body
        if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
        for stmt in m.body
    ]
    seen: set[int] = set()
    out: list[ast.AST] = []
    for node in [*walk(cls), *reachable(ctx, bodies)]:
        if id(node) not in seen:
            seen.add(id(node))
            out.append(node)
    return out


def _hook_classes(ctx: Context) -> list[ast.ClassDef]:
    """Classes registered as (or subclassing) install/develop/egg_info/build_py commands."""
    registered: set[str] = set()
    for node in ctx.nodes:
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=False):
                if (
                    isinstance(key, ast.Constant)
                    and key.value in _HOOK_COMMANDS
                    and isinstance(value, ast.Name)
                ):
                    registered.add(value.id)
        elif isinstance(node, ast.Call) and call_name(ctx, node) == "dict":
            for kw in node.keywords:
                if kw.arg in _HOOK_COMMANDS and isinstance(kw.value, ast.Name):
                    registered.add(kw.value.id)
    out: list[ast.ClassDef] = []
    for node in ctx.nodes:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {(qualname(ctx, b) or "").rsplit(".", 1)[-1].lstrip("_") for b in node.bases}
        if node.name in registered or bases & _HOOK_COMMANDS:
            out.append(node)
    return out


def _pip_install(ctx: Context, call: ast.Call) -> bool:
    return any(_PIP_INSTALL.search(text) for text in command_texts(ctx, call))


def _writes_outside(ctx: Context, call: ast.Call) -> bool:
    q = call_name(ctx, call) or ""
    if q in {"open", "io.open", "codecs.open"} and call.args:
        mode_node: ast.AST | None = call.args[1] if len(call.args) > 1 else None
        for kw in call.keywords:
            if kw.arg == "mode":
                mode_node = kw.value
        mode = fold(ctx, mode_node) if mode_node is not None else "r"
        if mode is None or not set(mode) & set("wax+"):
            return False
        return _outside_path(ctx, call.args[0])
    if isinstance(call.func, ast.Attribute) and call.func.attr in {"write_text", "write_bytes"}:
        return _outside_path(ctx, call.func.value)
    return False


def _outside_path(ctx: Context, expr: ast.AST) -> bool:
    for n in walk(expr):
        q = call_name(ctx, n) or ""
        if q in {"os.path.expanduser", "pathlib.Path.home", "site.getsitepackages"}:
            return True
        if q.endswith("Path.home") or q == "site.getusersitepackages":
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            v = n.value
            if v.startswith("~") or (v.startswith("/") and not v.startswith("/dev/null")):
                return True
    return False
