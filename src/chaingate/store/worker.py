"""The store in a child process, so that a cold scan's database work overlaps its downloads.

Opening the store costs a scan ~0.2 s of one core, most of it importing SQLAlchemy, and the
downloads of a cold scan keep that core busy (TLS and HTTP parsing in Python). A thread does
not help: it competes for the same GIL. A child process runs on another core: `run_scan`
starts it at its first network request, the child imports SQLAlchemy and opens (or
migrates) the database while the documents download, and by the time the facts are in the
store is ready.

`StoreProcess` has the methods of `Store` that a scan uses, and the same errors: anything
the database refuses arrives as `StoreError`. The parent never imports SQLAlchemy.

Protocol: length-prefixed msgpack frames on the child's stdin and stdout, one reply per
request, in order. Writes are not waited for; their replies are read before the next
answer, or by `close()`, which raises the first error. Every reply is small except the
answers the parent is waiting for, so neither side can fill a pipe the other is not reading.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any, TypeVar

import msgspec

from chaingate.core.facts import ProjectFacts
from chaingate.facts.intel.interface import DomainFacts
from chaingate.net.frames import encoder, helper_command, helper_env, read_frame, write_frame
from chaingate.store.interface import Observation, ScanRecord, StoreError

T = TypeVar("T")


class _Open(msgspec.Struct, tag="open"):
    url: str


class _Latest(msgspec.Struct, tag="latest"):
    ecosystem: str
    names: list[str]


class _EmailFirstSeen(msgspec.Struct, tag="email_first_seen"):
    ecosystem: str
    names: list[str]


class _Domains(msgspec.Struct, tag="domains"):
    domains: list[str]
    fresh_after: datetime


class _RecordDomains(msgspec.Struct, tag="record_domains"):
    facts: list[DomainFacts]


class _Record(msgspec.Struct, tag="record"):
    facts: list[ProjectFacts]
    now: datetime


class _RecordScan(msgspec.Struct, tag="record_scan"):
    run: ScanRecord


_Request = _Open | _Latest | _EmailFirstSeen | _Domains | _RecordDomains | _Record | _RecordScan


class _Reply(msgspec.Struct):
    error: str | None = None
    value: msgspec.Raw = msgspec.Raw(b"\xc0")  # msgpack nil


class StoreProcess:
    """A `Store` running in a child process. Start it early; use it like a `Store`; always
    `close()` it (that reports any write that failed)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self._proc = subprocess.Popen(
                helper_command("chaingate.store.worker"),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=helper_env(),
            )
        except OSError as exc:
            raise StoreError(f"cannot start the store process: {exc}") from None
        # One entry per reply still owed, in order: the key under which a prefetched answer
        # is kept when it arrives (see `prefetch`), else None.
        self._owed: list[tuple[str, str] | None] = []
        self._kept: dict[tuple[str, str], msgspec.Raw] = {}
        # (kind, ecosystem) -> the names a prefetched, not yet used answer covers
        self._prefetched: dict[tuple[str, str], frozenset[str]] = {}
        self._closed = False
        self._send(_Open(url))

    def _send(self, request: _Request, keep_as: tuple[str, str] | None = None) -> None:
        assert self._proc.stdin is not None
        try:
            write_frame(self._proc.stdin, encoder.encode(request))
        except (BrokenPipeError, ValueError):
            raise self._died() from None
        self._owed.append(keep_as)

    def _died(self) -> StoreError:
        self._owed.clear()  # nothing more will be answered
        code = self._proc.wait()
        return StoreError(f"the store process for {self.url} ended unexpectedly (exit {code})")

    def _replies(self) -> list[msgspec.Raw]:
        """Read every reply still owed, in order, keeping prefetched answers aside; raise
        the first error among them (after reading them all, so the next request starts in
        step)."""
        assert self._proc.stdout is not None
        values: list[msgspec.Raw] = []
        error: str | None = None
        while self._owed:
            frame = read_frame(self._proc.stdout)
            if frame is None:
                raise self._died()
            keep_as = self._owed.pop(0)
            reply = msgspec.msgpack.decode(frame, type=_Reply)
            if reply.error is not None and error is None:
                error = reply.error
            if keep_as is not None:
                self._kept[keep_as] = reply.value
            values.append(reply.value)
        if error is not None:
            raise StoreError(error)
        return values

    def _call(self, request: _Request, answer: type[T]) -> T:
        self._send(request)
        return msgspec.msgpack.decode(self._replies()[-1], type=answer)

    def prefetch(self, ecosystem: str, names: Iterable[str]) -> None:
        """Ask now for what `latest` and `email_first_seen` will be asked about `names`, so
        the child answers while the parent is still busy (a cold scan's download). Before
        any write of this scan, so the answers are the previous observations, as they would
        be when asked later."""
        asked = sorted(set(names))
        for kind, request in (
            ("latest", _Latest(ecosystem, asked)),
            ("email_first_seen", _EmailFirstSeen(ecosystem, asked)),
        ):
            self._send(request, keep_as=(kind, ecosystem))
            self._prefetched[(kind, ecosystem)] = frozenset(asked)

    def _prefetched_answer(self, kind: str, ecosystem: str) -> msgspec.Raw:
        """The prefetched answer (used once), reading the replies owed until it is in."""
        key = (kind, ecosystem)
        del self._prefetched[key]
        if key not in self._kept:
            self._replies()
        return self._kept.pop(key)

    def latest(self, ecosystem: str, names: Iterable[str]) -> dict[str, Observation]:
        wanted = frozenset(names)
        if wanted <= self._prefetched.get(("latest", ecosystem), frozenset()):
            # Per project: the answer for more names holds the one for these.
            raw = self._prefetched_answer("latest", ecosystem)
            got = msgspec.msgpack.decode(raw, type=dict[str, Observation])
            return {name: obs for name, obs in got.items() if name in wanted}
        return self._call(_Latest(ecosystem, sorted(wanted)), dict[str, Observation])

    def email_first_seen(self, ecosystem: str, names: Iterable[str]) -> dict[str, datetime]:
        wanted = frozenset(names)
        if wanted == self._prefetched.get(("email_first_seen", ecosystem)):
            # Per address over all the names: only an answer for exactly these will do.
            raw = self._prefetched_answer("email_first_seen", ecosystem)
            return msgspec.msgpack.decode(raw, type=dict[str, datetime])
        return self._call(_EmailFirstSeen(ecosystem, sorted(wanted)), dict[str, datetime])

    def domains(self, domains: Iterable[str], fresh_after: datetime) -> dict[str, DomainFacts]:
        return self._call(_Domains(sorted(set(domains)), fresh_after), dict[str, DomainFacts])

    def record_domains(self, facts: Iterable[DomainFacts]) -> None:
        self._send(_RecordDomains(list(facts)))

    def record(self, facts: Sequence[ProjectFacts], now: datetime) -> None:
        self._send(_Record(list(facts), now))

    def record_scan(self, run: ScanRecord) -> None:
        self._send(_RecordScan(run))

    def close(self) -> None:
        """Wait for every write to be answered (raising the first failure), then let the
        child close the database and end."""
        if self._closed:
            return
        self._closed = True
        try:
            self._replies()
        finally:
            assert self._proc.stdin is not None and self._proc.stdout is not None
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc.stdout.close()


def _answer(store: Any, request: _Request) -> object:
    match request:
        case _Latest(ecosystem, names):
            return store.latest(ecosystem, names)
        case _EmailFirstSeen(ecosystem, names):
            return store.email_first_seen(ecosystem, names)
        case _Domains(domains, fresh_after):
            return store.domains(domains, fresh_after)
        case _RecordDomains(facts):
            return store.record_domains(facts)
        case _Record(facts, now):
            return store.record(facts, now)
        case _RecordScan(run):
            return store.record_scan(run)
    raise AssertionError(request)


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """The child's loop: answer each request until the parent closes the pipe."""
    import traceback

    decoder = msgspec.msgpack.Decoder(_Request)
    store = None
    opened: StoreError | None = None
    while (frame := read_frame(inp)) is not None:
        reply: _Reply
        try:
            request = decoder.decode(frame)
            if isinstance(request, _Open):
                from chaingate.store.db import Store

                try:
                    store = Store(request.url)
                except StoreError as exc:
                    opened = exc
                    raise
                value: object = None
            elif store is None:
                raise StoreError(str(opened) if opened else "the store was not opened")
            else:
                value = _answer(store, request)
            reply = _Reply(value=msgspec.Raw(encoder.encode(value)))
        except StoreError as exc:
            reply = _Reply(error=str(exc))
        except Exception as exc:
            traceback.print_exc()
            reply = _Reply(error=f"the store failed: {type(exc).__name__}: {exc}")
        write_frame(out, encoder.encode(reply))
    if store is not None:
        store.close()


def main() -> None:
    status = 0
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    except KeyboardInterrupt:
        status = 130
    except BrokenPipeError:
        status = 1  # the parent went away; nothing is left to answer
    # Like the chaingate command, skip freeing every module at exit: the parent waits for us.
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
