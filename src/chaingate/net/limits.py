"""How much one response may cost: its body is read and decompressed in bounded steps, and
reading stops once it passes a size cap.

httpx would inflate a gzip body chunk by chunk without a bound on what one chunk becomes (a
1 MB gzip of 1 GiB of spaces took 2.1 GB of memory). Here the body is read raw and inflated
1 MiB at a time, so memory stays within the cap plus a step, and a body over the cap ends as
an error with the reason ("too large"), which callers turn into an incomplete entry.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

#: The default cap on a registry document, decompressed (the largest on pypi.org, botocore's
#: project JSON, is about 30 MB).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: A file downloaded (for --deep, inspect) has no total deadline, it may be large; past the
#: per-document deadline it must have come at least this fast (bytes per second).
MIN_DOWNLOAD_RATE = 128 * 1024
_STEP = 1024 * 1024  # bytes inflated at a time


class BodyError(Exception):
    """A body that is too large, or that cannot be decoded; the message is the reason."""


async def read_capped(resp: httpx.Response, limit: int) -> bytes:
    """The whole body of the streamed `resp`, decoded; BodyError past `limit` bytes."""
    return b"".join([piece async for piece in decoded(resp, limit)])


async def decoded(resp: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """The body of the streamed `resp`, decoded (identity, gzip or deflate), in pieces of
    at most 1 MiB past the network's own; raises BodyError once more than `limit` bytes
    have come, or for an encoding chaingate did not ask for."""
    inflater = Inflater(resp.headers, limit)
    async for raw in resp.aiter_raw():
        for piece in inflater.feed(raw):
            yield piece
    for piece in inflater.finish():
        yield piece


class Inflater:
    """A body's raw bytes in, decoded pieces out, as they arrive (`decoded` for httpx, the
    libcurl transport for its own): BodyError for an encoding chaingate did not ask for, a
    declared length over `limit`, or more than `limit` bytes decoded."""

    def __init__(self, headers: Mapping[str, str], limit: int) -> None:
        encoding = headers.get("content-encoding", "").strip().lower()
        if encoding in ("", "identity"):
            self.inflate = None
        elif encoding in ("gzip", "x-gzip", "deflate"):
            self.inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib header
        else:
            raise BodyError(f"unsupported Content-Encoding {encoding!r} (chaingate asks for gzip)")
        self.limit = limit
        self.too_large = BodyError(
            f"too large: more than {_size(limit)}{' once decompressed' if self.inflate else ''}"
        )
        declared = headers.get("content-length", "")
        if self.inflate is None and declared.isdigit() and int(declared) > limit:
            raise self.too_large
        self.total = 0

    def feed(self, raw: bytes) -> list[bytes]:
        return self._counted([raw] if self.inflate is None else _inflate(self.inflate, raw))

    def finish(self) -> list[bytes]:
        return [] if self.inflate is None else self._counted(_inflate(self.inflate, b""))

    def _counted(self, pieces: Iterable[bytes]) -> list[bytes]:
        out = []
        for piece in pieces:
            self.total += len(piece)
            if self.total > self.limit:
                raise self.too_large
            out.append(piece)
        return out


def _inflate(inflate: zlib._Decompress, data: bytes) -> Iterator[bytes]:
    """What `data` inflates to, 1 MiB at a time (zlib keeps the rest of the input until
    asked again)."""
    while True:
        try:
            piece = inflate.decompress(data, _STEP)
        except zlib.error as exc:
            raise BodyError(f"could not decompress the body: {exc}") from None
        if piece:
            yield piece
        data = inflate.unconsumed_tail
        if not data and len(piece) < _STEP:
            return


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MiB" if n >= 1024 * 1024 else f"{n} bytes"
