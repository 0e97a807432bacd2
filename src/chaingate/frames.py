"""Length-prefixed frames on a pipe, for chaingate's helper processes (`store/worker.py`,
`fetchworker.py`): a 4-byte big-endian length, then that many bytes of msgpack."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import IO, Any

import msgspec

_HEADER = struct.Struct(">I")


def _enc_hook(obj: object) -> object:
    if isinstance(obj, Path):
        return str(obj)
    raise NotImplementedError(f"cannot send {type(obj).__name__}")


def _dec_hook(kind: type, obj: object) -> object:
    if kind is Path and isinstance(obj, str):
        return Path(obj)
    raise NotImplementedError(f"cannot receive {kind}")


encoder = msgspec.msgpack.Encoder(enc_hook=_enc_hook)


def decoder(kind: Any) -> msgspec.msgpack.Decoder[Any]:
    """A decoder for `kind` (a type, or a union of tagged structs)."""
    return msgspec.msgpack.Decoder(kind, dec_hook=_dec_hook)


def frame(payload: bytes) -> bytes:
    return _HEADER.pack(len(payload)) + payload


def write_frame(out: IO[bytes], payload: bytes) -> None:
    out.write(frame(payload))
    out.flush()


def read_frame(inp: IO[bytes]) -> bytes | None:
    """One frame, or None at the end of the stream (a torn frame is the end too)."""
    header = inp.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    payload = inp.read(size)
    return payload if len(payload) == size else None


async def read_frame_async(inp: asyncio.StreamReader) -> bytes | None:
    """`read_frame` for an asyncio stream."""
    try:
        (size,) = _HEADER.unpack(await inp.readexactly(_HEADER.size))
        return await inp.readexactly(size)
    except asyncio.IncompleteReadError:
        return None
