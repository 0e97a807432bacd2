"""Where and why a TOML or JSON parser gave up on a text beyond its limits.

Syntax errors name their line themselves. Two limits do not: nesting deeper than the parser
recurses (tomli stops at 400 levels, `json` at Python's recursion limit: RecursionError),
and an integer longer than Python converts from text (4300 digits: a plain ValueError).
`beyond_limits` finds the line in one linear pass, so the user still reads
`chaingate: <file>:<line>: <what>`.
"""

from __future__ import annotations

import re
import sys
from typing import Final

_BRACKETS: Final = re.compile(r"[\[\]{}\n]")
#: Nesting past this depth is what the parsers refuse; the line is where it is first passed.
_DEPTH: Final = 100


def beyond_limits(text: str, exc: RecursionError | ValueError) -> tuple[int | None, str]:
    """The line and the reason for `exc`, raised while parsing `text`."""
    if isinstance(exc, RecursionError):
        said = str(exc)  # tomli says which limit: "TOML key has more than ... 1000 parts"
        why = f"nested too deeply ({said})" if said.startswith("TOML") else "nested too deeply"
        return _deep_line(text), why
    limit = sys.get_int_max_str_digits()
    if limit and "digits" in str(exc):
        found = re.search(rf"\d[\d_]{{{limit},}}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else None
        return line, f"an integer with more than {limit} digits"
    return None, str(exc)


def _deep_line(text: str) -> int | None:
    """The line where brackets first nest deeper than `_DEPTH` (brackets inside strings
    counted too: a guess good enough for a text that nests thousands deep); else, for a
    TOML key nested by its dots (`a.a.a...` or `[a.a.a...]`), the longest line."""
    depth, line = 0, 1
    for match in _BRACKETS.finditer(text):
        char = match.group()
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > _DEPTH:
                return line
        else:
            depth = max(0, depth - 1)
    lines = text.split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    return longest + 1 if lines[longest].count(".") > _DEPTH else None
