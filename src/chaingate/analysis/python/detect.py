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

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python import detectors as _detectors  # noqa: F401  (registers them)
from chaingate.analysis.python.calls import kinds_of_calls
from chaingate.analysis.python.detectors.unparsable import unparsable_finding
from chaingate.analysis.python.index import MAX_FINDINGS_PER_ID, Context, dedupe, prepare
from chaingate.analysis.python.registry import SourceFile, detectors

MAX_SOURCE_BYTES = 8 * 1024 * 1024
SUFFIXES = (".pth", ".pyc", ".py")  # the files analysed, by the end of their name


def analyse_file(path: str, data: bytes, *, install_time: bool = False) -> list[CodeFinding]:
    """Findings for one file of a package archive (empty for files it does not analyse).

    `install_time` marks a module of an in-tree build backend (pyproject.toml's
    `backend-path`): like setup.py it runs on every build and install from source, from its
    module level and from its PEP 517 hooks. Never executes the file and never raises on
    malformed input.
    """
    name = path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        return []
    file = SourceFile(path, data)
    findings = [f for d in detectors("file", suffix) for f in d.check(file)]
    if suffix == ".py":
        findings.extend(_analyse_python(file, install_time))
    return dedupe(findings)


def _analyse_python(file: SourceFile, install_time: bool = False) -> list[CodeFinding]:
    path, text = file.path, file.text
    if len(file.data) > MAX_SOURCE_BYTES:
        return [unparsable_finding(path, f"larger than {MAX_SOURCE_BYTES} bytes, not analysed")]
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
                unparsable_finding(path, f"does not parse ({type(exc).__name__})"),
                *_unparsed(file),
            ]
        ctx = Context(path, text, tree, backend=install_time)
        try:
            prepare(ctx)
            _detect(ctx)
        except RecursionError:
            return [*ctx.findings, unparsable_finding(path, "nested too deeply to analyse fully")]
        return ctx.findings
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
