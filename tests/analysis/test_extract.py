"""open_archive: sdists and wheels read safely; hostile and corrupt archives refused."""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.analysis.archive.extract import (
    RATIO_FLOOR,
    Archive,
    Member,
    normalise_name,
    open_archive,
)
from chaingate.analysis.interface import HostileArchive, Limits

SETUP_PY = b"from setuptools import setup\nsetup(name='pkg')\n"
INIT_PY = b"VERSION = '1.0'\n"

# -- builders -------------------------------------------------------------------------------


def tfile(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    return info, data


def tspecial(name: str, type_: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    info.type = type_
    info.linkname = linkname
    info.mode = 0o755 if type_ == tarfile.DIRTYPE else 0o644
    return info, None


def make_tar(
    path: Path,
    entries: Iterable[tuple[tarfile.TarInfo, bytes | None]],
    mode: str = "w:gz",
) -> Path:
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def zfile(
    name: str, data: bytes, *, mode: int | None = None, compress: int = zipfile.ZIP_DEFLATED
) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.compress_type = compress
    if mode is not None:
        info.create_system = 3
        info.external_attr = mode << 16
    return info, data


def make_zip(path: Path, entries: Iterable[tuple[zipfile.ZipInfo, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def sdist_entries() -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [
        tspecial("./", tarfile.DIRTYPE),
        tspecial("pkg-1.0", tarfile.DIRTYPE),
        tfile("pkg-1.0/PKG-INFO", b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\n"),
        tfile("pkg-1.0/setup.py", SETUP_PY),
        tspecial("pkg-1.0/pkg", tarfile.DIRTYPE),
        tfile("./pkg-1.0/pkg/__init__.py", INIT_PY),
        tspecial("pkg-1.0/pkg/alias.py", tarfile.SYMTYPE, "__init__.py"),
        tspecial("pkg-1.0/copy.py", tarfile.LNKTYPE, "pkg-1.0/setup.py"),
    ]


def wheel_entries() -> list[tuple[zipfile.ZipInfo, bytes]]:
    return [
        zfile("pkg/__init__.py", INIT_PY),
        zfile("pkg/data/", b""),
        zfile("pkg/data/table.csv", b"a,b\n1,2\n", compress=zipfile.ZIP_STORED),
        zfile("pkg-1.0.dist-info/METADATA", b"Metadata-Version: 2.1\nName: pkg\n"),
        zfile("pkg-1.0.dist-info/RECORD", b""),
    ]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def refused(path: Path, limits: Limits | None = None) -> str:
    """The reason open_archive (or reading everything) refuses `path`."""
    with pytest.raises(HostileArchive) as caught, open_archive(path, limits or Limits()) as archive:
        for member in archive.members():
            if member.is_file:
                archive.read(member)
    return str(caught.value)


# -- normal archives ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "mode"),
    [
        (".tar.gz", "w:gz"),
        (".tgz", "w:gz"),
        (".tar.bz2", "w:bz2"),
        (".tar.xz", "w:xz"),
        (".tar", "w"),
    ],
)
def test_sdist_reads_in_memory(tmp_path: Path, suffix: str, mode: str) -> None:
    path = make_tar(tmp_path / f"pkg-1.0{suffix}", sdist_entries(), mode)
    before = tree(tmp_path)
    with open_archive(path) as archive:
        members = {m.name: m for m in archive.members()}
        assert list(members) == [
            "pkg-1.0",
            "pkg-1.0/PKG-INFO",
            "pkg-1.0/setup.py",
            "pkg-1.0/pkg",
            "pkg-1.0/pkg/__init__.py",
            "pkg-1.0/pkg/alias.py",
            "pkg-1.0/copy.py",
        ]
        assert members["pkg-1.0"].is_dir and not members["pkg-1.0"].is_file
        assert members["pkg-1.0/setup.py"] == Member("pkg-1.0/setup.py", len(SETUP_PY), True)
        assert archive.read(members["pkg-1.0/setup.py"]) == SETUP_PY
        # out of order, and by name: seeking back through the compressed stream works
        assert archive.read("pkg-1.0/pkg/__init__.py") == INIT_PY
        assert archive.read("pkg-1.0/setup.py") == SETUP_PY
        alias = members["pkg-1.0/pkg/alias.py"]
        assert not alias.is_file and alias.link_target == "pkg-1.0/pkg/__init__.py"
        assert members["pkg-1.0/copy.py"].link_target == "pkg-1.0/setup.py"
        with pytest.raises(ValueError, match="not a regular file"):
            archive.read(alias)
        with pytest.raises(KeyError):
            archive.read("pkg-1.0/missing.py")
    assert tree(tmp_path) == before  # reading writes nothing


def test_wheel_reads_in_memory(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "pkg-1.0-py3-none-any.whl", wheel_entries())
    with open_archive(path) as archive:
        members = {m.name: m for m in archive.members()}
        assert members["pkg/data"].is_dir
        assert archive.read(members["pkg/__init__.py"]) == INIT_PY
        assert archive.read("pkg/data/table.csv") == b"a,b\n1,2\n"
        assert archive.read("pkg-1.0.dist-info/RECORD") == b""


def test_extract_to_writes_files_and_dirs_only_inside_the_given_dir(tmp_path: Path) -> None:
    sdist = make_tar(tmp_path / "pkg-1.0.tar.gz", sdist_entries())
    wheel = make_zip(tmp_path / "pkg-1.0-py3-none-any.whl", wheel_entries())
    dest = tmp_path / "work" / "out"
    with open_archive(sdist) as archive:
        assert archive.extract_to(dest / "s") == dest / "s"
    with open_archive(wheel) as archive:
        archive.extract_to(dest / "w")
    assert (dest / "s/pkg-1.0/setup.py").read_bytes() == SETUP_PY
    assert (dest / "s/pkg-1.0/pkg/__init__.py").read_bytes() == INIT_PY
    assert not os.path.lexists(dest / "s/pkg-1.0/pkg/alias.py")  # links are never created
    assert not os.path.lexists(dest / "s/pkg-1.0/copy.py")
    assert (dest / "w/pkg/data/table.csv").read_bytes() == b"a,b\n1,2\n"
    assert (dest / "w/pkg/data").is_dir()
    outside = {p for p in tree(tmp_path) if not p.startswith("work/out")}
    assert outside == {"pkg-1.0.tar.gz", "pkg-1.0-py3-none-any.whl", "work"}


def test_extract_refuses_to_write_through_a_symlink_already_in_the_destination(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "pkg").symlink_to(outside)
    path = make_zip(tmp_path / "x.whl", [zfile("pkg/evil.py", b"boom")])
    with open_archive(path) as archive, pytest.raises(HostileArchive, match="outside"):
        archive.extract_to(dest)
    assert list(outside.iterdir()) == []


def test_normalise_name() -> None:
    assert normalise_name("./a//b/./c") == "a/b/c"
    assert normalise_name("a/../b") == "b"
    assert normalise_name("a\\b") == "a/b"
    assert normalise_name("./") == ""
    for bad in ("../x", "a/../../x", "/etc/passwd", "C:\\x", "c:x", "\\\\server\\x", "a\x00b"):
        with pytest.raises(HostileArchive):
            normalise_name(bad)


# -- hostile names and member types ----------------------------------------------------------

HOSTILE_TAR = [
    ("traversal", [tfile("../evil", b"x")], "path traversal"),
    ("deep-traversal", [tfile("pkg/../../evil", b"x")], "path traversal"),
    ("backslash-traversal", [tfile("..\\evil", b"x")], "path traversal"),
    ("absolute", [tfile("/tmp/evil", b"x")], "absolute path"),
    ("windows-absolute", [tfile("C:\\evil", b"x")], "absolute path"),
    ("unc", [tfile("\\\\server\\share\\evil", b"x")], "absolute path"),
    ("symlink-escape", [tspecial("pkg/link", tarfile.SYMTYPE, "../../etc")], "symlink"),
    ("symlink-absolute", [tspecial("link", tarfile.SYMTYPE, "/etc/passwd")], "symlink"),
    ("hardlink-escape", [tspecial("link", tarfile.LNKTYPE, "../etc/passwd")], "hardlink"),
    ("hardlink-absolute", [tspecial("link", tarfile.LNKTYPE, "/etc/passwd")], "hardlink"),
    ("char-device", [tspecial("dev", tarfile.CHRTYPE)], "device file"),
    ("block-device", [tspecial("dev", tarfile.BLKTYPE)], "device file"),
    ("fifo", [tspecial("pipe", tarfile.FIFOTYPE)], "FIFO"),
    ("unknown-type", [tspecial("odd", b"V")], "unsupported tar member type"),
    ("duplicate", [tfile("a.py", b"1"), tfile("./a.py", b"2")], "with different contents"),
    ("duplicate-size", [tfile("a.py", b"1"), tfile("a.py", b"22")], "duplicate member"),
    ("duplicate-kind", [tfile("a", b"1"), tspecial("a", tarfile.DIRTYPE)], "duplicate member"),
    (
        "write-through-link",
        [tspecial("pkg", tarfile.SYMTYPE, "."), tfile("pkg/evil.py", b"x")],
        "under non-directory",
    ),
]


@pytest.mark.parametrize(
    ("entries", "reason"), [(e, r) for _, e, r in HOSTILE_TAR], ids=[i for i, _, _ in HOSTILE_TAR]
)
def test_hostile_tar_is_refused_and_nothing_is_written(
    tmp_path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]], reason: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = make_tar(work / "evil-1.0.tar.gz", [tspecial("pkg-ok", tarfile.DIRTYPE), *entries])
    before = tree(tmp_path)
    assert reason in refused(path)
    with pytest.raises(HostileArchive, match=reason):
        open_archive(path).extract_to(work / "dest")
    assert tree(tmp_path) == before


HOSTILE_ZIP = [
    ("traversal", [zfile("../evil.py", b"x")], "path traversal"),
    ("backslash-traversal", [zfile("pkg\\..\\..\\evil.py", b"x")], "path traversal"),
    ("absolute", [zfile("/tmp/evil.py", b"x")], "absolute path"),
    ("windows-absolute", [zfile("C:\\evil.py", b"x")], "absolute path"),
    ("unc", [zfile("\\\\server\\share\\evil.py", b"x")], "absolute path"),
    ("symlink-escape", [zfile("pkg/link", b"../../etc", mode=stat.S_IFLNK | 0o777)], "symlink"),
    ("symlink-absolute", [zfile("link", b"/etc/passwd", mode=stat.S_IFLNK | 0o777)], "symlink"),
    ("char-device", [zfile("dev", b"", mode=stat.S_IFCHR | 0o644)], "device file"),
    ("block-device", [zfile("dev", b"", mode=stat.S_IFBLK | 0o644)], "device file"),
    ("fifo", [zfile("pipe", b"", mode=stat.S_IFIFO | 0o644)], "FIFO"),
    ("socket", [zfile("sock", b"", mode=stat.S_IFSOCK | 0o644)], "socket"),
    ("duplicate", [zfile("a.py", b"1"), zfile("./a.py", b"2")], "with different contents"),
    ("duplicate-size", [zfile("a.py", b"1"), zfile("a.py", b"22")], "duplicate member"),
    (
        "write-through-link",
        [zfile("pkg", b".", mode=stat.S_IFLNK | 0o777), zfile("pkg/evil.py", b"x")],
        "under non-directory",
    ),
]


@pytest.mark.parametrize(
    ("entries", "reason"), [(e, r) for _, e, r in HOSTILE_ZIP], ids=[i for i, _, _ in HOSTILE_ZIP]
)
@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
def test_hostile_zip_is_refused_and_nothing_is_written(
    tmp_path: Path, entries: list[tuple[zipfile.ZipInfo, bytes]], reason: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = make_zip(work / "evil-1.0-py3-none-any.whl", entries)
    before = tree(tmp_path)
    assert reason in refused(path)
    with pytest.raises(HostileArchive, match=reason):
        open_archive(path).extract_to(work / "dest")
    assert tree(tmp_path) == before


def test_zip_symlink_inside_the_root_is_reported_not_followed(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "x.whl",
        [zfile("pkg/real.py", INIT_PY), zfile("pkg/alias.py", b"real.py", mode=stat.S_IFLNK)],
    )
    with open_archive(path) as archive:
        alias = next(m for m in archive.members() if m.name == "pkg/alias.py")
        assert not alias.is_file and alias.link_target == "pkg/real.py"
        with pytest.raises(ValueError):
            archive.read(alias)
        archive.extract_to(tmp_path / "out")
    assert tree(tmp_path / "out") == {"pkg", "pkg/real.py"}


def test_zip_member_with_an_empty_name_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "x.zip", [zfile("", b"x")])
    assert "empty name" in refused(path)


def test_encrypted_zip_member_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "x.zip", [zfile("a.py", b"x")])
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature) + flag_at
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    assert "encrypted" in refused(path)


def test_unsupported_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pkg.exe"
    path.write_bytes(b"MZ")
    assert "unsupported archive type" in refused(path)


# -- limits ---------------------------------------------------------------------------------


def test_too_many_files(tmp_path: Path) -> None:
    limits = Limits(max_files=3)
    tar = make_tar(tmp_path / "many.tar.gz", [tfile(f"f{i}", b"") for i in range(4)])
    zip_ = make_zip(tmp_path / "many.zip", [zfile(f"f{i}", b"") for i in range(4)])
    assert "too many files" in refused(tar, limits)
    assert "too many files" in refused(zip_, limits)
    ok = make_tar(tmp_path / "three.tar.gz", [tfile(f"f{i}", b"") for i in range(3)])
    with open_archive(ok, limits) as archive:
        assert len(archive.members()) == 3


def test_member_over_max_file_bytes(tmp_path: Path) -> None:
    limits = Limits(max_file_bytes=1000)
    tar = make_tar(tmp_path / "big.tar.gz", [tfile("big", os.urandom(1001))])
    zip_ = make_zip(tmp_path / "big.zip", [zfile("big", os.urandom(1001))])
    assert "over the 1000-byte limit" in refused(tar, limits)
    assert "over the 1000-byte limit" in refused(zip_, limits)


def test_huge_member_header_is_refused_before_any_data_is_read(tmp_path: Path) -> None:
    """A header claiming 10 GB, followed by almost nothing."""
    info = tarfile.TarInfo("huge")
    info.size = 10 * 1024**3
    path = tmp_path / "huge.tar"
    path.write_bytes(info.tobuf(tarfile.PAX_FORMAT) + b"\0" * 512)
    assert "over the" in refused(path)


def test_total_over_max_total_bytes(tmp_path: Path) -> None:
    limits = Limits(max_total_bytes=3000, max_file_bytes=2000)
    entries = [tfile(f"f{i}", os.urandom(1000)) for i in range(4)]
    assert "total uncompressed size" in refused(make_tar(tmp_path / "t.tar", entries, "w"), limits)


@pytest.mark.parametrize("kind", ["tar.gz", "tar.bz2", "tar.xz", "zip"])
def test_decompression_bomb_by_ratio(tmp_path: Path, kind: str) -> None:
    zeros = bytes(2 * RATIO_FLOOR)
    if kind == "zip":
        path = make_zip(tmp_path / "bomb.zip", [zfile("zeros", zeros)])
    else:
        path = make_tar(tmp_path / f"bomb.{kind}", [tfile("zeros", zeros)], "w:" + kind[4:])
    assert "decompression bomb" in refused(path)
    # the same bytes pass when the ratio is allowed
    with open_archive(path, Limits(max_ratio=1e9)) as archive:
        assert archive.read("zeros") == zeros


def test_small_compressible_archives_are_not_bombs(tmp_path: Path) -> None:
    """An empty tar is 10 KiB of zeros: far above any ratio, far below any threat."""
    path = make_tar(tmp_path / "empty.tar.gz", [tfile("a", bytes(100_000))])
    with open_archive(path, Limits(max_ratio=2)) as archive:
        assert archive.read("a") == bytes(100_000)


def test_bomb_hidden_in_tar_metadata_is_stopped_while_decompressing(tmp_path: Path) -> None:
    """Member sizes say nothing is there; a 4 MiB pax record says otherwise. The bounded
    stream refuses before inflating it."""
    info, data = tfile("small.py", b"x = 1\n")
    info.pax_headers = {"comment": "0" * (4 * RATIO_FLOOR)}
    path = make_tar(tmp_path / "meta.tar.gz", [(info, data)])
    assert "decompression bomb" in refused(path)
    limits = Limits(max_total_bytes=1000, max_files=10, max_ratio=1e9)
    assert "decompressed archive stream exceeds" in refused(path, limits)


def _patch_zip_sizes(data: bytes, size: int, crc: int | None = None) -> bytes:
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    central = out.index(b"PK\x01\x02")
    struct.pack_into("<I", out, local + 22, size)
    struct.pack_into("<I", out, central + 24, size)
    if crc is not None:
        struct.pack_into("<I", out, local + 14, crc)
        struct.pack_into("<I", out, central + 16, crc)
    return bytes(out)


def test_lying_zip_header_cannot_inflate_past_its_declared_size(tmp_path: Path) -> None:
    payload = b"A" * 100 + bytes(2 * RATIO_FLOOR)
    honest = make_zip(tmp_path / "honest.zip", [zfile("m", payload)]).read_bytes()
    # Header says 100 bytes: open succeeds (nothing looks big), reading stops at 100 and the
    # CRC of the whole member no longer matches -> corrupt.
    lying = tmp_path / "lying.zip"
    lying.write_bytes(_patch_zip_sizes(honest, 100))
    with open_archive(lying) as archive:
        assert archive.members()[0].size == 100
        with pytest.raises(HostileArchive, match="corrupt archive"):
            archive.read("m")
    # With the CRC forged to match, the reader still hands out exactly the declared bytes.
    forged = tmp_path / "forged.zip"
    forged.write_bytes(_patch_zip_sizes(honest, 100, zlib.crc32(payload[:100])))
    with open_archive(forged) as archive:
        assert archive.read("m") == b"A" * 100
        archive.extract_to(tmp_path / "out")
    assert (tmp_path / "out/m").read_bytes() == b"A" * 100


def test_zip_header_claiming_more_than_the_data_is_corrupt(tmp_path: Path) -> None:
    honest = make_zip(tmp_path / "honest.zip", [zfile("m", b"short")]).read_bytes()
    path = tmp_path / "long.zip"
    path.write_bytes(_patch_zip_sizes(honest, 5000))
    assert "corrupt archive" in refused(path)


# -- corrupt archives -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tar.gz", ".tar.bz2", ".tar.xz", ".tar", ".whl"])
def test_truncated_archive_is_corrupt(tmp_path: Path, suffix: str) -> None:
    entries_tar = [tfile("pkg/data.bin", os.urandom(50_000)), tfile("pkg/b.py", INIT_PY)]
    if suffix == ".whl":
        good = make_zip(
            tmp_path / f"good{suffix}", [zfile(i.name, d or b"") for i, d in entries_tar]
        )
    else:
        mode = "w:" + suffix[5:] if suffix != ".tar" else "w"
        good = make_tar(tmp_path / f"good{suffix}", entries_tar, mode)
    data = good.read_bytes()
    for cut in (len(data) // 2, 600, 10):
        bad = tmp_path / f"bad{suffix}"
        bad.write_bytes(data[:cut])
        assert "corrupt archive" in refused(bad), cut


@pytest.mark.parametrize("suffix", [".tar.gz", ".tar.bz2", ".tar.xz", ".zip"])
def test_garbage_is_corrupt(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(b"this is not an archive at all" * 20)
    assert "corrupt archive" in refused(path)


def test_missing_file_is_an_os_error_not_hostile(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_archive(tmp_path / "absent.tar.gz")


# -- fuzzing: only HostileArchive may escape ------------------------------------------------

FUZZ_SUFFIXES = [".tar.gz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl"]
FUZZ_LIMITS = Limits(max_total_bytes=1 << 20, max_files=50, max_file_bytes=1 << 19)


def _exercise(path: Path, scratch: Path) -> None:
    try:
        with open_archive(path, FUZZ_LIMITS) as archive:
            assert isinstance(archive, Archive)
            for member in archive.members():
                assert not member.name.startswith("/") and ".." not in member.name.split("/")
                if member.is_file:
                    assert len(archive.read(member)) <= member.size
            archive.extract_to(scratch / "out")
    except HostileArchive:
        pass
    extracted = scratch / "out"
    if extracted.exists():
        for p in extracted.rglob("*"):
            assert not p.is_symlink()
            assert p.resolve().is_relative_to(extracted.resolve())
    assert {p.name for p in scratch.iterdir()} <= {"archive" + s for s in FUZZ_SUFFIXES} | {"out"}


def _valid_archives() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        built = {
            ".tar.gz": make_tar(root / "a.tar.gz", sdist_entries()),
            ".tar.bz2": make_tar(root / "a.tar.bz2", sdist_entries(), "w:bz2"),
            ".tar.xz": make_tar(root / "a.tar.xz", sdist_entries(), "w:xz"),
            ".tar": make_tar(root / "a.tar", sdist_entries(), "w"),
            ".whl": make_zip(root / "a.whl", wheel_entries()),
        }
        return {suffix: p.read_bytes() for suffix, p in built.items()}


VALID = _valid_archives()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from(FUZZ_SUFFIXES))
def test_fuzz_random_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"archive{suffix}"
        path.write_bytes(data)
        _exercise(path, Path(d))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[suffix])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
    return suffix, bytes(data)


@FUZZ
@given(case=mutated())
def test_fuzz_mutated_valid_archives(case: tuple[str, bytes]) -> None:
    suffix, data = case
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"archive{suffix}"
        path.write_bytes(data)
        _exercise(path, Path(d))


PATHISH = st.text(alphabet="ab./\\:C\x00", max_size=12)
TAR_TYPES = [
    tarfile.REGTYPE,
    tarfile.AREGTYPE,
    tarfile.LNKTYPE,
    tarfile.SYMTYPE,
    tarfile.CHRTYPE,
    tarfile.BLKTYPE,
    tarfile.DIRTYPE,
    tarfile.FIFOTYPE,
    tarfile.CONTTYPE,
    b"V",
    b"Z",
]


@FUZZ
@given(
    entries=st.lists(
        st.tuples(PATHISH, st.sampled_from(TAR_TYPES), PATHISH, st.binary(max_size=64)),
        max_size=6,
    )
)
def test_fuzz_structured_tar_entries(entries: list[tuple[str, bytes, str, bytes]]) -> None:
    """Names, link targets and member types an attacker picks: whatever tarfile can write,
    open_archive either accepts within the invariants or refuses with HostileArchive."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "archive.tar"
        with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, type_, linkname, data in entries:
                info = tarfile.TarInfo(name)
                info.type = type_
                info.linkname = linkname
                if type_ in tarfile.REGULAR_TYPES:
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
                else:
                    tar.addfile(info)
        _exercise(path, Path(d))


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
def test_identical_duplicates_are_read_once(tmp_path: Path) -> None:
    """pyarrow 26.0.1's sdist carries LICENSE.txt and NOTICE.txt twice, byte for byte."""
    tar = make_tar(
        tmp_path / "dup-1.0.tar.gz",
        [tfile("dup-1.0/LICENSE.txt", b"MIT"), tfile("dup-1.0/a.py", b"x = 1\n"),
         tfile("dup-1.0/LICENSE.txt", b"MIT")],
    )  # fmt: skip
    zf = make_zip(
        tmp_path / "dup-1.0-py3-none-any.whl",
        [zfile("LICENSE.txt", b"MIT"), zfile("LICENSE.txt", b"MIT")],
    )
    for path in (tar, zf):
        with open_archive(path) as archive:
            names = [m.name for m in archive.members() if m.is_file]
            assert names.count(next(n for n in names if n.endswith("LICENSE.txt"))) == 1
            assert archive.read(next(n for n in names if n.endswith("LICENSE.txt"))) == b"MIT"
