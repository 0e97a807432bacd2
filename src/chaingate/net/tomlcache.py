"""Parsed TOML kept by content, so a lock file that has not changed is not parsed again.

tomli takes ~50 ms for the 0.5 MB `uv.lock` of a 150-package tree, a tenth of a warm scan;
msgpack gives the same document back in ~2 ms. An entry is found by the SHA-256 of the exact
text (and of the parser's version), so it can never be stale: a changed file is a miss.

TOML's dates and times, which msgpack has no exact type for (PEP 751 locks date every file),
are kept as extension values holding their ISO text, and come back as the same `datetime`,
`date` or `time`. Small files are not kept: they parse faster than an entry is read. The
cache holds at most `MAX_ENTRIES` documents; writing one more removes the least recently
used.

Every failure here only costs time: an unreadable, corrupt, changed (each entry is sealed
with its SHA-256) or unwritable entry means the text is parsed, as without a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime, time
from pathlib import Path

import msgspec
import tomli

from chaingate.net.atomic import seal, unseal, write_atomic

FORMAT = f"tomli {tomli.__version__}/2"
#: Texts shorter than this are parsed: reading an entry would cost as much.
MIN_CHARS = 32 * 1024
MAX_ENTRIES = 64

_active: ContextVar[TomlCache | None] = ContextVar("chaingate_toml_cache", default=None)


class TomlCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, text: str) -> Path:
        h = hashlib.sha256(f"{FORMAT}\0{text}".encode()).hexdigest()
        return self.root / f"{h}.msgpack"

    def get(self, text: str) -> dict[str, object] | None:
        path = self._path(text)
        try:
            sealed = unseal(path.read_bytes())
            if sealed is None:  # changed on disk since it was written
                return None
            data = _decoder.decode(sealed)
            os.utime(path)  # recently used: the last to be pruned
        except (OSError, ValueError, RecursionError):  # (msgspec.DecodeError is a ValueError)
            return None
        return data

    def put(self, text: str, data: dict[str, object]) -> None:
        try:
            encoded = msgspec.msgpack.encode(_with_extensions(data))
        except (OverflowError, RecursionError):  # an integer beyond 64 bits; deep nesting
            return
        write_atomic(self._path(text), seal(encoded))
        self._prune()

    def _prune(self) -> None:
        try:
            entries = [(p.stat().st_mtime, p) for p in self.root.glob("*.msgpack")]
        except OSError:
            return
        entries.sort()
        for _, path in entries[: max(0, len(entries) - MAX_ENTRIES)]:
            with contextlib.suppress(OSError):
                path.unlink()


_KINDS: dict[int, type[datetime] | type[date] | type[time]] = {1: datetime, 2: date, 3: time}


def _with_extensions(value: object) -> object:
    """`value` with every date and time an extension value (datetime before date: it is
    one)."""
    if isinstance(value, dict):
        return {k: _with_extensions(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_extensions(v) for v in value]
    for code, kind in _KINDS.items():
        if isinstance(value, kind):
            return msgspec.msgpack.Ext(code, value.isoformat().encode())
    return value


def _from_extension(code: int, data: memoryview) -> object:
    kind = _KINDS.get(code)
    if kind is None:
        raise ValueError(f"unknown extension {code}")
    return kind.fromisoformat(bytes(data).decode())


_decoder = msgspec.msgpack.Decoder(dict[str, object], ext_hook=_from_extension)


def active() -> TomlCache | None:
    """The cache that TOML parsing in this context uses, if any."""
    return _active.get()


@contextlib.contextmanager
def using(cache_dir: Path | None) -> Iterator[None]:
    """Parse TOML with the cache under `cache_dir` (None: without one) in this context."""
    token = _active.set(TomlCache(cache_dir / "toml") if cache_dir is not None else None)
    try:
        yield
    finally:
        _active.reset(token)
