"""`hidden-unicode`: bidi controls anywhere, zero-width characters in code."""

from __future__ import annotations

import io
import re
import tokenize

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.index import EXCERPT_CHARS
from chaingate.analysis.python.registry import SourceFile, file_detector
from chaingate.core.findings import Severity

_BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_ZERO_WIDTH = frozenset({"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"})
_HIDDEN = re.compile("[" + "".join(sorted(_BIDI | _ZERO_WIDTH)) + "]")


@file_detector(
    "hidden-unicode",
    Severity.HIGH,
    "Bidi control or zero-width characters in source",
    suffix=".py",
)
def hidden_unicode(file: SourceFile) -> list[CodeFinding]:
    """Bidi controls anywhere (Trojan Source hides them in comments and strings), and
    zero-width characters outside comments. Inside string literals, joiners are ordinary
    text (emoji sequences, Indic and Persian scripts) and a byte-order mark is data (lists
    of characters to strip), so those are left alone; a zero-width space in a string can
    still make a comparison fail invisibly and is reported (low)."""
    path, text = file.path, file.text
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
