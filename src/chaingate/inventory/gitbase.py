"""The base of a diff: a git ref of the repository, or an older copy of a manifest.

The base is read straight from git's object database into a temporary directory (no
checkout, the working tree is never touched), restricted to the files `discover` would read
there, the files their parsers read beside them (`ManifestParser.beside`) and the files they
include (`ManifestParser.includes`: a requirements file's `-r`/`-c`).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import Final

import msgspec
from msgspec.structs import replace

from chaingate.core.errors import ChaingateError
from chaingate.core.inventory import Inventory, InventoryError
from chaingate.inventory.discover import discover, kind_of, owner

_SYMLINK_HOPS: Final = 16
_GIT_TIMEOUT: Final = 120.0


class DiffError(ChaingateError):
    """The base of a diff cannot be read (not a git repository, unknown ref, ...)."""


# --- the base: a git ref or an older file --------------------------------------------------


class Base(msgspec.Struct, frozen=True):
    """Where the base of a diff is read from.

    `target` is the base's equivalent of the head path (a directory or file to hand to
    `build_inventory`), or None when there is nothing to scan at the base: the path did not
    exist there, or held no manifest, so every package of the head is new. `label` is how
    reports name the base (the ref or file as the user wrote it); `commit` is the commit
    the ref named, for the git form.
    """

    target: Path | None
    label: str
    commit: str | None = None


def is_file_base(base: str) -> bool:
    """True when `--base` names an existing file (the two-file form); else it is a git ref.
    A file wins over a ref of the same name."""
    try:
        return Path(base).is_file()
    except (OSError, ValueError):
        return False


@contextmanager
def open_base(base: str, path: Path) -> Iterator[Base]:
    """The base of a diff of `path` (the head): `base` is an existing file to compare with
    (the two-file form) or a git ref of the repository holding `path`. Files written for it
    are removed on exit. Raises DiffError."""
    if is_file_base(base):
        with _file_base(Path(base), path) as target:
            yield Base(target, base)
        return
    target, tmp, commit = _materialize(base, path)
    try:
        empty = not target.exists() or (target.is_dir() and not discover(target))
        yield Base(None if empty else target, base, commit)
    finally:
        tmp.cleanup()


@contextmanager
def _file_base(old: Path, head: Path) -> Iterator[Path]:
    """`old` as a file `build_inventory` reads with the same parser as `head`: itself when
    its name says what it is, else a copy under the head's name (`uv.lock.orig` -> uv.lock)."""
    try:
        kind_of(old)
    except InventoryError as exc:
        own_error = exc
    else:
        # Outside the try: an InventoryError raised in the caller's `with` body (a malformed
        # base) must reach the caller, not be taken for this name check failing.
        yield old
        return
    try:
        kind_of(head)
    except InventoryError:
        raise DiffError(f"--base {old}: {own_error.message}") from None
    if not head.is_file() and head.exists():
        raise DiffError(f"--base {old}: {own_error.message}")
    with TemporaryDirectory(prefix="chaingate-base-") as tmp:
        copy = Path(tmp) / head.name
        try:
            shutil.copyfile(old, copy)
        except OSError as exc:
            raise DiffError(f"--base {old}: {exc.strerror or exc}") from None
        yield copy


def materialize_base(ref: str, path: Path) -> tuple[Path, TemporaryDirectory[str]]:
    """Write the manifests of git ref `ref` that matter to `path` into a temporary directory.

    `path` (a directory or a manifest file) lies in a git work tree. Returns the equivalent
    of `path` inside the temporary directory, which the caller cleans up; when `path` did
    not exist at `ref` the returned path does not exist either (nothing at the base). Only
    what a scan of `path` reads is written: the files `discover` finds (or the one file),
    the files lock parsers read beside them, and requirements includes (`-r`, `-c`), which
    may lie anywhere in the repository. Symbolic links are followed inside the repository
    and written as plain files. Raises DiffError when git is missing, `path` is not in a
    repository, `ref` names no commit, or a needed file links out of the repository.
    """
    target, tmp, _commit = _materialize(ref, path)
    return target, tmp


def _materialize(ref: str, path: Path) -> tuple[Path, TemporaryDirectory[str], str]:
    """`materialize_base`, and the commit `ref` names."""
    tree, rel = _locate(ref, path)
    tmp: TemporaryDirectory[str] = TemporaryDirectory(prefix="chaingate-base-")
    root = Path(tmp.name) / "tree"
    try:
        root.mkdir()
        tree.write(root, _needed(tree, root, "" if rel == "." else rel))
    except BaseException:
        tmp.cleanup()
        raise
    return (root if rel == "." else root / rel), tmp, tree.commit


def _locate(ref: str, path: Path) -> tuple[_Tree, str]:
    """The files of the commit `ref` names in the repository holding `path`, and `path`
    relative to the repository's top ("." for the top itself)."""
    if not ref or ref.startswith("-"):
        raise DiffError(f"--base {ref!r}: not a git ref")
    target = Path(os.path.abspath(path))
    where = target if target.is_dir() else target.parent
    if not where.is_dir():
        raise DiffError(f"{path}: no such file or directory")
    top = _git(where, "rev-parse", "--show-toplevel", what=f"{path}: not in a git repository")
    toplevel = Path(top.decode().strip())
    # The file itself is not resolved: a link committed as such is followed in the tree.
    inside = where.resolve() if where == target else where.resolve() / target.name
    try:
        rel = inside.relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        raise DiffError(f"{path}: not inside the git repository {toplevel}") from None
    commit = _git(
        toplevel,
        "rev-parse",
        "--verify",
        "--quiet",
        f"{ref}^{{commit}}",
        what=f"--base {ref}: unknown revision (no such branch, tag or commit in {toplevel})",
    )
    return _Tree(toplevel, commit.decode().strip()), rel


class BaseFile(msgspec.Struct, frozen=True):
    """One file as the base of a diff has it (`files_at`). `name` is how messages name it:
    `REF:path` for the repository's file, the path itself for a file the change does not
    touch. `text` is None when the base has no such file."""

    name: str
    text: bytes | None


def files_at(ref: str, path: Path, files: list[Path]) -> list[BaseFile]:
    """`files` (paths in the work tree) as the base of a diff of `path` at git ref `ref`
    has them. A file of the repository (at the base, or tracked in git's index) is read
    from the base commit, and is missing when the change added it. A file the change cannot
    have touched (outside the repository, or one git neither tracks nor had at the base,
    like a file the CI job wrote) is read as it is. Raises DiffError as `materialize_base`."""
    tree, _rel = _locate(ref, path)
    top = tree.toplevel.resolve()
    out: list[BaseFile] = []
    for file in files:
        full = Path(os.path.abspath(file))
        try:
            rel = (full.parent.resolve() / full.name).relative_to(top).as_posix()
        except (ValueError, OSError):
            rel = None
        if rel is not None and rel in tree.entries:
            oid = tree.entries[tree.resolve(rel)][1]
            out.append(BaseFile(f"{ref}:{rel}", tree.read([oid])[oid]))
        elif rel is not None and _tracked(top, rel):
            out.append(BaseFile(f"{ref}:{rel}", None))
        else:
            try:
                out.append(BaseFile(str(file), full.read_bytes() if full.is_file() else None))
            except OSError as exc:
                raise DiffError(f"{file}: {exc.strerror or exc}") from None
    return out


def _tracked(toplevel: Path, rel: str) -> bool:
    """Whether git's index holds `rel` (a file the change may have added)."""
    listed = _git(toplevel, "--literal-pathspecs", "ls-files", "-z", "--", rel, what="ls-files")
    return bool(listed)


def _git(cwd: Path, *args: str, what: str, stdin: bytes | None = None) -> bytes:
    """Run git in `cwd`; DiffError(`what` and git's own message) when it fails."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=env,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise DiffError("git is not installed (needed for --base REF)") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiffError(f"git {args[0]}: {exc}") from None
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        raise DiffError(f"{what}: {said[-1]}" if said else what)
    return proc.stdout


class _Tree:
    """The files of one commit: path -> (mode, object id), and their contents on demand."""

    def __init__(self, toplevel: Path, commit: str) -> None:
        self.toplevel = toplevel
        self.commit = commit
        listing = _git(
            toplevel, "ls-tree", "-r", "-z", "--full-tree", commit, what=f"git ls-tree {commit}"
        )
        self.entries: dict[str, tuple[str, str]] = {}
        for record in listing.split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, oid = meta.decode().split()
            if kind == "blob":  # submodules (commits) hold no files of this repository
                self.entries[name.decode("utf-8", errors="surrogateescape")] = (mode, oid)

    def under(self, folder: str) -> list[str]:
        """Every file path at or below `folder` ("" for the whole tree)."""
        if not folder:
            return list(self.entries)
        prefix = folder + "/"
        return [p for p in self.entries if p.startswith(prefix)]

    def resolve(self, path: str) -> str:
        """`path` with symbolic links followed inside the repository; DiffError otherwise."""
        seen = path
        for _ in range(_SYMLINK_HOPS):
            mode, oid = self.entries[seen]
            if mode != "120000":
                return seen
            link = self.read([oid])[oid].decode("utf-8", errors="surrogateescape")
            nxt = posixpath.normpath(posixpath.join(posixpath.dirname(seen), link))
            if posixpath.isabs(link) or nxt.startswith("../") or nxt not in self.entries:
                raise DiffError(
                    f"{path} at {self.commit[:12]} is a symbolic link to {link!r}, outside "
                    "the repository's files: its base version cannot be read"
                )
            seen = nxt
        raise DiffError(f"{path} at {self.commit[:12]}: too many levels of symbolic links")

    def read(self, oids: list[str]) -> dict[str, bytes]:
        """The contents of blobs, in one `git cat-file --batch`."""
        if not oids:
            return {}
        out = _git(
            self.toplevel,
            "cat-file",
            "--batch",
            what=f"git cat-file ({self.commit[:12]})",
            stdin="".join(f"{oid}\n" for oid in oids).encode(),
        )
        found: dict[str, bytes] = {}
        pos = 0
        for oid in oids:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode().split()
            if len(header) != 3:
                raise DiffError(f"git cat-file: cannot read object {oid}")
            size = int(header[2])
            found[oid] = out[end + 1 : end + 1 + size]
            pos = end + 1 + size + 1
        return found

    def write(self, root: Path, paths: dict[str, bytes]) -> None:
        for path, body in paths.items():
            dest = _inside(root, path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(body)


def _inside(root: Path, path: str) -> Path:
    """`root`/`path` for a repository path; refuses anything that could leave `root`."""
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise DiffError(f"refusing the path {path!r} from git")
    return root.joinpath(*parts)


def _kind(path: str) -> str | None:
    """The kind `kind_of` gives a file of this name, or None when it is no manifest."""
    try:
        return kind_of(Path(path))
    except InventoryError:
        return None


def _needed(tree: _Tree, root: Path, rel: str) -> dict[str, bytes]:
    """The files of `tree` a scan of `rel` reads, with their contents."""
    if rel in tree.entries:  # one manifest file
        picked = [rel]
    elif tree.under(rel):
        picked = _discovered(tree, root, rel)
    else:
        return {}  # nothing there at the base
    wanted = dict.fromkeys(picked)
    # The files whose includes are followed, with the kind each is read as: an included file
    # is read as its includer's kind, whatever its name (a requirements file's `-r base.in`).
    following = {p: k for p in picked if (k := _kind(p)) is not None}
    for path, kind in following.items():
        folder = posixpath.dirname(path)
        for name in owner(kind).manifests.beside:
            beside = posixpath.join(folder, name)
            if beside in tree.entries:
                wanted[beside] = None
    contents: dict[str, bytes] = {}
    todo = list(wanted)
    while todo:
        batch = {path: tree.resolve(path) for path in todo if path not in contents}
        blobs = tree.read(sorted({tree.entries[real][1] for real in batch.values()}))
        todo = []
        for path, real in batch.items():
            body = blobs[tree.entries[real][1]]
            contents[path] = body
            if path in following:
                kind = following[path]
                included = [p for p in _includes(path, kind, body, tree) if p not in contents]
                following.update(dict.fromkeys(included, kind))
                todo += included
    return contents


def _discovered(tree: _Tree, root: Path, rel: str) -> list[str]:
    """The paths `discover` would return for `rel` at this commit, found by running it on
    empty stand-ins for every file whose name could matter (so no content is read twice
    and data files named *.txt are never read)."""
    stand_ins = [
        p for p in tree.under(rel) if _kind(p) is not None or posixpath.basename(p) == "pyvenv.cfg"
    ]
    for path in stand_ins:
        dest = _inside(root, path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.touch()
    folder = _inside(root, rel) if rel else root
    try:
        found = [p.relative_to(root).as_posix() for p, _kind in discover(folder)]
    finally:
        shutil.rmtree(root)
        root.mkdir()
    return found


def _includes(path: str, kind: str, body: bytes, tree: _Tree) -> list[str]:
    """Repository paths of the files `path` (read as `kind`) includes, as its parser names
    them (requirements files' -r / -c), kept when they exist in the tree and stay inside it.
    Remote and missing ones are left for the parser to report."""
    folder = posixpath.dirname(path)
    found: list[str] = []
    for arg in owner(kind).manifests.includes(kind, body.decode("utf-8", errors="replace")):
        joined = posixpath.normpath(posixpath.join(folder, arg))
        if not posixpath.isabs(arg) and not joined.startswith("../") and joined in tree.entries:
            found.append(joined)
    return found


def empty_inventory(label: str) -> Inventory:
    """The inventory of a base with nothing to scan: every package of the head is new."""
    return Inventory(root=label, packages=(), manifests=())


def base_inventory(
    base: str,
    path: Path,
    *,
    resolve_deps: bool = True,
    index_url: str,
    timeout: float = 300,
    build: bool = True,
) -> tuple[Inventory, str | None]:
    """The inventory of the base of a diff of `path` (see `open_base`), its root named
    `base`, and the commit a git ref named (None for a file). Bad manifests at the base are
    DiffErrors that say so; a failed resolution raises ResolutionError, as for the head."""
    from chaingate.inventory.build import build_inventory

    with open_base(base, path) as where:
        if where.target is None:
            return empty_inventory(base), where.commit
        try:
            inv = build_inventory(
                where.target,
                resolve_deps=resolve_deps,
                index_url=index_url,
                timeout=timeout,
                build=build,
            )
        except InventoryError as exc:
            raise DiffError(f"at --base {base}: {_display(exc, where.target)}") from None
        return replace(inv, root=base), where.commit


def _display(exc: InventoryError, target: Path) -> str:
    """The error's text with the temporary directory taken out of file names."""
    folder = str(target if target.is_dir() else target.parent)
    return str(exc).replace(folder + os.sep, "")
