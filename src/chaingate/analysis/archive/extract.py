"""Reading package archives (sdists and wheels) safely, without executing anything.

`open_archive` validates every header before it hands anything out: member names are
normalised to posix paths relative to the archive root, and path traversal, absolute paths,
links leaving the root, device files, FIFOs, duplicate names, too many members, oversized
members and decompression bombs are refused with `HostileArchive(reason)`. Contents are read in
memory with `Archive.read`; `Archive.extract_to` writes regular files and directories (never
links) into a directory the caller gives.

Limits are enforced twice: from the headers when the archive is opened, and again while bytes
are decompressed, with readers that stop at the cap, so a header that lies about a size does
not get past. Ratio checks (`Limits.max_ratio`) only apply once more than `RATIO_FLOOR` bytes
are involved: tiny archives (an empty tar is 10 KiB of zeros) compress far beyond any sane
ratio without being a threat.
"""

from __future__ import annotations

import bisect
import bz2
import gzip
import hashlib
import io
import lzma
import os
import posixpath
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

import msgspec

from chaingate.analysis.interface import HostileArchive, Limits

RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024
_MAX_LINK_TARGET = 4096
# The most one read of a tar stream may ask for: headers, pax records and long names.
_MAX_READ = 8 * 1024 * 1024
# Decompressed tar stream allowance beyond the member data: headers, pax records, padding.
_TAR_OVERHEAD_PER_MEMBER = 8192
_TAR_STREAM_SLACK = 1024 * 1024
_DEFAULT_LIMITS = Limits()

_TAR_SUFFIXES = (
    (".tar.gz", "gz"),
    (".tgz", "gz"),
    (".tar.bz2", "bz2"),
    (".tbz2", "bz2"),
    (".tbz", "bz2"),
    (".tar.xz", "xz"),
    (".txz", "xz"),
    (".tar", ""),
)
_ZIP_SUFFIXES = (".zip", ".whl", ".egg")

# What malformed input makes the standard library raise while parsing or decompressing.
_CORRUPT = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,  # gzip.BadGzipFile, bz2 "Invalid data stream"
    ValueError,  # includes UnicodeDecodeError
    struct.error,
    NotImplementedError,  # zip compression methods zipfile does not know
    RuntimeError,
    OverflowError,
    IndexError,
    KeyError,
)

_DRIVE = re.compile(r"^[A-Za-z]:")


class Member(msgspec.Struct, frozen=True):
    """One entry of an archive. `name` is a normalised posix path relative to the archive
    root; `size` the uncompressed size the header declares. Only regular files (`is_file`)
    can be read; links (`link_target` set) are reported, never followed."""

    name: str
    size: int
    is_file: bool
    is_dir: bool = False
    link_target: str | None = None


@contextmanager
def _corrupt_guard() -> Iterator[None]:
    try:
        yield
    except HostileArchive:
        raise
    except _CORRUPT as exc:
        raise HostileArchive(f"corrupt archive: {type(exc).__name__}: {exc}") from exc


def normalise_name(raw: str) -> str:
    """`raw` as a posix path relative to the archive root ("" for the root itself), or
    HostileArchive if it is absolute or climbs out of the root. Backslashes count as
    separators, so a name that is harmless here cannot escape on Windows."""
    if "\x00" in raw:
        raise HostileArchive(f"NUL byte in member name {raw!r}")
    path = raw.replace("\\", "/")
    if path.startswith("/") or _DRIVE.match(path):
        raise HostileArchive(f"absolute path {raw!r}")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise HostileArchive(f"path traversal in {raw!r}")
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _link_target(name: str, target: str, *, symlink: bool) -> str:
    """The normalised in-root target of a link, or HostileArchive if it leaves the root.
    Symlinks resolve against the link's directory, hardlinks against the archive root."""
    kind = "symlink" if symlink else "hardlink"
    if not target:
        raise HostileArchive(f"{kind} {name!r} has an empty target")
    joined = posixpath.join(posixpath.dirname(name), target) if symlink else target
    try:
        if _DRIVE.match(target.replace("\\", "/")):
            raise HostileArchive("absolute")
        return normalise_name(joined)
    except HostileArchive:
        raise HostileArchive(f"{kind} {name!r} points outside the archive: {target!r}") from None


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...
    def seek(self, offset: int, /) -> int: ...
    def tell(self) -> int: ...


class _BoundedStream(io.BufferedIOBase):
    """A seekable view of a decompressed stream that refuses to go past `cap` bytes, or past
    `max_ratio` times the compressed size: the check runs before the decompressor is asked
    for the bytes, so a bomb is never inflated."""

    def __init__(
        self, inner: _Readable, cap: int, compressed_size: int | None, max_ratio: float
    ) -> None:
        super().__init__()
        self._inner = inner
        self._cap = cap
        self._compressed = compressed_size
        self._max_ratio = max_ratio
        self._pos = 0

    def _admit(self, end: int) -> None:
        if end > self._cap:
            raise HostileArchive(f"decompressed archive stream exceeds {self._cap} bytes")
        if (
            self._compressed is not None
            and end > RATIO_FLOOR
            and end > self._max_ratio * max(self._compressed, 1)
        ):
            raise HostileArchive(
                f"decompression bomb: over {end} bytes from {self._compressed} compressed "
                f"(ratio above {self._max_ratio:g})"
            )

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(_CHUNK):
                chunks.append(chunk)
            return b"".join(chunks)
        if size > _MAX_READ:
            # Member data is read in chunks; only tarfile reads a pax or GNU long-name
            # header whole, and real ones are a few hundred bytes (700 MB took 738 MB).
            raise HostileArchive(f"tar header record of {size} bytes at offset {self._pos}")
        self._admit(self._pos + size)
        data = self._inner.read(size)
        self._pos += len(data)
        return data

    def read1(self, size: int = -1, /) -> bytes:
        return self.read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence != io.SEEK_SET:
            raise io.UnsupportedOperation("only absolute and relative seeks")
        if offset < 0:
            raise ValueError(f"negative seek position {offset}")
        self._admit(offset)
        self._inner.seek(offset)
        self._pos = self._inner.tell()
        return self._pos


class Archive(ABC):
    """An opened, validated archive; use as a context manager. Obtained from `open_archive`."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.limits = limits
        self._members: list[Member] = []
        self._by_name: dict[str, Member] = {}
        self._entries: dict[str, Any] = {}  # name -> the format's own entry (TarInfo, ZipInfo)
        # Later copies of a regular file with the size of the first: kept only when their
        # bytes are the same (some real sdists carry LICENSE twice).
        self._duplicates: list[tuple[Member, Any]] = []
        self._total = 0
        self._compressed = max(path.stat().st_size, 1)

    # -- the public surface -------------------------------------------------------------

    def members(self) -> list[Member]:
        """Every entry but the root directory, in archive order."""
        return list(self._members)

    def read(self, member: Member | str) -> bytes:
        """The contents of a regular file, read in memory and never more than its declared
        size (nor `max_file_bytes`)."""
        chunks: list[bytes] = []
        self._copy(self._file(member), chunks.append)
        return b"".join(chunks)

    def read_head(self, member: Member | str, size: int) -> bytes:
        """The first `size` bytes of a regular file (enough for a magic number), without
        inflating the rest of it."""
        found = self._file(member)
        with _corrupt_guard():
            stream = self._open_entry(self._entries[found.name])
            try:
                return stream.read(min(size, found.size))
            finally:
                stream.close()

    def extract_to(self, tmpdir: Path) -> Path:
        """Write the regular files and directories into `tmpdir` (created if missing) and
        return it. Links, devices and anything else are never created. A member that turns
        out corrupt while being written leaves a partial tree inside `tmpdir` only."""
        root = Path(tmpdir)
        root.mkdir(parents=True, exist_ok=True)
        real_root = os.path.realpath(root)
        for member in self._members:
            if not (member.is_file or member.is_dir):
                continue
            self._second_check(member, real_root)
            target = os.path.join(real_root, *member.name.split("/"))
            resolved = os.path.realpath(target)
            if os.path.commonpath([real_root, resolved]) != real_root:
                raise HostileArchive(f"{member.name!r} would be written outside {root}")
            try:
                if member.is_dir:
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "xb") as out:
                    self._copy(member, out.write)
            except OSError as exc:
                raise HostileArchive(f"cannot extract {member.name!r}: {exc}") from exc
        return root

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- shared validation ----------------------------------------------------------------

    def _count(self, n: int) -> None:
        if n > self.limits.max_files:
            raise HostileArchive(f"too many files: more than {self.limits.max_files} members")

    def _add(self, member: Member, entry: Any) -> bool:
        """Validate sizes and uniqueness; False for entries not worth keeping (the root, a
        directory or a same-size file seen before, checked by `_check_duplicates`)."""
        limits = self.limits
        if member.size < 0:
            raise HostileArchive(f"member {member.name!r} has a negative size")
        if member.size > limits.max_file_bytes:
            raise HostileArchive(
                f"member {member.name!r} is {member.size} bytes, over the "
                f"{limits.max_file_bytes}-byte limit per file"
            )
        self._total += member.size
        if self._total > limits.max_total_bytes:
            raise HostileArchive(
                f"total uncompressed size exceeds the {limits.max_total_bytes}-byte limit"
            )
        if self._total > RATIO_FLOOR and self._total > limits.max_ratio * self._compressed:
            raise HostileArchive(
                f"decompression bomb: {self._total} bytes from {self._compressed} compressed "
                f"(ratio above {limits.max_ratio:g})"
            )
        if not member.name:
            if member.is_dir:
                return False
            raise HostileArchive("member with an empty name")
        previous = self._by_name.get(member.name)
        if previous is not None:
            if previous.is_dir and member.is_dir:
                return False
            if previous.is_file and member.is_file and previous.size == member.size:
                self._duplicates.append((member, entry))
                return False
            raise HostileArchive(f"duplicate member {member.name!r}")
        self._by_name[member.name] = member
        self._members.append(member)
        self._entries[member.name] = entry
        return True

    def _check_duplicates(self) -> None:
        """A name given twice must mean the same bytes: tools disagree on which copy wins,
        so differing copies could show a reviewer one file and install another. Every copy
        is hashed once, in archive order: comparing each with the first by seeking back to
        it inflated a compressed tar again from its start, per copy."""
        if not self._duplicates:
            return
        names = {member.name for member, _ in self._duplicates}
        copies = [(self._by_name[n], self._entries[n]) for n in names] + self._duplicates
        digests: dict[int, bytes] = {}
        for member, entry in sorted(copies, key=lambda c: self._offset(c[1])):
            digest = hashlib.sha256()
            self._copy(member, digest.update, entry)
            digests[id(entry)] = digest.digest()
        for member, entry in self._duplicates:
            if digests[id(entry)] != digests[id(self._entries[member.name])]:
                raise HostileArchive(f"duplicate member {member.name!r} with different contents")

    def _check_tree(self) -> None:
        """No member may live under a file or a link: writing through a link is the classic
        escape, and a path that is both file and directory cannot be unpacked faithfully.
        Each file or link is looked up once among the sorted names (joining every parent path
        of every name was quadratic in a name's depth: 20 names 30,000 levels deep took 70 s)."""
        names = sorted(self._by_name)
        for parent in self._members:
            if parent.is_dir:
                continue
            below = parent.name + "/"
            at = bisect.bisect_left(names, below)
            if at < len(names) and names[at].startswith(below):
                raise HostileArchive(
                    f"member {names[at]!r} lies under non-directory {parent.name!r}"
                )

    def _file(self, member: Member | str) -> Member:
        name = member if isinstance(member, str) else member.name
        found = self._by_name.get(name)
        if found is None:
            raise KeyError(f"no member {name!r} in {self.path.name}")
        if not found.is_file:
            raise ValueError(f"{name!r} is not a regular file")
        return found

    def _copy(self, member: Member, sink: Callable[[bytes], object], entry: Any = None) -> None:
        limit = min(member.size, self.limits.max_file_bytes)
        got = 0
        with _corrupt_guard():
            stream = self._open_entry(self._entries[member.name] if entry is None else entry)
            try:
                while chunk := stream.read(_CHUNK):
                    got += len(chunk)
                    if got > limit:
                        raise HostileArchive(
                            f"member {member.name!r} inflates beyond its declared "
                            f"{member.size} bytes"
                        )
                    sink(chunk)
            finally:
                stream.close()
        if got < member.size:
            raise HostileArchive(
                f"corrupt archive: member {member.name!r} is truncated ({got} of "
                f"{member.size} bytes)"
            )

    # -- per format -----------------------------------------------------------------------

    @abstractmethod
    def _open_entry(self, entry: Any) -> IO[bytes]: ...

    @abstractmethod
    def _offset(self, entry: Any) -> int:
        """Where an entry sits in the archive, to read entries in order."""

    @abstractmethod
    def _second_check(self, member: Member, real_root: str) -> None:
        """A format's own safety net before extraction (tarfile's data filter)."""

    @abstractmethod
    def _close(self) -> None: ...


class _TarArchive(Archive):
    def __init__(self, path: Path, limits: Limits, compression: str) -> None:
        super().__init__(path, limits)
        self._raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._tar: tarfile.TarFile | None = None
        try:
            inner: _Readable
            with _corrupt_guard():
                if compression == "gz":
                    inner = gzip.GzipFile(fileobj=self._raw, mode="rb")
                elif compression == "bz2":
                    inner = bz2.BZ2File(self._raw)
                elif compression == "xz":
                    inner = lzma.LZMAFile(self._raw)  # noqa: SIM115 - closed with _raw
                else:
                    inner = self._raw
            cap = (
                limits.max_total_bytes
                + (limits.max_files + 1) * _TAR_OVERHEAD_PER_MEMBER
                + _TAR_STREAM_SLACK
            )
            self._stream = _BoundedStream(
                inner, cap, self._compressed if compression else None, limits.max_ratio
            )
            with _corrupt_guard():
                self._tar = tarfile.open(fileobj=self._stream, mode="r:")  # noqa: SIM115
            self._scan(self._tar)
        except BaseException:
            self._close()
            raise

    def _scan(self, tar: tarfile.TarFile) -> None:
        count = 0
        while True:
            with _corrupt_guard():
                info = tar.next()
            if info is None:
                break
            count += 1
            self._count(count)
            name = normalise_name(info.name)
            if info.issym():
                target = _link_target(name, info.linkname, symlink=True)
                member = Member(name, 0, False, link_target=target)
            elif info.islnk():
                target = _link_target(name, info.linkname, symlink=False)
                member = Member(name, 0, False, link_target=target)
            elif info.ischr() or info.isblk():
                raise HostileArchive(f"device file {info.name!r}")
            elif info.isfifo():
                raise HostileArchive(f"FIFO {info.name!r}")
            elif info.isdir():
                member = Member(name, 0, False, is_dir=True)
            elif info.isreg():
                member = Member(name, info.size, True)
            else:
                raise HostileArchive(f"unsupported tar member type {info.type!r} ({info.name!r})")
            self._add(member, info)
        self._check_tree()
        self._check_duplicates()

    def _open_entry(self, entry: Any) -> IO[bytes]:
        assert self._tar is not None
        stream = self._tar.extractfile(entry)
        if stream is None:  # pragma: no cover - only regular files get here
            raise HostileArchive(f"{entry.name!r} is not a regular file")
        return stream

    def _offset(self, entry: Any) -> int:
        return int(entry.offset_data)

    def _second_check(self, member: Member, real_root: str) -> None:
        data_filter: Any = getattr(tarfile, "data_filter", None)
        if data_filter is None:  # pragma: no cover - Python < 3.11.4
            return
        info = self._entries[member.name].replace(name=member.name, deep=False)
        try:
            data_filter(info, real_root)
        except tarfile.FilterError as exc:
            raise HostileArchive(f"refused by tarfile's data filter: {exc}") from exc

    def _close(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None
        self._raw.close()


_EOCD = struct.Struct("<4sHHHHIIH")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")
_CENTRAL_ENTRY = struct.Struct("<4s24xHHH12x")  # signature, then the three lengths


def _central_directory_entries(raw: IO[bytes], stop: int) -> int:
    """How many members a zip's central directory holds, counted from its records, never
    more than `stop`: zipfile builds an object per member before anyone can count them
    (582 MB for a million), so a zip over the member limit is refused first. The directory is
    found where zipfile looks for it; an archive whose end records cannot be read counts 0
    here and is left to zipfile to refuse."""
    size = raw.seek(0, io.SEEK_END)
    tail_at = max(size - (_EOCD.size + 0xFFFF), 0)
    raw.seek(tail_at)
    tail = raw.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        return 0
    fields = _EOCD.unpack_from(tail, at)
    declared, cd_size = int(fields[4]), int(fields[5])
    cd_end = tail_at + at
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        record_at = _ZIP64_LOCATOR.unpack_from(tail, locator_at)[2]
        raw.seek(record_at)
        record = raw.read(_ZIP64_EOCD.size)
        if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
            fields = _ZIP64_EOCD.unpack(record)
            declared, cd_size = int(fields[7]), int(fields[8])
            cd_end -= _ZIP64_EOCD.size + _ZIP64_LOCATOR.size
    if declared >= stop:
        return declared
    # The records themselves: zipfile reads as many as fit in the directory's size, whatever
    # the end record declares.
    count, end = 0, cd_end
    base, buffer, at = max(cd_end - cd_size, 0), b"", 0  # buffer holds the bytes from base
    while count < stop:
        if at + _CENTRAL_ENTRY.size > len(buffer):
            base += at
            if base + _CENTRAL_ENTRY.size > end:
                break
            raw.seek(base)
            buffer, at = raw.read(min(_CHUNK * 16, end - base)), 0
            if len(buffer) < _CENTRAL_ENTRY.size:
                break
        signature, name, extra, comment = _CENTRAL_ENTRY.unpack_from(buffer, at)
        if signature != b"PK\x01\x02":
            break
        at += _CENTRAL_ENTRY.size + name + extra + comment
        count += 1
    return count


class _ZipArchive(Archive):
    def __init__(self, path: Path, limits: Limits) -> None:
        super().__init__(path, limits)
        self._raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._zip: zipfile.ZipFile | None = None
        try:
            with _corrupt_guard():
                self._count(_central_directory_entries(self._raw, limits.max_files + 1))
                self._zip = zipfile.ZipFile(self._raw)
                infos = self._zip.infolist()
            self._count(len(infos))
            self._scan(infos)
        except BaseException:
            self._close()
            raise

    def _scan(self, infos: list[zipfile.ZipInfo]) -> None:
        for info in infos:
            name = normalise_name(info.filename)
            if info.flag_bits & 0x1:
                raise HostileArchive(f"encrypted member {info.filename!r}")
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind == stat.S_IFLNK:
                raw_target = self._read_link(info)
                target = _link_target(name, raw_target, symlink=True)
                member = Member(name, info.file_size, False, link_target=target)
            elif kind in (stat.S_IFCHR, stat.S_IFBLK):
                raise HostileArchive(f"device file {info.filename!r}")
            elif kind == stat.S_IFIFO:
                raise HostileArchive(f"FIFO {info.filename!r}")
            elif kind == stat.S_IFSOCK:
                raise HostileArchive(f"socket {info.filename!r}")
            elif info.filename.replace("\\", "/").endswith("/") or kind == stat.S_IFDIR:
                member = Member(name, info.file_size, False, is_dir=True)
            else:
                member = Member(name, info.file_size, True)
            self._add(member, info)
        self._check_tree()
        self._check_duplicates()

    def _read_link(self, info: zipfile.ZipInfo) -> str:
        if info.file_size > _MAX_LINK_TARGET:
            raise HostileArchive(f"symlink {info.filename!r} has an oversized target")
        assert self._zip is not None
        with _corrupt_guard(), self._zip.open(info) as stream:
            data = stream.read(_MAX_LINK_TARGET + 1)
        if len(data) > _MAX_LINK_TARGET:  # pragma: no cover - zipfile stops at file_size
            raise HostileArchive(f"symlink {info.filename!r} has an oversized target")
        target = data.decode("utf-8", errors="surrogateescape")
        if "\x00" in target:
            raise HostileArchive(f"NUL byte in symlink target of {info.filename!r}")
        return target

    def _open_entry(self, entry: Any) -> IO[bytes]:
        assert self._zip is not None
        return self._zip.open(entry)

    def _offset(self, entry: Any) -> int:
        return int(entry.header_offset)

    def _second_check(self, member: Member, real_root: str) -> None:
        """zipfile has no extraction filter: the realpath check in extract_to is the net."""

    def _close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        self._raw.close()


def open_archive(path: Path, limits: Limits = _DEFAULT_LIMITS) -> Archive:
    """Open and validate a package archive: .tar.gz/.tgz/.tar.bz2/.tar.xz/.tar (sdists) or
    .zip/.whl. Raises HostileArchive if it is hostile, corrupt or of an unknown type; an
    OSError only if `path` itself cannot be opened."""
    path = Path(path)
    lower = path.name.lower()
    if lower.endswith(_ZIP_SUFFIXES):
        return _ZipArchive(path, limits)
    for suffix, compression in _TAR_SUFFIXES:
        if lower.endswith(suffix):
            return _TarArchive(path, limits, compression)
    raise HostileArchive(f"unsupported archive type: {path.name}")
