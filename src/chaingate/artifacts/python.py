"""Static analysis of Python files found in package archives.

Everything here reads source text and walks its AST; nothing is imported, compiled to
bytecode or executed. `analyse_file` takes a path relative to the archive root and the
file's bytes and returns `CodeFinding`s:

- `install-hook`: setup.py doing network or process work (or writing outside the build
  tree) at module level or inside a cmdclass override of install/develop/egg_info/build_py.
- `import-time-exec`: network or process calls that run when a module is imported.
- `obfuscated-exec`: exec/eval/compile fed by a decoder (base64, zlib, marshal, hex,
  codecs, chr-joins), builtins reached through a computed name, encoded blobs decoded.
- `exfiltration`: environment or credential files read and sent out of the machine.
- `shady-url`: webhooks, paste sites, raw public IPs, tunnel and OAST hosts.
- `download-exec`: downloaded content executed, directly or via a file made executable.
- `pth-exec`: executable lines in .pth files (run at every interpreter start).
- `hidden-unicode`: bidi controls and zero-width characters in source lines.
- `unparsable-source`: a .py file that could not be analysed (low; analysis incomplete).
"""

from __future__ import annotations

import ast
import gc
import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from chaingate.artifacts.interface import CodeFinding
from chaingate.signals.interface import Severity

MAX_SOURCE_BYTES = 8 * 1024 * 1024
EXCERPT_CHARS = 160
BLOB_MIN_CHARS = 2000
BLOB_MIN_ENTROPY = 5.0
_FOLD_DEPTH = 64
_MAX_FINDINGS_PER_ID = 20

_EXEC = frozenset({"exec", "eval", "compile"})
_BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "__builtins__"})
_DECODERS = frozenset(
    {
        "base64.b64decode",
        "base64.b32decode",
        "base64.b16decode",
        "base64.b85decode",
        "base64.a85decode",
        "base64.decodebytes",
        "base64.decodestring",
        "base64.standard_b64decode",
        "base64.urlsafe_b64decode",
        "binascii.a2b_base64",
        "binascii.unhexlify",
        "binascii.a2b_hex",
        "zlib.decompress",
        "gzip.decompress",
        "bz2.decompress",
        "lzma.decompress",
        "marshal.loads",
        "pickle.loads",
        "bytes.fromhex",
        "bytearray.fromhex",
        "codecs.decode",
    }
)
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_FETCH = frozenset(
    {
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "urllib.urlopen",
        "urllib.urlretrieve",
        "urllib2.urlopen",
        *(f"{lib}.{verb}" for lib in ("requests", "httpx") for verb in _HTTP_VERBS),
    }
)
_NETWORK = _FETCH | {
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "httplib.HTTPConnection",
    "httplib.HTTPSConnection",
    "socket.create_connection",
}
_STRONG_SEND = frozenset(
    f"{lib}.{verb}" for lib in ("requests", "httpx") for verb in ("post", "put", "patch")
)
_PROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "os.startfile",
        "pty.spawn",
        "commands.getoutput",
        "asyncio.create_subprocess_shell",
        "asyncio.create_subprocess_exec",
    }
)
_PROCESS_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
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
_KNOWN_CALLS = _NETWORK | _PROCESS | _DECODERS
_KNOWN_ENDS = ("urlretrieve", ".fromhex")
_BUILTIN_PREFIXES = ("builtins.", "__builtin__.", "__builtins__.")
_SOCKET_SENDS = frozenset({"send", "sendall", "sendto"})
_HOOK_COMMANDS = frozenset({"install", "develop", "egg_info", "build_py"})
_MAIN_NAMES = frozenset({"__main__"})
_TEST_DIRS = frozenset({"test", "tests", "testing", "doc", "docs", "example", "examples"})
_INTERPRETERS = frozenset({"python", "python3", "sh", "bash", "cmd", "powershell", "pwsh"})
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")

_BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ZERO_WIDTH = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"})
_HIDDEN = re.compile("[" + "".join(sorted(_BIDI | _ZERO_WIDTH)) + "]")

_CREDENTIAL_PATH = re.compile(
    r"(?:^|[/\\~])\.ssh(?:[/\\]|$)|id_rsa|id_ed25519|\.aws(?:[/\\]credentials|$)|\.npmrc"
    r"|\.pypirc|\.git-credentials|\.docker[/\\]config\.json|\.kube[/\\]config"
    r"|(?:Google[/\\]Chrome|Chromium|BraveSoftware|Microsoft[/\\]Edge)[/\\]User Data"
    r"|Login Data|\.mozilla[/\\]firefox|cookies\.sqlite|logins\.json|key4\.db",
    re.IGNORECASE,
)
_SHADY_URL = re.compile(
    r"discord(?:app)?\.com/api/webhooks|api\.telegram\.org/bot|pastebin\.com/raw"
    r"|[a-z0-9-]+\.ngrok(?:-free)?\.(?:io|app|dev)|\.oast\.(?:fun|me|pro|live|site|online)"
    r"|(?://|\.)(?:oastify\.com|burpcollaborator\.net|interact\.sh|webhook\.site|pipedream\.net)"
    # the shapes of Discord webhook and Telegram bot URLs, whatever host proxies them
    r"|/api/webhooks/\d{6,}/[\w-]+|/bot\d{6,}:[\w-]{20,}",
    re.IGNORECASE,
)
# Words every match of _SHADY_URL or _RAW_IP_URL contains, alternative by alternative.
_SHADY_WORDS = (
    "discord", "api.telegram.org/bot", "pastebin.com/raw", ".ngrok", ".oast.", "oastify.com",
    "burpcollaborator.net", "interact.sh", "webhook.site", "pipedream.net", "/api/webhooks/",
)  # fmt: skip
_SHADY_HINT = re.compile(
    "|".join(re.escape(w) for w in _SHADY_WORDS) + r"|/bot\d|https?://\d", re.IGNORECASE
)
_BOT_DIGIT = re.compile(r"/bot\d")
_URL_DIGIT = re.compile(r"://\d")
_RAW_IP_URL = re.compile(r"https?://(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])", re.IGNORECASE)
_SUSPICIOUS_COMMAND = re.compile(
    r"\bcurl\b|\bwget\b|powershell|Invoke-WebRequest|https?://|\|\s*(?:ba)?sh\b|base64\s+-d",
    re.IGNORECASE,
)
_PTH_DANGER = re.compile(
    r"\bexec\s*\(|\beval\s*\(|\bcompile\s*\(|b64decode|b32decode|decompress|marshal"
    r"|fromhex|urlopen|urllib|requests|socket|subprocess|os\.system|os\.popen|http\.client",
)


def analyse_file(path: str, data: bytes) -> list[CodeFinding]:
    """Findings for one file of a package archive (empty for files it does not analyse).

    Never executes the file and never raises on malformed input.
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name.endswith(".pth"):
        return _analyse_pth(path, _decode(data))
    if name.endswith(".py"):
        text = _decode(data)
        findings = _hidden_unicode(path, text)
        findings.extend(_analyse_python(path, text, len(data)))
        return _dedupe(findings)
    return []


# --------------------------------------------------------------------------- helpers


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _excerpt(lines: list[str], line: int | None) -> str:
    if line is None or not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].strip()[:EXCERPT_CHARS]


def _dedupe(findings: Iterable[CodeFinding]) -> list[CodeFinding]:
    best: dict[tuple[str, int | None], CodeFinding] = {}
    for f in findings:
        key = (f.id, f.line)
        if key not in best or f.severity > best[key].severity:
            best[key] = f
    per_id: Counter[str] = Counter()
    out: list[CodeFinding] = []
    for f in sorted(best.values(), key=lambda f: (-f.severity, f.line or 0, f.id)):
        per_id[f.id] += 1
        if per_id[f.id] <= _MAX_FINDINGS_PER_ID:
            out.append(f)
    return sorted(out, key=lambda f: (f.line or 0, f.id))


def _entropy(text: str) -> float:
    counts = Counter(text)
    total = len(text)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def _is_blob(value: object) -> bool:
    if not isinstance(value, str | bytes) or len(value) < BLOB_MIN_CHARS:
        return False
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    compact = "".join(text.split())
    if len(compact) < BLOB_MIN_CHARS or not set(compact) <= _B64_ALPHABET:
        return False
    return _entropy(compact) > BLOB_MIN_ENTROPY


def _path_parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").lower().split("/") if p]


# --------------------------------------------------------------------------- .pth


def _analyse_pth(path: str, text: str) -> list[CodeFinding]:
    findings: list[CodeFinding] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.startswith(("import ", "import\t")):
            continue
        excerpt = raw.strip()[:EXCERPT_CHARS]
        danger = _PTH_DANGER.search(raw)
        if danger and re.search(r"\b(?:exec|eval|compile)\s*\(", raw) and _has_decoder(raw):
            severity = Severity.CRITICAL
        elif danger:
            severity = Severity.HIGH
        else:
            severity = Severity.LOW
        why = (
            f"uses {danger.group(0).strip('( ')!r}"
            if danger
            else "looks like a plain import (namespace packages and setuptools ship these)"
        )
        findings.append(
            CodeFinding(
                "pth-exec",
                severity,
                path,
                number,
                "a .pth line starting with 'import' runs at every interpreter start in any "
                f"environment the package is installed into; this one {why}: check what it "
                "executes and whether the package needs it",
                excerpt,
            )
        )
    return _dedupe(findings)


def _has_decoder(text: str) -> bool:
    return any(d.rsplit(".", 1)[-1] in text for d in _DECODERS) or "chr(" in text


# --------------------------------------------------------------------------- unicode


def _hidden_unicode(path: str, text: str) -> list[CodeFinding]:
    findings: list[CodeFinding] = []
    if text.isascii():
        return findings
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    if not _HIDDEN.search(text):
        return findings
    for number, line in enumerate(text.splitlines(), start=1):
        if not _HIDDEN.search(line):
            continue
        bidi = sorted({f"U+{ord(c):04X}" for c in line if c in _BIDI})
        zero = sorted({f"U+{ord(c):04X}" for c in line if c in _ZERO_WIDTH})
        if not bidi and not zero:
            continue
        severity = Severity.HIGH if bidi else Severity.LOW
        kinds = ", ".join(bidi + zero)
        findings.append(
            CodeFinding(
                "hidden-unicode",
                severity,
                path,
                number,
                f"invisible characters ({kinds}) in source: bidirectional controls can make "
                "code read differently from how it runs (Trojan Source); view the raw bytes of "
                "this line",
                _visible(line).strip()[:EXCERPT_CHARS],
            )
        )
    return findings


def _visible(line: str) -> str:
    return "".join(f"<U+{ord(c):04X}>" if c in _BIDI or c in _ZERO_WIDTH else c for c in line)


# --------------------------------------------------------------------------- Python AST


@dataclass
class _Context:
    """One parsed file. `nodes` lists every node of the tree in `ast.walk` order (operator
    and load/store markers left out), and the lists after it are the kinds the detectors look
    at, in the same order; they are filled by one pass over the tree."""

    path: str
    text: str
    tree: ast.Module
    nodes: list[ast.AST] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)
    strings: list[tuple[ast.Constant, str]] = field(default_factory=list)  # with the value
    assigns: list[ast.Assign] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    findings: list[CodeFinding] = field(default_factory=list)
    call_names: dict[int, str | None] = field(default_factory=dict)

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def parents(self) -> dict[int, ast.AST]:
        parents: dict[int, ast.AST] = {}
        for node in self.nodes:
            for child in _children(node):
                parents[id(child)] = node
        return parents

    @cached_property
    def scopes(self) -> list[list[ast.AST]]:
        return list(_scopes(self.tree, self.nodes))

    def add(self, id_: str, severity: Severity, node: ast.AST | None, message: str) -> None:
        line = getattr(node, "lineno", None) if node is not None else None
        self.findings.append(
            CodeFinding(id_, severity, self.path, line, message, _excerpt(self.lines, line))
        )


def _analyse_python(path: str, text: str, size: int) -> list[CodeFinding]:
    if size > MAX_SOURCE_BYTES:
        return [_unparsable(path, f"larger than {MAX_SOURCE_BYTES} bytes, not analysed")]
    source = text[1:] if text.startswith("\ufeff") else text
    # A syntax tree is hundreds of thousands of objects without a single cycle: the cyclic
    # collector would only slow down building and walking it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
            return [_unparsable(path, f"does not parse ({type(exc).__name__})")]
        ctx = _Context(path, text, tree)
        try:
            _prepare(ctx)
            _detect(ctx)
        except RecursionError:
            return [*ctx.findings, _unparsable(path, "nested too deeply to analyse fully")]
        return ctx.findings
    finally:
        if collecting:
            gc.enable()


def _unparsable(path: str, why: str) -> CodeFinding:
    return CodeFinding(
        "unparsable-source",
        Severity.LOW,
        path,
        None,
        f"Python file {why}; its code was not checked (Python 2 sources are common in old "
        "sdists): review it by hand if the package matters",
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


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node class that hold nodes: each is a node, None or a list of nodes
    (but `Dict.keys`, whose None entries stand for `**mapping`)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        keep = {"name"} if cls.__name__ == "TypeAlias" else set()  # 3.12: its name is a Name
        fields = tuple(
            f for f in getattr(cls, "_fields", ()) if f not in _SCALAR_FIELDS or f in keep
        )
        _CHILD_FIELDS[cls] = fields
    return fields


def _children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes` in the same order, without the marker leaves, as a list."""
    out: list[ast.AST] = []
    for name in _CHILD_FIELDS.get(node.__class__) or _child_fields(node.__class__):
        value = getattr(node, name, None)
        if value is None:
            continue
        if value.__class__ is list:
            out.extend(value if name != "keys" else [v for v in value if v is not None])
        else:
            out.append(value)
    return out


def _walk(node: ast.AST) -> list[ast.AST]:
    """`ast.walk` (breadth first, same order) without the marker leaves, as a list."""
    out = [node]
    i = 0
    while i < len(out):
        out.extend(_children(out[i]))
        i += 1
    return out


def _prepare(ctx: _Context) -> None:
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
    # The same loop as _walk, inlined with the sorting: this pass sees every node of
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
                extend(value)
            else:
                append(value)
    for node in ctx.tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            ctx.functions[node.name] = node
    # Simple aliasing by assignment (`e = exec`, `d = base64.b64decode`), to a fixpoint.
    pairs = [
        (n.targets[0].id, n.value)
        for n in assigns
        if len(n.targets) == 1
        and isinstance(n.targets[0], ast.Name)
        and isinstance(n.value, ast.Name | ast.Attribute | ast.Call)
    ]
    for _ in range(3):
        changed = False
        for name, value in pairs:
            q = _qualname(ctx, value)
            if q and _interesting(q) and ctx.aliases.get(name) != q:
                ctx.aliases[name] = q
                changed = True
        if not changed:
            break


def _interesting(q: str) -> bool:
    return (
        q in _EXEC
        or q in _DECODERS
        or q in _NETWORK
        or _is_process_name(q)
        or q.split(".", 1)[0] in {"base64", "zlib", "marshal", "codecs", "subprocess", "socket"}
    )


def _fold(ctx: _Context, node: ast.AST, depth: int = 0) -> str | None:
    """The constant string an expression always evaluates to, where that is easy to see."""
    if depth > _FOLD_DEPTH:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(ctx, node.left, depth + 1), _fold(ctx, node.right, depth + 1)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_fold(ctx, v, depth + 1) for v in node.values]
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
        items = [_fold(ctx, e, depth + 1) for e in node.args[0].elts]
        return (
            node.func.value.value.join(i for i in items if i is not None)
            if (None not in items)
            else None
        )
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
        base = _fold(ctx, node.value, depth + 1)
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


def _qualname(ctx: _Context, node: ast.AST, depth: int = 0) -> str | None:
    """The dotted name an expression refers to, through imports and simple aliases."""
    if depth > _FOLD_DEPTH:
        return None
    q: str | None = None
    if isinstance(node, ast.Name):
        q = ctx.aliases.get(node.id, node.id)
    elif isinstance(node, ast.Attribute):
        base = _qualname(ctx, node.value, depth + 1)
        q = f"{base}.{node.attr}" if base else None
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        func = ctx.aliases.get(node.func.id, node.func.id)
        if func == "getattr" and len(node.args) >= 2:
            target = _qualname(ctx, node.args[0], depth + 1)
            attr = _fold(ctx, node.args[1], depth + 1)
            if target and attr:
                q = f"{target}.{attr}"
        elif func == "__import__" and node.args:
            q = _fold(ctx, node.args[0], depth + 1)
    elif (
        isinstance(node, ast.Call)
        and _qualname(ctx, node.func, depth + 1) == "importlib.import_module"
        and node.args
    ):
        q = _fold(ctx, node.args[0], depth + 1)
    elif isinstance(node, ast.Subscript):
        base = _qualname(ctx, node.value, depth + 1)
        key = _fold(ctx, node.slice, depth + 1)
        if base in {"__builtins__", "__builtins__.__dict__", "builtins.__dict__"} and key:
            q = f"builtins.{key}"
    return None if q is None else _unbuiltin(q)


def _unbuiltin(q: str) -> str:
    if q.startswith(_BUILTIN_PREFIXES):
        for prefix in _BUILTIN_PREFIXES:
            if q.startswith(prefix):
                return q[len(prefix) :]
    return q


def _call_name(ctx: _Context, node: ast.AST) -> str | None:
    """`_qualname` of a call's function, remembered (aliases are final by now), with the
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
        q = _qualname(ctx, func)
    names[key] = q
    return q


def _is_process_name(q: str) -> bool:
    return q in _PROCESS or q.startswith(_PROCESS_PREFIXES)


def _is_decoder_call(ctx: _Context, node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    q = _call_name(ctx, node)
    if q in _DECODERS or (q is not None and q.endswith((".fromhex",))):
        return True
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "join" and node.args:
        arg = node.args[0]
        if isinstance(arg, ast.GeneratorExp | ast.ListComp):
            elt = arg.elt
            return isinstance(elt, ast.Call) and _call_name(ctx, elt) == "chr"
        if isinstance(arg, ast.Call) and _call_name(ctx, arg) == "map" and arg.args:
            return _qualname(ctx, arg.args[0]) == "chr"
    return False


def _is_main_guard(test: ast.expr) -> bool:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_is_main_guard(v) for v in test.values)
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    sides = [test.left, test.comparators[0]]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    consts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and bool(consts & _MAIN_NAMES)


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
        stack.extend(_children(node))


def _reachable(ctx: _Context, body: Iterable[ast.AST]) -> list[ast.AST]:
    """Nodes run by `body`, following calls to module-level functions of this file."""
    out: list[ast.AST] = []
    seen: set[str] = set()
    pending = [list(body)]
    while pending:
        for node in _runtime_nodes(pending.pop()):
            out.append(node)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                fn = ctx.functions.get(node.func.id)
                if fn is not None and fn.name not in seen:
                    seen.add(fn.name)
                    pending.append(list(fn.body))
    return out


_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})


def _scopes(tree: ast.Module, walked: list[ast.AST] | None = None) -> Iterator[list[ast.AST]]:
    """The nodes of each scope (module, function, class body, lambda), scope by scope.
    `walked` is `_walk(tree)` where the caller has it already."""
    roots: list[ast.AST] = [tree]
    roots.extend(n for n in (walked or _walk(tree)) if n.__class__ in _SCOPE_TYPES)
    for root in roots:
        nodes: list[ast.AST] = []
        stack = _children(root)
        while stack:
            node: Any = stack.pop()
            nodes.append(node)
            cls = node.__class__
            if cls is ast.Name or cls is ast.Constant or cls in _SCOPE_TYPES:
                continue  # no children, or another scope's
            if cls is ast.Attribute:
                stack.append(node.value)
            else:
                stack.extend(_children(node))
        yield nodes


def _bindings(nodes: Iterable[ast.AST]) -> list[tuple[set[str], ast.AST]]:
    out: list[tuple[set[str], ast.AST]] = []
    for n in nodes:
        if isinstance(n, ast.Assign):
            names = {t.id for tgt in n.targets for t in ast.walk(tgt) if isinstance(t, ast.Name)}
            out.append((names, n.value))
        elif isinstance(n, ast.AnnAssign | ast.AugAssign) and n.value is not None:
            out.append(({t.id for t in ast.walk(n.target) if isinstance(t, ast.Name)}, n.value))
        elif isinstance(n, ast.NamedExpr):
            out.append(({n.target.id}, n.value))
        elif isinstance(n, ast.withitem) and n.optional_vars is not None:
            names = {t.id for t in ast.walk(n.optional_vars) if isinstance(t, ast.Name)}
            out.append((names, n.context_expr))
        elif isinstance(n, ast.For | ast.comprehension):
            out.append(({t.id for t in ast.walk(n.target) if isinstance(t, ast.Name)}, n.iter))
    return out


def _taint(
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
            for n in _walk(expr)
        )

    bindings = _bindings(nodes)
    for _ in range(4):
        before = len(tainted)
        for names, value in bindings:
            if not names <= tainted and contains(value):
                tainted |= names
        if len(tainted) == before:
            break
    return contains


def _call_args(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _args_contain(call: ast.Call, pred: Callable[[ast.AST], bool]) -> bool:
    return any(pred(a) for a in _call_args(call))


# --------------------------------------------------------------------------- detectors


@dataclass
class _Calls:
    """What the calls of a file could set off. Each detector below reports only from calls
    of its kind, so a file without them skips it, with the same findings and none of the
    cost (most files call no network, process, exec or decoder function at all)."""

    network: bool = False
    process: bool = False
    fetch: bool = False  # a download, or anything named *urlretrieve (download-exec)
    decoder: bool = False
    hidden_builtin: bool = False
    socket_send: bool = False


def _kinds_of_calls(ctx: _Context) -> _Calls:
    kinds = _Calls()
    aliases = ctx.aliases
    for call in ctx.calls:
        q = _call_name(ctx, call) or ""
        if q in _KNOWN_CALLS or q.startswith(_PROCESS_PREFIXES) or q.endswith(_KNOWN_ENDS):
            kinds.network |= q in _NETWORK
            kinds.process |= _is_process_name(q)
            kinds.fetch |= q in _FETCH or q.endswith("urlretrieve")
            kinds.decoder |= q in _DECODERS or q.endswith(".fromhex")
        func: Any = call.func
        if func.__class__ is ast.Attribute:
            if func.attr in _SOCKET_SENDS:
                kinds.socket_send = True
            elif func.attr == "join" and not kinds.decoder:
                kinds.decoder = _is_decoder_call(ctx, call)
        elif (
            func.__class__ is ast.Name
            and not kinds.hidden_builtin
            and aliases.get(func.id, func.id) == "getattr"
        ):
            kinds.hidden_builtin = _hidden_builtin(ctx, call)
    return kinds


def _detect(ctx: _Context) -> None:
    parts = _path_parts(ctx.path)
    is_setup = parts[-1] == "setup.py"
    kinds = _kinds_of_calls(ctx)
    socket_used = _socket_used(ctx)
    sends = kinds.network or (socket_used and kinds.socket_send)
    import_nodes = (
        _reachable(ctx, ctx.tree.body)
        if is_setup or kinds.network or kinds.process or sends
        else []
    )
    import_ids = {id(n) for n in import_nodes}
    if is_setup:
        _install_hooks(ctx, import_nodes)
    elif kinds.network or kinds.process:
        _import_time(ctx, import_nodes, downgrade=bool(_TEST_DIRS & set(parts[:-1])))
    if kinds.decoder or kinds.hidden_builtin:
        _obfuscation(ctx)
    if kinds.fetch:
        _download_exec(ctx)
    exfil = sends and _exfiltration(ctx, import_ids, is_setup)
    _shady_urls(ctx, exfil)


def _describe(ctx: _Context, call: ast.Call) -> str:
    return _call_name(ctx, call) or "call"


def _install_hooks(ctx: _Context, module_nodes: list[ast.AST]) -> None:
    for node in module_nodes:
        if not isinstance(node, ast.Call):
            continue
        q = _call_name(ctx, node) or ""
        if q in _NETWORK:
            ctx.add(
                "install-hook",
                Severity.HIGH,
                node,
                f"setup.py calls {q} while it runs (every build and install from source): "
                "check what it contacts and what it does with the answer",
            )
        elif _is_process_name(q):
            suspicious = _suspicious_command(ctx, node)
            ctx.add(
                "install-hook",
                Severity.HIGH if suspicious else Severity.LOW,
                node,
                f"setup.py runs a process ({q}) while it runs"
                + (" with a command that fetches or pipes to a shell" if suspicious else "")
                + ": check the command (git/pkg-config probes are common and harmless)",
            )
        elif _writes_outside(ctx, node):
            ctx.add(
                "install-hook",
                Severity.MEDIUM,
                node,
                "setup.py writes to a path outside the build tree (home directory or an "
                "absolute path): check what is written and why",
            )
    for cls in _hook_classes(ctx):
        for node in _walk(cls):
            if not isinstance(node, ast.Call):
                continue
            q = _call_name(ctx, node) or ""
            where = f"cmdclass override {cls.name!r} (runs on pip install)"
            if q in _NETWORK or _is_process_name(q):
                kind = "network call" if q in _NETWORK else "process"
                ctx.add(
                    "install-hook",
                    Severity.HIGH,
                    node,
                    f"{where} makes a {kind} ({q}): check what it fetches or runs",
                )
            elif q in _EXEC or q in _FILE_OPS or _writes_outside(ctx, node):
                ctx.add(
                    "install-hook",
                    Severity.MEDIUM,
                    node,
                    f"{where} does extra work ({q or 'file write'}): check that it only "
                    "builds or installs the package's own files",
                )


def _hook_classes(ctx: _Context) -> list[ast.ClassDef]:
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
        elif isinstance(node, ast.Call) and _call_name(ctx, node) == "dict":
            for kw in node.keywords:
                if kw.arg in _HOOK_COMMANDS and isinstance(kw.value, ast.Name):
                    registered.add(kw.value.id)
    out: list[ast.ClassDef] = []
    for node in ctx.nodes:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {(_qualname(ctx, b) or "").rsplit(".", 1)[-1].lstrip("_") for b in node.bases}
        if node.name in registered or bases & _HOOK_COMMANDS:
            out.append(node)
    return out


def _suspicious_command(ctx: _Context, call: ast.Call) -> bool:
    for arg in _call_args(call):
        for n in _walk(arg):
            text = _fold(ctx, n)
            if text and _SUSPICIOUS_COMMAND.search(text):
                return True
    return False


def _writes_outside(ctx: _Context, call: ast.Call) -> bool:
    q = _call_name(ctx, call) or ""
    if q in {"open", "io.open", "codecs.open"} and call.args:
        mode_node: ast.AST | None = call.args[1] if len(call.args) > 1 else None
        for kw in call.keywords:
            if kw.arg == "mode":
                mode_node = kw.value
        mode = _fold(ctx, mode_node) if mode_node is not None else "r"
        if mode is None or not set(mode) & set("wax+"):
            return False
        return _outside_path(ctx, call.args[0])
    if isinstance(call.func, ast.Attribute) and call.func.attr in {"write_text", "write_bytes"}:
        return _outside_path(ctx, call.func.value)
    return False


def _outside_path(ctx: _Context, expr: ast.AST) -> bool:
    for n in _walk(expr):
        q = _call_name(ctx, n) or ""
        if q in {"os.path.expanduser", "pathlib.Path.home", "site.getsitepackages"}:
            return True
        if q.endswith("Path.home") or q == "site.getusersitepackages":
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            v = n.value
            if v.startswith("~") or (v.startswith("/") and not v.startswith("/dev/null")):
                return True
    return False


def _import_time(ctx: _Context, module_nodes: list[ast.AST], downgrade: bool) -> None:
    step = -1 if downgrade else 0
    for node in module_nodes:
        if not isinstance(node, ast.Call):
            continue
        q = _call_name(ctx, node) or ""
        if q in _NETWORK:
            ctx.add(
                "import-time-exec",
                Severity.HIGH.bump(step),
                node,
                f"{q} runs when this module is imported, not when a function is called: "
                "check what it contacts; libraries rarely touch the network at import",
            )
        elif _is_process_name(q):
            ctx.add(
                "import-time-exec",
                Severity.MEDIUM.bump(step + (1 if _suspicious_command(ctx, node) else 0)),
                node,
                f"{q} starts a process when this module is imported: check the command",
            )


def _obfuscation(ctx: _Context) -> None:
    # A scope reports only from a decoder call or a hidden builtin of its own.
    sources = {id(c) for c in ctx.calls if _is_decoder_call(ctx, c) or _hidden_builtin(ctx, c)}
    for nodes in ctx.scopes:
        if sources.isdisjoint(map(id, nodes)):
            continue
        decoded = _taint(nodes, lambda n: _is_decoder_call(ctx, n))
        blob = _taint(nodes, lambda n: isinstance(n, ast.Constant) and _is_blob(n.value))
        exec_in_scope = False
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            q = _call_name(ctx, node) or ""
            if q in _EXEC and _args_contain(node, decoded):
                exec_in_scope = True
                ctx.add(
                    "obfuscated-exec",
                    Severity.CRITICAL,
                    node,
                    f"{q}() runs code produced by a decoder (base64/zlib/marshal/hex/chr): "
                    "decode the payload offline and read it; legitimate packages ship code "
                    "in the clear",
                )
            if _hidden_builtin(ctx, node):
                ctx.add(
                    "obfuscated-exec",
                    Severity.CRITICAL,
                    node,
                    "a builtin (exec/eval/compile/__import__) is looked up through a computed "
                    "name, which only serves to hide it: read what it is applied to",
                )
        for node in nodes:
            if (
                isinstance(node, ast.Call)
                and _is_decoder_call(ctx, node)
                and _args_contain(node, blob)
            ):
                ctx.add(
                    "obfuscated-exec",
                    Severity.HIGH if exec_in_scope else Severity.MEDIUM,
                    node,
                    f"a long high-entropy string (>= {BLOB_MIN_CHARS} chars) is decoded by "
                    f"{_describe(ctx, node)}: decode it offline and check what it contains",
                )


def _hidden_builtin(ctx: _Context, call: ast.Call) -> bool:
    """getattr(builtins, <computed>) / __builtins__[<computed>] naming exec and friends."""
    target: ast.AST
    name: ast.AST
    if (
        isinstance(call.func, ast.Name)
        and ctx.aliases.get(call.func.id, call.func.id) == "getattr"
        and len(call.args) >= 2
    ):
        target, name = call.args[0], call.args[1]
    else:
        return False
    if isinstance(name, ast.Constant):
        return False
    base = _qualname(ctx, target) or ""
    if base not in _BUILTIN_MODULES and not base.endswith(".__builtins__"):
        return False
    return _fold(ctx, name) in {"exec", "eval", "compile", "__import__"}


def _download_exec(ctx: _Context) -> None:
    fetchers: set[str] = set()

    def is_fetch(n: ast.AST) -> bool:
        if not isinstance(n, ast.Call):
            return False
        if isinstance(n.func, ast.Name) and n.func.id in fetchers:
            return True
        return (_call_name(ctx, n) or "") in _FETCH

    # module-level functions that return downloaded content count as downloads themselves
    rounds = 2 if any(is_fetch(n) for nodes in ctx.scopes for n in nodes) else 0
    for _ in range(rounds):
        for name, fn in ctx.functions.items():
            body = next(_scopes(ast.Module(body=fn.body, type_ignores=[])))
            returns = _taint(body, is_fetch)
            if any(isinstance(n, ast.Return) and n.value and returns(n.value) for n in body):
                fetchers.add(name)
    for nodes in ctx.scopes:
        fetched = _taint(nodes, is_fetch)
        calls = [n for n in nodes if isinstance(n, ast.Call)]
        written: set[str] = set()
        handles: dict[str, ast.expr] = {}
        for names, value in _bindings(nodes):
            if isinstance(value, ast.Call) and (_call_name(ctx, value) or "") in {
                "open",
                "io.open",
            }:
                for name in names:
                    if value.args:
                        handles[name] = value.args[0]
        for call in calls:
            q = _call_name(ctx, call) or ""
            if (q in _EXEC or _is_process_name(q)) and _args_contain(call, fetched):
                ctx.add(
                    "download-exec",
                    Severity.CRITICAL,
                    call,
                    f"downloaded content is passed to {q}: whatever the server returns "
                    "runs on the installing machine; check the URL and the payload",
                )
            if q.endswith("urlretrieve") and len(call.args) >= 2:
                written |= _keys(ctx, call.args[1])
            func = call.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in {"write", "write_bytes", "write_text"}
                and _args_contain(call, fetched)
            ):
                target: ast.expr = func.value
                if isinstance(target, ast.Name) and target.id in handles:
                    target = handles[target.id]
                elif isinstance(target, ast.Call) and target.args:
                    # open(p, "wb").write(...), Path(p).write_bytes(...)
                    target = target.args[0]
                written |= _keys(ctx, target)
        if not written:
            continue
        chmodded = any(
            (_call_name(ctx, c) or "") == "os.chmod" and c.args and _keys(ctx, c.args[0]) & written
            for c in calls
        )
        for call in calls:
            q = _call_name(ctx, call) or ""
            if not (_is_process_name(q) or q in _EXEC) or not call.args:
                continue
            refs = set().union(*(_refs(ctx, a) for a in _call_args(call)))
            if (chmodded and refs & written) or _program_keys(ctx, call.args[0]) & written:
                ctx.add(
                    "download-exec",
                    Severity.CRITICAL,
                    call,
                    f"a downloaded file is written to disk and then run ({q}): check the "
                    "URL and what the file is",
                )


def _keys(ctx: _Context, expr: ast.AST) -> set[str]:
    """Identity of a path expression: a variable name or a constant string."""
    if isinstance(expr, ast.Name):
        return {f"name:{expr.id}"}
    text = _fold(ctx, expr)
    return {f"const:{text}"} if text else set()


def _refs(ctx: _Context, expr: ast.AST) -> set[str]:
    out: set[str] = set()
    for n in _walk(expr):
        out |= _keys(ctx, n)
    # a command string mentioning a constant path ("sh /tmp/x") references it too
    for n in _walk(expr):
        text = _fold(ctx, n)
        if text:
            out |= {f"const:{w}" for w in text.split()}
    return out


def _program_keys(ctx: _Context, expr: ast.AST) -> set[str]:
    """The path being run when `expr` is the command of a process call."""
    if isinstance(expr, ast.List | ast.Tuple) and expr.elts:
        first = expr.elts[0]
        q = _qualname(ctx, first) or ""
        prog = (_fold(ctx, first) or "").rsplit("/", 1)[-1].lower()
        if (q == "sys.executable" or prog in _INTERPRETERS) and len(expr.elts) > 1:
            return _keys(ctx, expr.elts[1]) | _keys(ctx, first)
        return _keys(ctx, first)
    text = _fold(ctx, expr)
    if text is not None:
        words = text.split()
        return {f"const:{w}" for w in words[:2]}
    if isinstance(expr, ast.JoinedStr | ast.BinOp):
        return {k for n in _walk(expr) for k in _keys(ctx, n) if k.startswith("name:")}
    return _keys(ctx, expr)


def _is_bulk_environ(ctx: _Context, node: ast.AST) -> bool:
    if not isinstance(node, ast.Attribute | ast.Name) or _qualname(ctx, node) != "os.environ":
        return False
    return _is_bulk_use(ctx, node)


def _is_bulk_use(ctx: _Context, node: ast.AST) -> bool:
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


def _sends(ctx: _Context, nodes: Iterable[ast.AST], socket_used: bool) -> Iterator[ast.Call]:
    for n in nodes:
        if not isinstance(n, ast.Call):
            continue
        q = _call_name(ctx, n) or ""
        if q in _NETWORK or (
            socket_used and isinstance(n.func, ast.Attribute) and n.func.attr in _SOCKET_SENDS
        ):
            yield n


def _is_strong_send(ctx: _Context, call: ast.Call, socket_used: bool) -> bool:
    q = _call_name(ctx, call) or ""
    if q in _STRONG_SEND:
        return True
    if q.endswith("urlopen"):
        if len(call.args) >= 2 or any(k.arg == "data" for k in call.keywords):
            return True
        return any(
            isinstance(a, ast.Call)
            and (_call_name(ctx, a) or "").endswith("Request")
            and (len(a.args) >= 2 or any(k.arg == "data" for k in a.keywords))
            for a in call.args
        )
    return (
        socket_used
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in {"send", "sendall", "sendto"}
    )


def _socket_used(ctx: _Context) -> bool:
    return "socket" in ctx.aliases.values() or any(
        v.startswith("socket.") for v in ctx.aliases.values()
    )


def _exfiltration(ctx: _Context, import_ids: set[int], is_setup: bool) -> bool:
    socket_used = _socket_used(ctx)
    credential_reads = [
        n for n, text in ctx.strings if len(text) < 512 and _CREDENTIAL_PATH.search(text)
    ]
    found = False
    for nodes in ctx.scopes:
        secret = _taint(
            nodes,
            lambda n: (
                _is_bulk_environ(ctx, n)
                or (
                    isinstance(n, ast.Constant)
                    and isinstance(n.value, str)
                    and len(n.value) < 512
                    and bool(_CREDENTIAL_PATH.search(n.value))
                )
            ),
            lambda n: _is_bulk_use(ctx, n),
        )
        for call in _sends(ctx, nodes, socket_used):
            flows = _args_contain(call, secret)
            if not flows and not (credential_reads and _is_strong_send(ctx, call, socket_used)):
                continue
            found = True
            early = is_setup or id(call) in import_ids
            what = "the environment or credential files" if flows else "credential files"
            ctx.add(
                "exfiltration",
                Severity.CRITICAL if early else Severity.HIGH,
                call,
                f"this module reads {what} and sends data out ({_describe(ctx, call)})"
                + (" while being imported or installed" if early else "")
                + ": check the destination and what is sent",
            )
    return found


def _shady_urls(ctx: _Context, exfil: bool) -> None:
    strings = [(n, text) for n, text in ctx.strings if len(text) <= 100_000]
    # One search over all the strings first: whatever matches inside one string also
    # matches in the joined text, and the separator is nothing the hints contain.
    if not _shady_hint("\n".join(text for _, text in strings)):
        return
    for node, text in strings:
        if not _shady_hint(text):
            continue
        hit = _SHADY_URL.search(text)
        why = hit.group(0) if hit else _public_ip_url(text)
        if not why:
            continue
        ctx.add(
            "shady-url",
            Severity.HIGH if exfil else Severity.MEDIUM,
            node,
            f"string refers to {why!r} (webhook, paste site, tunnel, OAST host or raw IP), a "
            "common drop point for stolen data or second-stage payloads: check why the "
            "package needs it",
        )


def _shady_hint(text: str) -> bool:
    """Does `text` contain a word that every match of _SHADY_URL or _RAW_IP_URL contains,
    under the same case folding? ASCII text folds like str.lower() and is searched
    case-sensitively, several times faster than with re.IGNORECASE."""
    if not text.isascii():
        return _SHADY_HINT.search(text) is not None
    low = text.lower()
    if any(word in low for word in _SHADY_WORDS):
        return True
    # the digits after /bot (Telegram) and :// (a raw IP): patterns with a literal prefix,
    # which the regex engine finds by fast search
    return _BOT_DIGIT.search(low) is not None or _URL_DIGIT.search(low) is not None


def _public_ip_url(text: str) -> str | None:
    for m in _RAW_IP_URL.finditer(text):
        try:
            ip = ipaddress.IPv4Address(m.group(1))
        except ValueError:
            continue
        if ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast:
            continue
        if any(ip in ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12")):
            continue
        if ip in ipaddress.IPv4Network("192.168.0.0/16"):
            continue
        return m.group(0)
    return None
