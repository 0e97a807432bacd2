"""`pth-exec`: executable lines in .pth files (run at every interpreter start), judged by
what they run."""

from __future__ import annotations

import ast
import re

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.index import (
    EXCERPT_CHARS,
    Context,
    call_name,
    fold,
    is_decoder_call,
    is_process_name,
    prepare,
)
from chaingate.analysis.python.names import DECODERS, EXEC, NETWORK
from chaingate.analysis.python.registry import SourceFile, file_detector
from chaingate.core.findings import Severity

# The longest .pth line parsed (a 3.6 MB line took 1 GB to parse); code literals inside one
# are held to the same length.
MAX_PTH_LINE = 100_000
_PTH_DANGER = re.compile(
    r"\bexec\s*\(|\beval\s*\(|\bcompile\s*\(|b64decode|b32decode|decompress|marshal"
    r"|fromhex|urlopen|urllib|requests|socket|subprocess|os\.system|os\.popen|http\.client",
)


_ARCHIVE_LINE = re.compile(r"\.(?:zip|egg|pyz|whl)/?$", re.IGNORECASE)


@file_detector(
    "pth-exec",
    Severity.LOW,
    "A .pth file line that runs at every interpreter start",
    suffix=".pth",
)
def analyse_pth(file: SourceFile) -> list[CodeFinding]:
    """Each line of a .pth file that starts with `import`, judged by what it runs."""
    path, text = file.path, file.text
    findings: list[CodeFinding] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if _ARCHIVE_LINE.search(raw.strip()) and not raw.startswith(("import ", "#")):
            findings.append(
                CodeFinding(
                    "pth-exec",
                    Severity.HIGH,
                    path,
                    number,
                    "a .pth line puts an archive (zip/egg/pyz) on sys.path at every "
                    "interpreter start: a sitecustomize.py or usercustomize.py inside it runs "
                    "then, and its modules shadow installed ones; a wheel has no need to "
                    "ship code in an archive, read what the archive holds",
                    raw.strip()[:EXCERPT_CHARS],
                )
            )
            continue
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
    return findings


def _pth_line(raw: str) -> tuple[Severity, str]:
    """How dangerous one executable .pth line is. site.py `exec`s the line, so it is parsed
    as Python and judged by what it calls; code it hands to exec/eval/compile or to
    `python -c` as a string literal is judged the same way (coverage's line is one). A line
    too long to parse within the analyser's memory bound is high on its own: real ones are
    a few hundred characters."""
    if len(raw) > MAX_PTH_LINE:
        return Severity.HIGH, f"is {len(raw):,} characters long, too long to read as code"
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
    ctx = Context("<pth>", text, tree)
    prepare(ctx)
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
    decoded = any(is_decoder_call(ctx, c) for c in ctx.calls)
    for call in ctx.calls:
        q = call_name(ctx, call) or ""
        if q in EXEC:
            literal = fold(ctx, call.args[0]) if call.args else None
            inner = _parse_literal(literal, depth)
            if inner is not None:
                severity, why = _code_risk(literal or "", inner, depth + 1)
                note(severity, f"executes a string whose code {why}")
            elif decoded:
                note(Severity.CRITICAL, f"runs decoded code with {q}()")
            else:
                note(Severity.HIGH, f"runs computed code with {q}()")
        elif is_process_name(q):
            note(Severity.HIGH, f"starts a process ({q})")
            code = _python_c(ctx, call)
            inner = _parse_literal(code, depth)
            if inner is not None:
                severity, why = _code_risk(code or "", inner, depth + 1)
                note(severity, f"starts Python on code that {why}")
        elif q in NETWORK:
            note(Severity.HIGH, f"uses the network ({q})")
        elif is_decoder_call(ctx, call):
            note(Severity.HIGH, f"decodes data ({q or 'a decoder'})")
    return worst


def _parse_literal(code: str | None, depth: int) -> ast.Module | None:
    if code is None or depth >= 3 or len(code) > MAX_PTH_LINE:
        return None
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _python_c(ctx: Context, call: ast.Call) -> str | None:
    """The code of `[python, "-c", CODE]` (a command given as one string is not split)."""
    if not call.args or not isinstance(call.args[0], ast.List | ast.Tuple):
        return None
    elts = call.args[0].elts
    for i, elt in enumerate(elts[:-1]):
        if fold(ctx, elt) == "-c":
            return fold(ctx, elts[i + 1])
    return None


def _has_decoder(text: str) -> bool:
    return any(d.rsplit(".", 1)[-1] in text for d in DECODERS) or "chr(" in text
