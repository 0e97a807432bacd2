"""Static analysis of Python files found in package archives.

Everything here reads source text and walks its AST; nothing is imported, compiled to
bytecode or executed. `analyse_file` takes a path relative to the archive root and the
file's bytes and returns `CodeFinding`s:

- `install-hook`: setup.py doing network or process work (or writing outside the build
  tree) at module level or inside a cmdclass override of install/develop/egg_info/build_py.
- `import-time-exec`: network or process calls that run when a module is imported.
- `obfuscated-exec`: exec/eval/compile fed by a decoder (base64, zlib, marshal, hex,
  codecs, chr-joins), builtins reached through a computed name, encoded blobs decoded.
- `exfiltration`: environment, credential files or credential-named variables read and
  sent out of the machine (also host identity leaving as DNS labels).
- `shady-url`: webhooks, paste sites, raw public IPs, tunnel and OAST hosts.
- `download-exec`: downloaded content executed, directly or via a file made executable;
  commands from a socket run by a shell (reverse shell); processes with miner arguments.
- `pth-exec`: executable lines in .pth files (run at every interpreter start).
- `hidden-unicode`: bidi controls anywhere, zero-width characters in code.
- `compiled-bytecode`: `.pyc` files shipped outside `__pycache__`, and code that loads
  bytecode from a file (SourcelessFileLoader, marshal) at import or by a constant name.
- `unparsable-source`: a .py file that could not be analysed (low; analysis incomplete).
"""

from __future__ import annotations

import ast
import base64
import codecs
import gc
import io
import ipaddress
import itertools
import math
import re
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Any

import msgspec

from chaingate.analysis.interface import CodeFinding
from chaingate.core.findings import Severity

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
# Name resolution is network too: a DNS query carries its name to whoever runs the zone.
_DNS = frozenset(
    {
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.getaddrinfo",
        "dns.resolver.resolve",
        "dns.resolver.query",
    }
)
_NETWORK = (
    _FETCH
    | _DNS
    | {
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "httplib.HTTPConnection",
        "httplib.HTTPSConnection",
        "socket.create_connection",
    }
)
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
_SOCKET_NETWORK = _SOCKET_SENDS | {"connect", "connect_ex"}
_SOCKET_MAKERS = frozenset({"socket.socket", "socket.create_connection", "socket.fromfd"})
# Calls that hand a callable over to run later in this process (a thread, a timer, at exit,
# on a signal): the callable runs as surely as a direct call would.
_SPAWNERS = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "multiprocessing.Process",
        "atexit.register",
        "signal.signal",
        "_thread.start_new_thread",
        "thread.start_new_thread",
        "asyncio.ensure_future",
        "asyncio.create_task",
    }
)
_SPAWNER_METHODS = frozenset({"submit", "run_in_executor", "call_soon", "call_later"})
_BYTECODE_LOADERS = ("SourcelessFileLoader", "imp.load_compiled", "marshal.load", "marshal.loads")
_SIGNING = ("hmac.", "hashlib.")
# Calls whose value says who and where the user is: what DNS exfiltration encodes.
_IDENTITY = frozenset(
    {
        "getpass.getuser",
        "socket.gethostname",
        "socket.getfqdn",
        "os.getcwd",
        "os.getlogin",
        "os.uname",
        "platform.node",
        "platform.uname",
    }
)
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
_EXEC_BITS = frozenset(
    {"S_IEXEC", "S_IXUSR", "S_IXGRP", "S_IXOTH", "S_IRWXU", "S_IRWXG", "S_IRWXO"}
)
_PLAIN_CODECS = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "utf-8-sig"})
_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})
_HOOK_COMMANDS = frozenset({"install", "develop", "egg_info", "build_py"})
_MAIN_NAMES = frozenset({"__main__"})
_TEST_DIRS = frozenset({"test", "tests", "testing", "doc", "docs", "example", "examples"})
_INTERPRETERS = frozenset({"python", "python3", "sh", "bash", "cmd", "powershell", "pwsh"})
_B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")

_BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ZERO_WIDTH = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"})
_HIDDEN = re.compile("[" + "".join(sorted(_BIDI | _ZERO_WIDTH)) + "]")

_CREDENTIAL_PATH = re.compile(
    r"(?:^|[/\\~])\.ssh(?:[/\\]|$)|id_rsa|id_ed25519|\.aws[/\\]credentials|\.npmrc"
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
    r"\bcurl\b|\bwget\b|powershell|Invoke-WebRequest|https?://|\|\s*(?:ba)?sh\b|base64\s+-d"
    r"|\b(?:ba|z|k|da)?sh\s+-i\b",
    re.IGNORECASE,
)
_PIP_INSTALL = re.compile(r"\bpip3?(?:\.exe)?\s+install\b|-m\s+pip\b", re.IGNORECASE)
# Cryptocurrency miners: pool URLs, well-known miner names and flags.
_MINER = re.compile(
    r"stratum\+(?:tcp|ssl|tls)://|\bxmrig\b|--donate-level|\bcpuminer\b|\bminerd\b"
    r"|\bnanominer\b|\bethminer\b|\bt-rex\b|--randomx",
    re.IGNORECASE,
)
_POOL_ADDRESS = re.compile(r"^[\w.-]+\.[a-z][\w-]*:\d{2,5}$", re.IGNORECASE)
_PTH_DANGER = re.compile(
    r"\bexec\s*\(|\beval\s*\(|\bcompile\s*\(|b64decode|b32decode|decompress|marshal"
    r"|fromhex|urlopen|urllib|requests|socket|subprocess|os\.system|os\.popen|http\.client",
)


def analyse_file(path: str, data: bytes, *, install_time: bool = False) -> list[CodeFinding]:
    """Findings for one file of a package archive (empty for files it does not analyse).

    `install_time` marks a module of an in-tree build backend (pyproject.toml's
    `backend-path`): like setup.py it runs on every build and install from source, from its
    module level and from its PEP 517 hooks. Never executes the file and never raises on
    malformed input.
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if name.endswith(".pth"):
        return _analyse_pth(path, _decode(data))
    if name.endswith(".pyc"):
        return _compiled_file(path)
    if name.endswith(".py"):
        text = _decode(data)
        findings = _hidden_unicode(path, text)
        findings.extend(_analyse_python(path, text, len(data), install_time))
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
        severity, why = _pth_line(raw)
        findings.append(
            CodeFinding(
                "pth-exec",
                severity,
                path,
                number,
                "a .pth line starting with 'import' runs at every interpreter start in any "
                f"environment the package is installed into; this one {why}: check what it "
                "executes and whether the package needs it",
                raw.strip()[:EXCERPT_CHARS],
            )
        )
    return _dedupe(findings)


def _pth_line(raw: str) -> tuple[Severity, str]:
    """How dangerous one executable .pth line is. site.py `exec`s the line, so it is parsed
    as Python and judged by what it calls; code it hands to exec/eval/compile or to
    `python -c` as a string literal is judged the same way (coverage's line is one)."""
    try:
        tree = ast.parse(raw)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        danger = _PTH_DANGER.search(raw)  # never runs; judged by its words, to be safe
        if danger and re.search(r"\b(?:exec|eval|compile)\s*\(", raw) and _has_decoder(raw):
            return Severity.CRITICAL, f"uses {danger.group(0).strip('( ')!r}"
        if danger:
            return Severity.HIGH, f"uses {danger.group(0).strip('( ')!r}"
        return Severity.LOW, _PLAIN_PTH
    try:
        return _code_risk(raw, tree, 0)
    except RecursionError:
        return Severity.HIGH, "is nested too deeply to read"


_PLAIN_PTH = "looks like a plain import (namespace packages and setuptools ship these)"
_RISKY_MODULES = frozenset(
    {"socket", "urllib", "urllib2", "urllib3", "requests", "httpx", "aiohttp", "http",
     "subprocess", "ctypes", "pty"}
)  # fmt: skip


def _code_risk(text: str, tree: ast.Module, depth: int) -> tuple[Severity, str]:
    """The worst thing a short piece of code (a .pth line, a literal it executes) does."""
    ctx = _Context("<pth>", text, tree)
    _prepare(ctx)
    worst: tuple[Severity, str] = (Severity.LOW, _PLAIN_PTH)

    def note(severity: Severity, why: str) -> None:
        nonlocal worst
        if severity > worst[0]:
            worst = (severity, why)

    for node in ctx.nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for module in names:
                if module.split(".", 1)[0] in _RISKY_MODULES:
                    note(Severity.HIGH, f"imports {module!r}")
    decoded = any(_is_decoder_call(ctx, c) for c in ctx.calls)
    for call in ctx.calls:
        q = _call_name(ctx, call) or ""
        if q in _EXEC:
            literal = _fold(ctx, call.args[0]) if call.args else None
            inner = _parse_literal(literal, depth)
            if inner is not None:
                severity, why = _code_risk(literal or "", inner, depth + 1)
                note(severity, f"executes a string whose code {why}")
            elif decoded:
                note(Severity.CRITICAL, f"runs decoded code with {q}()")
            else:
                note(Severity.HIGH, f"runs computed code with {q}()")
        elif _is_process_name(q):
            note(Severity.HIGH, f"starts a process ({q})")
            code = _python_c(ctx, call)
            inner = _parse_literal(code, depth)
            if inner is not None:
                severity, why = _code_risk(code or "", inner, depth + 1)
                note(severity, f"starts Python on code that {why}")
        elif q in _NETWORK:
            note(Severity.HIGH, f"uses the network ({q})")
        elif _is_decoder_call(ctx, call):
            note(Severity.HIGH, f"decodes data ({q or 'a decoder'})")
    return worst


def _parse_literal(code: str | None, depth: int) -> ast.Module | None:
    if code is None or depth >= 3 or len(code) > 100_000:
        return None
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _python_c(ctx: _Context, call: ast.Call) -> str | None:
    """The code of `[python, "-c", CODE]` (a command given as one string is not split)."""
    if not call.args or not isinstance(call.args[0], ast.List | ast.Tuple):
        return None
    elts = call.args[0].elts
    for i, elt in enumerate(elts[:-1]):
        if _fold(ctx, elt) == "-c":
            return _fold(ctx, elts[i + 1])
    return None


def _has_decoder(text: str) -> bool:
    return any(d.rsplit(".", 1)[-1] in text for d in _DECODERS) or "chr(" in text


# --------------------------------------------------------------------------- .pyc


def _compiled_file(path: str) -> list[CodeFinding]:
    if "__pycache__" in _path_parts(path)[:-1]:
        return []  # the interpreter's own cache of the sources beside it
    return [
        CodeFinding(
            "compiled-bytecode",
            Severity.MEDIUM,
            path,
            None,
            "compiled Python bytecode shipped outside __pycache__: code in a .pyc cannot be "
            "reviewed as source, and a package that ships its own .py files has no need for "
            "it; check whether a .py twin exists and what loads this file",
        )
    ]


# --------------------------------------------------------------------------- unicode


def _hidden_unicode(path: str, text: str) -> list[CodeFinding]:
    """Bidi controls anywhere (Trojan Source hides them in comments and strings), and
    zero-width characters outside comments. Inside string literals, joiners are ordinary
    text (emoji sequences, Indic and Persian scripts) and a byte-order mark is data (lists
    of characters to strip), so those are left alone; a zero-width space in a string can
    still make a comparison fail invisibly and is reported (low)."""
    findings: list[CodeFinding] = []
    if text.isascii():
        return findings
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    if not _HIDDEN.search(text):
        return findings
    lines = text.splitlines()
    quiet: set[tuple[int, int]] | None = None  # (line, column) of zero-widths not to report
    for number, line in enumerate(lines, start=1):
        if not _HIDDEN.search(line):
            continue
        bidi = sorted({f"U+{ord(c):04X}" for c in line if c in _BIDI})
        if bidi:
            kinds = ", ".join(bidi)
            findings.append(
                CodeFinding(
                    "hidden-unicode",
                    Severity.HIGH,
                    path,
                    number,
                    f"bidirectional control characters ({kinds}) in source: they can make "
                    "code read differently from how it runs (Trojan Source); view the raw "
                    "bytes of this line",
                    _visible(line).strip()[:EXCERPT_CHARS],
                )
            )
            continue
        if quiet is None:
            quiet = _quiet_zero_widths(text)
        zero = sorted(
            {
                f"U+{ord(c):04X}"
                for column, c in enumerate(line)
                if c in _ZERO_WIDTH and (number, column) not in quiet
            }
        )
        if not zero:
            continue
        kinds = ", ".join(zero)
        findings.append(
            CodeFinding(
                "hidden-unicode",
                Severity.LOW,
                path,
                number,
                f"zero-width characters ({kinds}) in source: invisible, they make a string "
                "or a name differ from how it reads; view the raw bytes of this line",
                _visible(line).strip()[:EXCERPT_CHARS],
            )
        )
    return findings


_TEXT_ZERO_WIDTH = frozenset({"\u200c", "\u200d", "\ufeff"})  # joiners, byte-order mark


def _quiet_zero_widths(text: str) -> set[tuple[int, int]]:
    """Positions of zero-width characters in comments, and of joiners and byte-order marks
    in string literals. Empty when the file does not tokenize (everything is reported)."""
    quiet: set[tuple[int, int]] = set()
    string_kinds = {tokenize.STRING, *(getattr(tokenize, n, -1) for n in ("FSTRING_MIDDLE",))}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.COMMENT and tok.type not in string_kinds:
                continue
            if not _HIDDEN.search(tok.string):
                continue
            row, col = tok.start
            for c in tok.string:
                if c in _ZERO_WIDTH and (tok.type == tokenize.COMMENT or c in _TEXT_ZERO_WIDTH):
                    quiet.add((row, col))
                if c == "\n":
                    row, col = row + 1, 0
                else:
                    col += 1
    except (tokenize.TokenError, SyntaxError, ValueError):
        return set()
    return quiet


def _visible(line: str) -> str:
    return "".join(f"<U+{ord(c):04X}>" if c in _BIDI or c in _ZERO_WIDTH else c for c in line)


# --------------------------------------------------------------------------- Python AST


class _Context(msgspec.Struct, dict=True):  # dict: for its cached properties
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
            for child in _children(node):
                parents[id(child)] = node
        return parents

    @cached_property
    def scope_roots(self) -> list[ast.AST]:
        """The module, then every function, class and lambda, in walk order."""
        return [self.tree, *(n for n in self.nodes if n.__class__ in _SCOPE_TYPES)]

    @cached_property
    def scopes(self) -> list[list[ast.AST]]:
        """The nodes of each scope, in the order of `scope_roots`."""
        return [_scope_nodes(root) for root in self.scope_roots]

    @cached_property
    def sockets(self) -> set[str]:
        """Names (`s`, `self.sock`) bound from a socket: `socket.socket(...)`,
        `socket.create_connection(...)`, `*.wrap_socket(...)`, `*.accept()[0]`."""
        out: set[str] = set()
        if not _socket_used(self):
            return out
        for names, value in _bindings(self.nodes, attributes=True):
            if isinstance(value, ast.Call) and _makes_socket(self, value):
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


def _analyse_python(
    path: str, text: str, size: int, install_time: bool = False
) -> list[CodeFinding]:
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
            return [
                _unparsable(path, f"does not parse ({type(exc).__name__})"),
                *_textual(path, text),
            ]
        ctx = _Context(path, text, tree, backend=install_time)
        try:
            _prepare(ctx)
            _detect(ctx)
        except RecursionError:
            return [*ctx.findings, _unparsable(path, "nested too deeply to analyse fully")]
        return ctx.findings
    finally:
        if collecting:
            gc.enable()


# What is still looked for, line by line, in a file this Python cannot parse (Python 2, or
# syntax newer than this interpreter's: a payload must not hide behind a `type X = ...`).
_TEXT_EXEC = re.compile(r"\b(?:exec|eval)\s*\(")
_TEXT_DECODER = re.compile(
    r"b64decode|b32decode|b85decode|a85decode|decodebytes|unhexlify|fromhex|decompress|"
    r"marshal\.loads|codecs\.decode|\.decrypt\("
)
_TEXT_URL = re.compile(r"""["'](?:https?|wss?)://[^"'\s]{4,300}["']""")


def _textual(path: str, text: str) -> list[CodeFinding]:
    """Line-level checks for a file without a syntax tree: exec of decoded data on one line
    (high: without the tree the flow cannot be confirmed) and shady URLs (medium)."""
    out: list[CodeFinding] = []
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) > 100_000 or line.lstrip().startswith("#"):
            continue
        excerpt = line.strip()[:EXCERPT_CHARS]
        if _TEXT_EXEC.search(line) and _TEXT_DECODER.search(line):
            out.append(
                CodeFinding(
                    "obfuscated-exec",
                    Severity.HIGH,
                    path,
                    number,
                    "exec/eval of decoded data on one line, in a file this Python cannot parse "
                    "(newer syntax or Python 2): read the line",
                    excerpt,
                )
            )
        for m in _TEXT_URL.finditer(line):
            url = m.group(0)[1:-1]
            if _shady_hint(url) and (hit := _SHADY_URL.search(url) or _public_ip_url(url)):
                why = hit if isinstance(hit, str) else hit.group(0)
                out.append(
                    CodeFinding(
                        "shady-url",
                        Severity.MEDIUM,
                        path,
                        number,
                        f"string refers to {why!r} (webhook, paste site, tunnel, OAST host or "
                        "raw IP), in a file this Python cannot parse: check why it is there",
                        excerpt,
                    )
                )
    return out[: _MAX_FINDINGS_PER_ID * 2]


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
    if isinstance(func, ast.Name) and func.id in ctx.decoder_funcs:
        return True
    if isinstance(func, ast.Attribute):
        if func.attr in {"decrypt", "decrypt_and_verify"}:
            return True  # Fernet, Crypto.Cipher, nacl: whatever was encrypted is hidden
        if func.attr == "decode":
            codec = _literal_decode(node)
            return codec is not None and codec not in _PLAIN_CODECS
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
                names += [a.id for a in _call_args(call) if isinstance(a, ast.Name)]
            for name in names:
                fn = ctx.functions.get(name)
                if fn is not None and fn.name not in seen:
                    seen.add(fn.name)
                    pending.append(list(fn.body))
    return out


def _spawns(ctx: _Context, call: ast.Call) -> bool:
    """Does this call hand its callable arguments over to be run (a thread's target)?"""
    if isinstance(call.func, ast.Attribute) and call.func.attr in _SPAWNER_METHODS:
        return True
    return (_call_name(ctx, call) or "") in _SPAWNERS


_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda})


def _scopes(tree: ast.Module, walked: list[ast.AST] | None = None) -> Iterator[list[ast.AST]]:
    """The nodes of each scope (module, function, class body, lambda), scope by scope.
    `walked` is `_walk(tree)` where the caller has it already."""
    roots: list[ast.AST] = [tree]
    roots.extend(n for n in (walked or _walk(tree)) if n.__class__ in _SCOPE_TYPES)
    for root in roots:
        yield _scope_nodes(root)


def _scope_nodes(root: ast.AST) -> list[ast.AST]:
    """The nodes of one scope, not descending into the scopes it defines."""
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
    return nodes


def _bindings(nodes: Iterable[ast.AST], attributes: bool = False) -> list[tuple[set[str], ast.AST]]:
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
        key = _attr_key(t)
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


def _attr_key(node: ast.AST) -> str | None:
    """`name.attr` for an attribute of a plain name (`self.sock`), else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return None


def _receiver_key(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return _attr_key(node)


def _makes_socket(ctx: _Context, call: ast.Call) -> bool:
    """A call returning a network socket (a Unix-domain one stays on this machine)."""
    q = _call_name(ctx, call) or ""
    if q in _SOCKET_MAKERS:
        family = call.args[0] if call.args else None
        family = next((k.value for k in call.keywords if k.arg == "family"), family)
        return family is None or not (_qualname(ctx, family) or "").endswith("AF_UNIX")
    return q.endswith(".wrap_socket") or _is_accept(call)


def _is_socket(ctx: _Context, node: ast.AST) -> bool:
    """Is `node` a socket: a name bound from one, or a call making one?"""
    if isinstance(node, ast.Call):
        return _makes_socket(ctx, node)
    key = _receiver_key(node)
    return key is not None and key in ctx.sockets


def _socket_call(ctx: _Context, call: ast.Call, methods: frozenset[str]) -> bool:
    """`sock.<method>(...)` on a socket (`.send`, `.connect`, ...)."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in methods and _is_socket(ctx, func.value)


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


def _flow(
    nodes: list[ast.AST],
    is_source: Callable[[ast.AST], bool],
    name_use: Callable[[ast.AST], bool],
    stop: Callable[[ast.AST], bool],
) -> tuple[Callable[[ast.AST], bool], set[str]]:
    """`_taint` for secrets: attributes of plain names (`self.key`) are tracked like names,
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
                key = _attr_key(n)
                if key is not None and key in tainted and name_use(n):
                    return True
            elif n.__class__ is ast.Call and stop(n):
                continue
            stack.extend(_children(n))
        return False

    if not any(is_source(n) for n in nodes):
        return contains, tainted
    bindings = _bindings(nodes, attributes=True)
    for _ in range(4):
        before = len(tainted)
        for names, value in bindings:
            if not names <= tainted and contains(value):
                tainted |= names
        if len(tainted) == before:
            break
    return contains, tainted


def _call_args(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _args_contain(call: ast.Call, pred: Callable[[ast.AST], bool]) -> bool:
    return any(pred(a) for a in _call_args(call))


# --------------------------------------------------------------------------- detectors


class _Calls(msgspec.Struct):
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


def _kinds_of_calls(ctx: _Context) -> _Calls:
    kinds = _Calls()
    aliases = ctx.aliases
    sockets = _socket_used(ctx)
    for call in ctx.calls:
        q = _call_name(ctx, call) or ""
        if q in _KNOWN_CALLS or q.startswith(_PROCESS_PREFIXES) or q.endswith(_KNOWN_ENDS):
            kinds.network |= q in _NETWORK
            kinds.process |= _is_process_name(q)
            kinds.fetch |= q in _FETCH or q.endswith("urlretrieve")
            kinds.decoder |= q in _DECODERS or q.endswith(".fromhex")
            kinds.bytecode |= q.startswith("marshal.")
        elif q in _EXEC:
            kinds.exec_blob = kinds.exec_blob or _execs_blob(call)
        elif q.endswith(_BYTECODE_LOADERS) or q.endswith("spec_from_file_location"):
            kinds.bytecode = True
        elif q == "os.dup2":
            kinds.dup2 = True
        func: Any = call.func
        if func.__class__ is ast.Attribute:
            attr = func.attr
            if attr in _SOCKET_NETWORK:
                kinds.network = kinds.network or (
                    sockets and _socket_call(ctx, call, _SOCKET_NETWORK)
                )
            elif attr in {"join", "decode", "decrypt", "decrypt_and_verify"}:
                kinds.decoder = kinds.decoder or _is_decoder_call(ctx, call)
        elif (
            func.__class__ is ast.Name
            and not kinds.hidden_builtin
            and aliases.get(func.id, func.id) == "getattr"
        ):
            kinds.hidden_builtin = _hidden_builtin(ctx, call) or _computed_builtin(ctx, call)
    return kinds


def _detect(ctx: _Context) -> None:
    parts = _path_parts(ctx.path)
    is_setup = parts[-1] == "setup.py" or ctx.backend
    kinds = _kinds_of_calls(ctx)
    roots: list[ast.AST] = list(ctx.tree.body)
    if ctx.backend:  # the frontend calls the PEP 517 hooks
        roots += [s for name in _PEP517_HOOKS if (fn := ctx.functions.get(name)) for s in fn.body]
    import_nodes = (
        _reachable(ctx, roots)
        if is_setup or kinds.network or kinds.process or kinds.bytecode
        else []
    )
    import_ids = {id(n) for n in import_nodes}
    if is_setup:
        _install_hooks(ctx, import_nodes)
    elif kinds.network or kinds.process:
        _import_time(ctx, import_nodes, downgrade=bool(_TEST_DIRS & set(parts[:-1])))
    if kinds.decoder or kinds.hidden_builtin or kinds.exec_blob:
        _obfuscation(ctx)
    if kinds.fetch:
        _download_exec(ctx)
    if kinds.process:
        _miner_arguments(ctx)
    if kinds.dup2 or (kinds.network and kinds.process):
        _reverse_shell(ctx)
    if kinds.bytecode:
        _bytecode_loading(ctx, import_ids)
    exfil = kinds.network and _exfiltration(ctx, import_ids, is_setup)
    _shady_urls(ctx, exfil)


def _is_network(ctx: _Context, call: ast.Call) -> bool:
    """A call that reaches another machine: HTTP, sockets, DNS."""
    q = _call_name(ctx, call) or ""
    return q in _NETWORK or _socket_call(ctx, call, _SOCKET_NETWORK)


def _describe(ctx: _Context, call: ast.Call) -> str:
    return _call_name(ctx, call) or "call"


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


def _install_hooks(ctx: _Context, module_nodes: list[ast.AST]) -> None:
    for node in module_nodes:
        if not isinstance(node, ast.Call):
            continue
        q = _call_name(ctx, node) or ""
        if _is_network(ctx, node):
            ctx.add(
                "install-hook",
                Severity.HIGH,
                node,
                f"{ctx.runner} calls {_describe(ctx, node)} while it runs (every build and "
                "install from source): check what it contacts and what it does with the "
                "answer",
            )
        elif _is_process_name(q):
            suspicious = _suspicious_command(ctx, node)
            pip = not suspicious and _pip_install(ctx, node)
            if suspicious:
                severity, why = Severity.HIGH, " with a command that fetches or pipes to a shell"
            elif pip:
                severity, why = Severity.MEDIUM, " that installs packages with pip"
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
        for node in _walk(cls):
            if not isinstance(node, ast.Call):
                continue
            q = _call_name(ctx, node) or ""
            where = f"cmdclass override {cls.name!r} (runs on pip install)"
            network = _is_network(ctx, node)
            if network or _is_process_name(q):
                kind = "network call" if network else "process"
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
    return any(_SUSPICIOUS_COMMAND.search(text) for text in _command_texts(ctx, call))


def _pip_install(ctx: _Context, call: ast.Call) -> bool:
    return any(_PIP_INSTALL.search(text) for text in _command_texts(ctx, call))


def _command_texts(
    ctx: _Context, call: ast.Call, local: dict[str, ast.AST] | None = None
) -> list[str]:
    """The constant strings in a process call's arguments, and each argument list joined
    with spaces (`["/bin/sh", "-i"]` reads "/bin/sh -i"); `local` resolves a name bound
    once in the scope to its value (`command = [...]; Popen(command)`)."""
    out: list[str] = []
    for expr in _call_args(call):
        arg = local[expr.id] if isinstance(expr, ast.Name) and local and expr.id in local else expr
        if isinstance(arg, ast.List | ast.Tuple):
            out.append(" ".join(_fold(ctx, e) or "?" for e in arg.elts))
        for n in _walk(arg):
            text = _fold(ctx, n)
            if text:
                out.append(text)
    return out


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
        if _is_network(ctx, node):
            # High only when a constant host elsewhere is contacted: a helper opening
            # the URL it is given (matplotlib's rc file) or a server on this machine is
            # no outbound beacon by itself.
            where = _destination(ctx, node)
            severity = {"remote": Severity.HIGH, "loopback": Severity.LOW}.get(
                where, Severity.MEDIUM
            )
            ctx.add(
                "import-time-exec",
                severity.bump(step),
                node,
                f"{_describe(ctx, node)} runs when this module is imported, not when a "
                "function is called"
                + {
                    "loopback": " (to this machine)",
                    "parameter": " (to an address its caller passes in)",
                    "unknown": " (to an address computed at run time)",
                }.get(where, "")
                + ": check what it contacts; libraries rarely touch the network at import",
            )
        elif _is_process_name(q):
            ctx.add(
                "import-time-exec",
                Severity.MEDIUM.bump(step + (1 if _suspicious_command(ctx, node) else 0)),
                node,
                f"{q} starts a process when this module is imported: check the command",
            )


def _destination(ctx: _Context, call: ast.Call) -> str:
    """Where a network call goes: "remote" (a constant host elsewhere), "loopback" (this
    machine), "parameter" (whatever the enclosing function is given, as in a helper that
    opens the URL it is passed) or "unknown" (computed at run time)."""
    q = _call_name(ctx, call) or ""
    index, keyword = _DESTINATION_ARG.get(q, (0, "url"))
    expr: ast.AST | None = next((k.value for k in call.keywords if k.arg == keyword), None)
    if expr is None and len(call.args) > index:
        expr = call.args[index]
    if expr is None:
        return "unknown"
    return _origin(ctx, expr, _enclosing_function(ctx, call), 0)


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


def _enclosing_function(
    ctx: _Context, node: ast.AST
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    parent = ctx.parents.get(id(node))
    while parent is not None:
        if isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
            return parent
        if isinstance(parent, ast.Lambda | ast.ClassDef):
            return None
        parent = ctx.parents.get(id(parent))
    return None


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr | None]:
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


def _worst(kinds: Iterable[str]) -> str:
    return max(kinds, key=_REACH.__getitem__, default="unknown")


def _origin(
    ctx: _Context,
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
    text = _fold(ctx, expr)
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
    ctx: _Context, expr: ast.AST, fn: ast.FunctionDef | ast.AsyncFunctionDef | None
) -> str | None:
    """The constant string `expr` is: a literal, or a name assigned one constant only (in
    `fn`, else at module level: `BASE = "https://..."`)."""
    text = _fold(ctx, expr)
    if text is not None or not isinstance(expr, ast.Name):
        return text
    values: list[ast.AST] = []
    if fn is not None:
        values = [v for names, v in _bindings(_scope_nodes(fn)) if expr.id in names]
        if not values and expr.id in _parameters(fn):
            return None
    if not values:
        values = list(ctx.module_values.get(expr.id, []))
    return _fold(ctx, values[0]) if len(values) == 1 else None


def _call_origin(
    ctx: _Context, call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef | None, depth: int
) -> str:
    q = _call_name(ctx, call) or ""
    if q in _IDENTITY:
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


def _decode_constant(ctx: _Context, q: str, arg: ast.AST) -> str | None:
    """base64/hex decoding of a short literal, evaluated (pure functions of the text)."""
    value: object = arg.value if isinstance(arg, ast.Constant) else _fold(ctx, arg)
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
    ctx: _Context,
    expr: ast.Subscript,
    fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
    depth: int,
) -> str:
    """CONFIG["url"] where CONFIG is a dict literal at module level."""
    key = _fold(ctx, expr.slice)
    if key is None or not isinstance(expr.value, ast.Name):
        return "unknown"
    values = ctx.module_values.get(expr.value.id, [])
    found = [
        v
        for d in values
        if isinstance(d, ast.Dict)
        for k, v in zip(d.keys, d.values, strict=True)
        if k is not None and _fold(ctx, k) == key
    ]
    return _worst(_origin(ctx, v, None, depth + 1) for v in found) if found else "unknown"


def _name_origin(
    ctx: _Context,
    name: str,
    fn: ast.FunctionDef | ast.AsyncFunctionDef | None,
    depth: int,
) -> str:
    if fn is None:
        return _worst(_origin(ctx, v, None, depth + 1) for v in ctx.module_values.get(name, []))
    values: list[ast.AST] = [v for names, v in _bindings(_scope_nodes(fn)) if name in names]
    params = _parameters(fn)
    if name not in params:
        if not values:
            return _name_origin(ctx, name, None, depth + 1)  # a module-level name
        return _worst(_origin(ctx, v, fn, depth + 1) for v in values)
    # a parameter: what the function rebinds it to (other than from itself, as in
    # `fname = os.path.expanduser(fname)`), and what callers in this module pass
    kinds = [
        _origin(ctx, v, fn, depth + 1)
        for v in values
        if not any(isinstance(n, ast.Name) and n.id == name for n in _walk(v))
    ]
    kinds += _argument_origins(ctx, fn, name, params, depth)
    return _worst(kinds)


def _argument_origins(
    ctx: _Context,
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
        out.append(_origin(ctx, arg, _enclosing_function(ctx, site), depth + 1))
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


def _obfuscation(ctx: _Context) -> None:
    _decoder_functions(ctx)
    # A scope reports only from a decoder call, a hidden builtin or an exec of a blob of
    # its own.
    sources = {
        id(c)
        for c in ctx.calls
        if _is_decoder_call(ctx, c)
        or _hidden_builtin(ctx, c)
        or _computed_builtin(ctx, c)
        or ((_call_name(ctx, c) or "") in _EXEC and _execs_blob(c))
    }
    for nodes in ctx.scopes:
        if sources.isdisjoint(map(id, nodes)):
            continue
        decoded = _taint(nodes, lambda n: _is_decoder_call(ctx, n))
        blob = _taint(nodes, lambda n: isinstance(n, ast.Constant) and _is_blob(n.value))
        lookups = {
            name
            for names, value in _bindings(nodes)
            if isinstance(value, ast.Call) and _computed_builtin(ctx, value)
            for name in names
        }
        exec_in_scope = False
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            q = _call_name(ctx, node) or ""
            if q in _EXEC and (_args_contain(node, decoded) or _execs_blob(node)):
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
            if _hidden_builtin(ctx, node):
                ctx.add(
                    "obfuscated-exec",
                    Severity.CRITICAL,
                    node,
                    "a builtin (exec/eval/compile/__import__) is looked up through a computed "
                    "name, which only serves to hide it: read what it is applied to",
                )
            func = node.func
            if (isinstance(func, ast.Call) and _computed_builtin(ctx, func)) or (
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


def _decoder_functions(ctx: _Context) -> None:
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
            decoded = _taint(nodes, lambda n: _is_decoder_call(ctx, n))
            if any(decoded(r) for r in returns):
                ctx.decoder_funcs.add(name)
                changed = True
        if not changed:
            break


def _execs_blob(call: ast.Call) -> bool:
    """exec(f(<long high-entropy literal>)): whatever `f` is, it unpacks hidden code."""
    for arg in _call_args(call):
        for n in _walk(arg):
            if isinstance(n, ast.Call) and any(
                isinstance(a, ast.Constant) and _is_blob(a.value) for a in _call_args(n)
            ):
                return True
    return False


def _hidden_builtin(ctx: _Context, call: ast.Call) -> bool:
    """getattr(builtins, <computed>) / __builtins__[<computed>] naming exec and friends."""
    name = _builtin_lookup(ctx, call)
    return name is not None and _fold(ctx, name) in {"exec", "eval", "compile", "__import__"}


def _computed_builtin(ctx: _Context, call: ast.Call) -> bool:
    """getattr(builtins, <name computed by an expression that does not fold>), with no
    default: the name is decoded, joined or sliced at run time. (A plain variable, as in
    `getattr(builtins, type_name)`, is ordinary dynamic lookup.)"""
    if len(call.args) != 2 or call.keywords:
        return False
    name = _builtin_lookup(ctx, call)
    return (
        isinstance(name, ast.Call | ast.BinOp | ast.JoinedStr | ast.Subscript)
        and _fold(ctx, name) is None
    )


def _builtin_lookup(ctx: _Context, call: ast.Call) -> ast.AST | None:
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
    base = _qualname(ctx, target) or ""
    if base not in _BUILTIN_MODULES and not base.endswith(".__builtins__"):
        return None
    return name


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
    functions = {id(fn): name for name, fn in ctx.functions.items()}
    writers: list[str] = []  # functions that save downloaded bytes to a file
    runners: dict[str, ast.Call] = {}  # functions that chmod +x and run their parameter
    for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True):
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
        executable = _made_executable(ctx, calls)
        downloads = any(is_fetch(c) for c in calls)
        if written and id(root) in functions:
            writers.append(functions[id(root)])
        if not written and not executable:
            continue
        local = _single_bindings(nodes)
        parameters = (
            {f"name:{p}" for p in _parameters(root)}
            if isinstance(root, ast.FunctionDef | ast.AsyncFunctionDef)
            else set()
        )
        chmodded = any(
            (_call_name(ctx, c) or "") == "os.chmod" and c.args and _keys(ctx, c.args[0]) & written
            for c in calls
        )
        for call in calls:
            q = _call_name(ctx, call) or ""
            if not (_is_process_name(q) or q in _EXEC) or not call.args:
                continue
            refs = set().union(*(_refs(ctx, a) for a in _call_args(call)))
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


def _split_download_exec(ctx: _Context, writers: list[str], runners: dict[str, ast.Call]) -> None:
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
        local = _single_bindings(nodes)
        for node in nodes:
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in runners
            ):
                continue
            for arg in _call_args(node):
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


def _made_executable(ctx: _Context, calls: list[ast.Call]) -> set[str]:
    """Paths given execute permission: os.chmod(p, <mode with an x bit>), Path(p).chmod."""
    out: set[str] = set()
    for call in calls:
        q = _call_name(ctx, call) or ""
        func = call.func
        if q == "os.chmod" and len(call.args) >= 2 and _exec_mode(ctx, call.args[1]):
            out |= _keys(ctx, call.args[0])
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
            out |= _keys(ctx, target)
    return out


def _exec_mode(ctx: _Context, mode: ast.AST) -> bool:
    for n in _walk(mode):
        if isinstance(n, ast.Constant) and isinstance(n.value, int) and n.value & 0o111:
            return True
        if (isinstance(n, ast.Attribute) and n.attr in _EXEC_BITS) or (
            isinstance(n, ast.Name) and n.id in _EXEC_BITS
        ):
            return True
    return False


def _single_bindings(nodes: list[ast.AST]) -> dict[str, ast.AST]:
    """Names bound exactly once in a scope, with their value."""
    seen: Counter[str] = Counter()
    values: dict[str, ast.AST] = {}
    for names, value in _bindings(nodes):
        for name in names:
            seen[name] += 1
            values[name] = value
    return {name: value for name, value in values.items() if seen[name] == 1}


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


def _program_keys(
    ctx: _Context, expr: ast.AST, local: dict[str, ast.AST] | None = None
) -> set[str]:
    """The path being run when `expr` is the command of a process call (`local` resolves
    a name bound once in the scope: `command = [path, ...]; Popen(command)`)."""
    if isinstance(expr, ast.Name) and local and expr.id in local:
        value = local[expr.id]
        if isinstance(value, ast.List | ast.Tuple):
            expr = value
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


def _sends(ctx: _Context, nodes: Iterable[ast.AST]) -> Iterator[ast.Call]:
    """Calls that carry data off the machine: HTTP, DNS lookups, a socket's send."""
    for n in nodes:
        if n.__class__ is ast.Call:
            call: Any = n
            if (_call_name(ctx, call) or "") in _NETWORK or _socket_call(ctx, call, _SOCKET_SENDS):
                yield call


def _socket_used(ctx: _Context) -> bool:
    return any(
        v in {"socket", "ssl"} or v.startswith(("socket.", "ssl.")) for v in ctx.aliases.values()
    )


def _credential_path(ctx: _Context, node: ast.AST) -> bool:
    """A credential file's path: a constant (`"~/.ssh/id_rsa"`) or one joined from
    constants (`os.path.join(home, ".aws", "credentials")`, `Path.home() / ".aws" / ...`)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return isinstance(value, str) and len(value) < 512 and bool(_CREDENTIAL_PATH.search(value))
    parts: list[ast.AST] = []
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "joinpath":
            parts = [func.value, *node.args]
        elif (_call_name(ctx, node) or "") in _PATH_JOINS:
            parts = list(node.args)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left: ast.AST = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Div):
            parts.insert(0, left.right)
            left = left.left
        parts.insert(0, left)
    if len(parts) < 2:
        return False
    text = "/".join(_fold(ctx, part) or "*" for part in parts)
    return len(text) < 512 and bool(_CREDENTIAL_PATH.search(text))


def _credential_env(ctx: _Context, node: ast.AST) -> bool:
    """One environment variable read whose name says it holds a credential
    (`environ.get("AWS_SECRET_ACCESS_KEY")`, `os.environ["GITHUB_TOKEN"]`)."""
    key: ast.AST | None = None
    if isinstance(node, ast.Call) and node.args:
        if (_call_name(ctx, node) or "") in _ENV_READS:
            key = node.args[0]
    elif isinstance(node, ast.Subscript) and _qualname(ctx, node.value) == "os.environ":
        key = node.slice
    if key is None:
        return False
    name = _fold(ctx, key)
    return name is not None and len(name) < 256 and bool(_CREDENTIAL_NAME.search(name))


def _env_read(ctx: _Context, node: ast.AST) -> bool:
    if node.__class__ is ast.Call:
        return (_call_name(ctx, node) or "") in _ENV_READS
    if isinstance(node, ast.Subscript):
        return _qualname(ctx, node.value) == "os.environ"
    return _is_bulk_environ(ctx, node)


def _identity(ctx: _Context, node: ast.AST) -> bool:
    """Who and where the user is: user and host names, the working directory, the
    environment."""
    if node.__class__ is ast.Call and (_call_name(ctx, node) or "") in _IDENTITY:
        return True
    return _env_read(ctx, node)


def _is_signing(ctx: _Context, node: ast.AST) -> bool:
    return (_call_name(ctx, node) or "").startswith(_SIGNING)


def _exfiltration(ctx: _Context, import_ids: set[int], is_setup: bool) -> bool:
    def bulk(n: ast.AST) -> bool:
        return _is_bulk_environ(ctx, n) or _credential_path(ctx, n)

    def named(n: ast.AST) -> bool:
        return bulk(n) or _credential_env(ctx, n)

    def bulk_use(n: ast.AST) -> bool:
        return _is_bulk_use(ctx, n)

    def signing(n: ast.AST) -> bool:
        return _is_signing(ctx, n)

    sends = {
        id(root): calls
        for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True)
        if (calls := list(_sends(ctx, nodes)))
    }
    if not sends:
        return False
    bulk_attrs = _class_secrets(ctx, bulk, sends)
    named_attrs = _class_secrets(ctx, named, sends)
    found = False
    for root, nodes in zip(ctx.scope_roots, ctx.scopes, strict=True):
        if id(root) not in sends:
            continue
        strong, _ = _flow(nodes, _with_attrs(bulk, bulk_attrs.get(id(root))), bulk_use, signing)
        weak, _ = _flow(nodes, _with_attrs(named, named_attrs.get(id(root))), bulk_use, signing)
        who: Callable[[ast.AST], bool] | None = None
        for call in sends[id(root)]:
            data = [k.value for k in call.keywords if k.arg not in _AUTH_KEYWORDS]
            if _args_contain(call, strong) or any(weak(a) for a in [*call.args, *data]):
                what = "the environment, credential files or credential variables"
            elif (_call_name(ctx, call) or "") in _DNS and _built_name(call):
                if who is None:
                    who, _ = _flow(nodes, lambda n: _identity(ctx, n), bulk_use, signing)
                if not _args_contain(call, who):
                    continue
                what = "who and where the user is (user, host, directory or environment)"
            else:
                continue
            found = True
            early = is_setup or id(call) in import_ids
            ctx.add(
                "exfiltration",
                Severity.CRITICAL if early else Severity.HIGH,
                call,
                f"this module reads {what} and sends it out ({_describe(ctx, call)})"
                + (" while being imported or installed" if early else "")
                + ": check the destination and what is sent",
            )
    return found


def _with_attrs(
    source: Callable[[ast.AST], bool], attrs: set[str] | None
) -> Callable[[ast.AST], bool]:
    if not attrs:
        return source
    return lambda n: source(n) or (n.__class__ is ast.Attribute and _attr_key(n) in attrs)


def _built_name(call: ast.Call) -> bool:
    """Is the name a DNS call resolves put together (f-string, +, %, join, format), as
    exfiltration labels are, rather than passed as it is?"""
    if not call.args:
        return False
    name = call.args[0]
    if isinstance(name, ast.JoinedStr | ast.BinOp):
        return True
    return (
        isinstance(name, ast.Call)
        and isinstance(name.func, ast.Attribute)
        and name.func.attr in {"join", "format"}
    )


def _class_secrets(
    ctx: _Context, source: Callable[[ast.AST], bool], sends: dict[int, list[ast.Call]]
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
                _, tainted = _flow(
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


def _miner_arguments(ctx: _Context) -> None:
    for nodes in ctx.scopes:
        calls = [
            n
            for n in nodes
            if isinstance(n, ast.Call) and _is_process_name(_call_name(ctx, n) or "")
        ]
        if not calls:
            continue
        local = _single_bindings(nodes)
        for call in calls:
            if _is_miner(_command_texts(ctx, call, local)):
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


def _reverse_shell(ctx: _Context) -> None:
    """A socket wired to a shell: its stdin/stdout/stderr dup'ed onto a socket, or an
    interactive shell started next to an outgoing connection."""
    for nodes in ctx.scopes:
        calls = [n for n in nodes if isinstance(n, ast.Call)]
        connects = any(_socket_call(ctx, c, frozenset({"connect", "connect_ex"})) for c in calls)
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


def _dup_to_stdio(ctx: _Context, call: ast.Call, connects: bool) -> bool:
    """os.dup2(<socket>.fileno(), 0 | 1 | 2)."""
    if (_call_name(ctx, call) or "") != "os.dup2" or len(call.args) < 2:
        return False
    fd, target = call.args[0], call.args[1]
    if not (isinstance(target, ast.Constant) and target.value in (0, 1, 2)):
        return False
    return (
        isinstance(fd, ast.Call)
        and isinstance(fd.func, ast.Attribute)
        and fd.func.attr == "fileno"
        and (connects or _is_socket(ctx, fd.func.value))
    )


def _interactive_shell(ctx: _Context, call: ast.Call) -> bool:
    q = _call_name(ctx, call) or ""
    if q == "pty.spawn":
        program = (_fold(ctx, call.args[0]) or "") if call.args else ""
        return program.rsplit("/", 1)[-1] in {"sh", "bash", "zsh", "dash", "ksh"}
    if not _is_process_name(q):
        return False
    return any(
        re.search(r"(?:^|[/\s])(?:ba|z|k|da)?sh\s+-i\b", t) for t in _command_texts(ctx, call)
    )


def _bytecode_loading(ctx: _Context, import_ids: set[int]) -> None:
    """Compiled bytecode loaded from a file: code no reviewer of the sources sees."""
    for call in ctx.calls:
        q = _call_name(ctx, call) or ""
        loader = q.endswith("SourcelessFileLoader") or q in {"imp.load_compiled"}
        named_pyc = any(
            isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.endswith(".pyc")
            for a in _call_args(call)
            for n in _walk(a)
        )
        if q.endswith("spec_from_file_location"):
            loader = named_pyc
        elif q in {"marshal.load", "marshal.loads"}:
            loader = q == "marshal.load" or any(
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Attribute)
                and n.func.attr in {"read", "read_bytes"}
                for a in call.args
                for n in _walk(a)
            )
            if not (named_pyc or id(call) in import_ids):
                continue  # caches of compiled code (pytest, jinja2) read their own files
        if not loader:
            continue
        high = named_pyc or id(call) in import_ids
        ctx.add(
            "compiled-bytecode",
            Severity.HIGH if high else Severity.MEDIUM,
            call,
            f"code is loaded from compiled bytecode ({q})"
            + (" named in the package" if named_pyc else " at import" if high else "")
            + ": bytecode hides its code from source review; find the .pyc and decompile "
            "it, or ask why the package does not ship the source",
        )


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
