"""chaingate's helper processes (`store/worker.py`, `registry/helper.py`): how they are
started, and the length-prefixed frames they talk in on their pipes (a 4-byte big-endian
length, then that many bytes of msgpack)."""

from __future__ import annotations

import asyncio
import os
import struct
import sys
from pathlib import Path
from typing import IO, Any

import msgspec

_HEADER = struct.Struct(">I")


def helper_command(module: str) -> list[str]:
    """The command that runs `python -m <module>` with this interpreter."""
    return [sys.executable, "-m", module]


def helper_env() -> dict[str, str]:
    """The environment for a helper: this one, with this very chaingate first on the path
    (wherever it was imported from)."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env


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
