"""Writing chaingate's own files: atomically (readers see the old bytes or the new, never
half), and privately (directories chaingate creates are 0700, its files 0600, whatever the
umask: the cache and the store say whom a project trusts, and another local user must not
read or plant them)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from pathlib import Path
from typing import BinaryIO

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dirs(path: Path) -> None:
    """Make `path` and its missing parents, each one made here 0700; directories that
    already exist are left as they are (the user's `~/.cache`, a shared data folder)."""
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            if directory.is_dir():
                continue  # made by a concurrent process: its mode is its own
            raise  # a file is in the way
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask


def create_private(path: Path) -> None:
    """Create `path` empty and 0600 if it does not exist (before a library that would
    create it with its own mode, e.g. SQLite's 0644, opens it)."""
    private_dirs(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))


def open_private(path: Path) -> BinaryIO:
    """`path` opened for writing as a new 0600 file (it must not exist; raises OSError)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


def write_private(path: Path, data: bytes) -> None:
    """Write `path` as a new 0600 file (it must not exist; raises OSError)."""
    with open_private(path) as out:
        out.write(data)


def seal(data: bytes) -> bytes:
    """`data` behind its SHA-256, so that a reader can tell it is the bytes written."""
    return hashlib.sha256(data).digest() + data


def unseal(sealed: bytes) -> bytes | None:
    """The data `seal` wrapped, or None when the bytes changed since (a torn write, a
    flipped bit, a planted entry): the caller then treats the entry as missing."""
    digest, data = sealed[:32], sealed[32:]
    if len(digest) != 32 or not hmac.compare_digest(hashlib.sha256(data).digest(), digest):
        return None
    return data


def write_atomic(path: Path | None, data: bytes) -> None:
    """Replace `path` with `data`, 0600; a cache that cannot be written only costs the next
    run, so an OSError is swallowed."""
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        try:
            write_private(tmp, data)
        except FileExistsError:  # left by a killed process that had this pid
            tmp.unlink()
            write_private(tmp, data)
        except FileNotFoundError:
            # Directories are made only when missing: a cold scan writes ~300 cache files
            # into a few existing directories, and a mkdir per file cost it 0.05 s.
            private_dirs(path.parent)
            write_private(tmp, data)
        os.replace(tmp, path)
    except OSError:
        pass
