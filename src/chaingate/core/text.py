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

import functools
import re
from typing import Final, TypeVar, cast

import msgspec

# Every control (Cc), format (Cf: bidi marks, embeddings, overrides and isolates, zero-width
# spaces and joiners, the byte-order mark, Unicode tags that spell invisible text...),
# surrogate (Cs: cannot even be encoded) and line or paragraph separator (Zl, Zp) of
# Unicode 14, and the Hangul fillers that render as nothing. tests/report/test_escape.py
# checks the class against the running Python's Unicode database.
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2"
    "\u115f-\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ud800-\udfff"
    "\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e007f]"
)


@functools.cache
def _unsafe_but_newline() -> re.Pattern[str]:
    """`_UNSAFE` without the newline (for chaingate's own messages: compiled when one is)."""
    return re.compile(_UNSAFE.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f"))


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
    pattern = _unsafe_but_newline() if keep_newlines else _UNSAFE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


T = TypeVar("T")


def escaped(value: T) -> T:
    """`value` (a document, a result, any msgspec struct, tuple, list or dict of them) with
    every string in it passed through `safe()`: what a text format renders, made inert in
    one place, whatever field the format reads. Unchanged parts are the same objects, so a
    report of clean data costs one walk and no copy."""
    return cast(T, _walk(value))


# A control character in a string, as msgspec's JSON encoder writes it.
_JSON_ESCAPE: Final = re.compile(r"\\(?:[bfnrt]|u00[01])")
_json = msgspec.json.Encoder()


def _clean(value: object) -> bool:
    """Whether no string in `value` needs escaping, asked of its JSON in C (a scan's facts
    are some 100k objects: walking them in Python took 0.17 s). False when unsure. A dict
    is asked as its keys and values, which may be structs (`ScanResult.facts`)."""
    if type(value) is dict:
        value = (list(value), list(value.values()))
    try:
        text = _json.encode(value).decode()
    except (TypeError, ValueError):  # a key JSON cannot hold (a PackageRef), a lone surrogate
        return False
    if _JSON_ESCAPE.search(text) is not None or "\x7f" in text:
        return False
    # ASCII JSON holds no other control (msgspec escapes them); Unicode needs the class.
    return text.isascii() or _UNSAFE.search(text) is None


def _walk(value: object) -> object:
    kind = type(value)
    if kind is str:
        return safe(cast(str, value))
    if not isinstance(value, msgspec.Struct | tuple | list | dict) or _clean(value):
        return value
    if isinstance(value, msgspec.Struct):
        changes = {}
        for name in value.__struct_fields__:
            old = getattr(value, name)
            new = _walk(old)
            if new is not old:
                changes[name] = new
        return msgspec.structs.replace(value, **changes) if changes else value
    if kind is tuple or kind is list:
        items = cast("tuple[object, ...] | list[object]", value)
        walked = [_walk(item) for item in items]
        if all(a is b for a, b in zip(walked, items, strict=True)):
            return value
        return kind(walked)
    if kind is dict:
        mapping = cast("dict[object, object]", value)
        pairs = [(_walk(k), _walk(v)) for k, v in mapping.items()]
        if all(k is a and v is b for (k, v), (a, b) in zip(pairs, mapping.items(), strict=True)):
            return value
        return dict(pairs)
    return value
