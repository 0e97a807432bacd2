"""How a string from outside is shown to a person: `safe()`.

Names, account names, e-mail addresses, summaries and URLs come from a registry; file names
and code excerpts from archives; DNS and RDAP answers from whoever runs those servers. Written
to a terminal as they are, an escape sequence can move the cursor and erase lines (an account
named `gutworth\\x1b[2K\\x1b[1A...` printed a fake "No findings." line), and a bidi override
can make a file name read backwards. Every text output runs such strings through `safe()`,
which shows each control or invisible formatting character as a visible escape (`\\x1b`,
`\\u202e`) and leaves everything else as it is. JSON and SARIF need nothing more: their
encoder escapes control characters already (and keeps the value exact for programs).
"""

from __future__ import annotations

import re
from typing import Final

# C0 and C1 controls and DEL; the soft hyphen; the bidi marks, embeddings, overrides and
# isolates; zero-width spaces and joiners; line and paragraph separators; invisible
# operators; the byte-order mark; interlinear annotations; lone surrogates (which cannot
# even be encoded); Unicode tag characters (invisible text).
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\u3164\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)
_UNSAFE_BUT_NEWLINE: Final = re.compile(_UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def safe(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control and invisible formatting character shown as an escape,
    so that it prints as one inert line (or, with `keep_newlines`, as the lines it has: for
    a message of chaingate's own that quotes input)."""
    pattern = _UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)
