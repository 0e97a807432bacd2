"""Static analysis of Python files found in package archives: the runner of the detectors.

Everything here reads source text and walks its AST; nothing is imported, compiled to
bytecode or executed. `analyse_file` takes a path relative to the archive root and the file's
bytes and returns `CodeFinding`s: it hands the file to the file detectors of its kind
(`.py`, `.pth`, `.pyc`), parses a `.py` file once into the syntax-tree index (`index.Context`)
and runs the tree detectors that the calls of the file can concern (`calls.kinds_of_calls`),
or, when it does not parse, the text detectors. The detectors themselves, one module per
family, are in `detectors/`; what each finding id means is in docs/artifacts.md.
"""

from __future__ import annotations

import ast
import gc
import re

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python import detectors as _detectors  # noqa: F401  (registers them)
from chaingate.analysis.python.calls import kinds_of_calls
from chaingate.analysis.python.detectors.unparsable import unparsable_finding
from chaingate.analysis.python.index import (
    MAX_FINDINGS_PER_ID,
    Context,
    dedupe,
    prepare,
)
from chaingate.analysis.python.registry import SourceFile, detectors

SUFFIXES = (".pth", ".pyc", ".py")  # the files analysed, by the end of their name
# What one parse may cost in this process. CPython's parser holds every token and node of a
# file at once, up to about 1 KB per token (`f()` lines; 4.4 GB for 7 MB of `a=1`), so a file
# is parsed here only when its estimated token count keeps the parse near 200 MB (about 1 MB
# of ordinary code); a bigger one is parsed in a child process under a memory cap (`apart`).
# Files up to ESTIMATE_FROM bytes cannot reach that and are not counted.
MAX_PARSE_TOKENS = 200_000
ESTIMATE_FROM = 128 * 1024
_TOKENISH = re.compile(r"\w+|[^\w\s]")


def analyse_file(path: str, data: bytes, *, install_time: bool = False) -> list[CodeFinding]:
    """Findings for one file of a package archive (empty for files it does not analyse).

    `install_time` marks a module of an in-tree build backend (pyproject.toml's
    `backend-path`): like setup.py it runs on every build and install from source, from its
    module level and from its PEP 517 hooks. Never executes the file and never raises on
    malformed input.
    """
    return analyse_bounded(path, data, install_time=install_time)[0]


def analyse_bounded(
    path: str, data: bytes, *, install_time: bool = False
) -> tuple[list[CodeFinding], str | None]:
    """`analyse_file`'s findings, and why the file's code was not all analysed when it was
    beyond the analyser's memory bounds (None: it was analysed)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        return [], None
    file = SourceFile(path, data)
    findings = [f for d in detectors("file", suffix) for f in d.check(file)]
    why = None
    if suffix == ".py":
        found, why = _analyse_python(file, install_time)
        findings.extend(found)
    return dedupe(findings), why


def _analyse_python(file: SourceFile, install_time: bool) -> tuple[list[CodeFinding], str | None]:
    """The tree detectors' findings (the text detectors' for a file without a tree). A file
    whose parse may cost more than this process should spend (an estimated MAX_PARSE_TOKENS
    tokens) is parsed in a child process under a memory cap (`apart`)."""
    why: str | None = None
    found: list[CodeFinding] = []
    # No size limit of its own (a payload after 9 MB of tables is still read): the archive
    # reader holds a source to `Limits.max_source_bytes`, and a big parse runs capped apart.
    if len(file.data) > ESTIMATE_FROM and _tokens(file.text) > MAX_PARSE_TOKENS:
        from chaingate.analysis.python.apart import analyse_apart

        found, why = analyse_apart(file.path, file.data, install_time)
    else:
        return analyse_python_here(file.path, file.data, install_time, file)
    if why is not None and not found:
        found = [unparsable_finding(file.path, f"{why}: not analysed"), *_unparsed(file)]
    return found, why


def _tokens(text: str) -> int:
    """About how many tokens a source holds, by one regex pass (words and punctuation;
    docstrings count every word, so it errs high)."""
    return _TOKENISH.subn("", text)[1]


def analyse_python_here(
    path: str, data: bytes, install_time: bool, file: SourceFile | None = None
) -> tuple[list[CodeFinding], str | None]:
    """The tree detectors' findings for a `.py` file, parsed in this process, and why they
    are incomplete (out of memory) or None."""
    file = file or SourceFile(path, data)
    text = file.text
    source = text[1:] if text.startswith("\ufeff") else text
    # A syntax tree is hundreds of thousands of objects without a single cycle: the cyclic
    # collector would only slow down building and walking it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            tree = ast.parse(source, filename=path)
        except MemoryError:
            why = "out of memory while parsing"
            return [unparsable_finding(path, f"{why}: not analysed"), *_unparsed(file)], why
        except (SyntaxError, ValueError, RecursionError) as exc:
            return [
                unparsable_finding(path, f"does not parse ({type(exc).__name__})"),
                *_unparsed(file),
            ], None
        ctx = Context(path, text, tree, backend=install_time)
        try:
            prepare(ctx)
            _detect(ctx)
        except RecursionError:
            return [
                *ctx.findings,
                unparsable_finding(path, "nested too deeply to analyse fully"),
            ], None
        except MemoryError:
            why = "out of memory while analysing"
            return [*ctx.findings, unparsable_finding(path, f"{why}: not analysed")], why
        return ctx.findings, None
    finally:
        if collecting:
            gc.enable()


def _detect(ctx: Context) -> None:
    """The tree detectors the file needs, in order of registration. Each reports only from
    calls of the kinds it declared, so a file without them skips it, with the same findings
    and none of the cost (most files call no network, process, exec or decoder function)."""
    kinds = kinds_of_calls(ctx)
    for d in detectors("tree"):
        if d.wanted(kinds, ctx.setup):
            d.check(ctx)


def _unparsed(file: SourceFile) -> list[CodeFinding]:
    """The text detectors' findings for a file without a syntax tree, in line order, at
    most two ids' worth."""
    found = [f for d in detectors("text") for f in d.check(file)]
    return sorted(found, key=lambda f: f.line or 0)[: MAX_FINDINGS_PER_ID * 2]
