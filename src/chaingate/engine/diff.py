"""`chaingate diff`: what a change introduces -- new packages, new versions, new findings.

A pull request is judged on its own risk: the base (a git ref, or an older copy of a
manifest) and the head are scanned with the same options, and only what the head adds is
reported. The base is read straight from git's object database into a temporary directory
(no checkout, the working tree is never touched), restricted to the manifest and lock files
`discover` would read, the files their parsers read beside them, and the files requirements
files include.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Final

import msgspec
from msgspec.structs import replace

from chaingate.core.errors import ChaingateError
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, InventoryError, Package
from chaingate.core.status import Incomplete
from chaingate.ecosystems.pypi.manifests import requirements
from chaingate.engine.result import ScanResult
from chaingate.inventory.discover import discover, kind_of
from chaingate.policy.ignore import Ignored

if TYPE_CHECKING:
    from chaingate.engine.scan import Progress, ScanOptions

# Files the lock parsers read beside a lock (sibling_file, sibling_declared_names): taken
# from the base along with the lock so direct and transitive entries are told apart alike.
_READ_BESIDE: Final = ("pyproject.toml", "Pipfile")
_INCLUDE_OPTIONS: Final = ("-r", "-c", "--requirement", "--constraint")
_COMMENT: Final = re.compile(r"(^|\s+)#.*$")  # as pip (and requirements.py) reads them
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
    tree = _Tree(toplevel, commit.decode().strip())
    tmp: TemporaryDirectory[str] = TemporaryDirectory(prefix="chaingate-base-")
    root = Path(tmp.name) / "tree"
    try:
        root.mkdir()
        tree.write(root, _needed(tree, root, "" if rel == "." else rel))
    except BaseException:
        tmp.cleanup()
        raise
    return (root if rel == "." else root / rel), tmp, tree.commit


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
    # Requirements files, whose includes are followed: included files are, whatever the name.
    reqs = {p for p in picked if _kind(p) == requirements.KIND}
    for path in picked:
        folder = posixpath.dirname(path)
        for name in _READ_BESIDE:
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
            if path in reqs:
                included = [p for p in _includes(path, body, tree) if p not in contents]
                reqs.update(included)
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


def _includes(path: str, body: bytes, tree: _Tree) -> list[str]:
    """Repository paths of the files a requirements file includes with -r / -c. Remote and
    missing ones are left for the parser to report."""
    text = body.decode("utf-8", errors="replace").replace("\\\n", " ")
    folder = posixpath.dirname(path)
    found: list[str] = []
    for line in text.splitlines():
        line = _COMMENT.sub("", line)
        try:
            tokens = shlex.split(line, comments=False, posix=True)
        except ValueError:
            tokens = line.split()
        for i, token in enumerate(tokens):
            arg = None
            if token in _INCLUDE_OPTIONS:
                arg = tokens[i + 1] if i + 1 < len(tokens) else None
            elif token.startswith(("--requirement=", "--constraint=")):
                arg = token.partition("=")[2]
            elif token[:2] in ("-r", "-c") and len(token) > 2 and token[1] != "-":
                arg = token[2:]
            if not arg or "://" in arg or arg.startswith("file:"):
                continue
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


# --- the comparison ------------------------------------------------------------------------

PackageKey = tuple[str, str | None]
FindingKey = tuple[str, str | None, str | None, str]


class DiffResult(msgspec.Struct, frozen=True):
    """What the head introduces over the base.

    `added`: packages whose name is not in the base. `changed`: a name of the base at a
    version the base does not have, with the base's version. `removed`: (name, version) of
    the base found nowhere in the head (versions replaced by a change are not repeated).
    `new_findings`: head findings the base did not have (same signal, package and version;
    for project-level findings, same signal and same accounts or message).
    `incomplete`: what could not be analysed among the introduced packages, and whatever
    could not be analysed about the tree as a whole.
    """

    head: ScanResult
    base_packages: frozenset[PackageKey]
    added: tuple[Package, ...]
    changed: tuple[tuple[Package, str | None], ...]
    removed: tuple[PackageKey, ...]
    new_findings: tuple[Finding, ...]
    unchanged_findings: int
    new_ignored: tuple[Ignored, ...] = ()
    incomplete: tuple[Incomplete, ...] = ()
    base_label: str = "base"
    base_commit: str | None = None
    notes: tuple[str, ...] = ()

    def worst(self) -> Severity | None:
        """The worst new finding: what `--fail-on` compares against."""
        return max((f.severity for f in self.new_findings), default=None)

    @property
    def introduced(self) -> tuple[Package, ...]:
        """Added and changed packages, by name and version."""
        both = [*self.added, *(p for p, _ in self.changed)]
        return tuple(sorted(both, key=lambda p: (p.name, p.version or "")))

    def is_introduced(self, name: str | None, version: str | None) -> bool:
        """Whether the change brings in this package at this version (added or changed);
        e.g. to keep only the deny-list hits a policy raises on introduced packages."""
        return any(p.name == name and p.version == version for p in self.introduced)

    def as_scan_result(self) -> ScanResult:
        """The head scan restricted to what the change introduces (new findings, their
        exceptions, the incomplete entries above), for formats that render a ScanResult
        (SARIF). The inventory stays whole, so findings keep their manifest locations."""
        return replace(
            self.head,
            findings=self.new_findings,
            ignored=self.new_ignored,
            incomplete=self.incomplete,
            notes=(*self.head.notes, *self.notes),
        )


def finding_key(finding: Finding) -> FindingKey:
    """What makes a finding the same at the base and the head: signal, package and version;
    a project-level finding (no package) by the accounts its evidence names, or else its
    message, so one account reaching more packages is new."""
    if finding.package is not None:
        return (finding.id, finding.package, finding.version, "")
    accounts = finding.evidence.get("accounts")
    detail = finding.message if accounts is None else json.dumps(accounts, sort_keys=True)
    return (finding.id, None, None, detail)


def diff_scans(
    base: ScanResult,
    head: ScanResult,
    *,
    base_label: str = "base",
    base_commit: str | None = None,
) -> DiffResult:
    """Compare two scans. Pure: no I/O."""
    base_keys = frozenset((p.name, p.version) for p in base.packages)
    base_versions: dict[str, list[str | None]] = {}
    for name, version in sorted(base_keys, key=lambda k: (k[0], k[1] or "")):
        base_versions.setdefault(name, []).append(version)
    head_keys = {(p.name, p.version) for p in head.packages}

    added: list[Package] = []
    changed: list[tuple[Package, str | None]] = []
    replaced: set[PackageKey] = set()
    for pkg in head.packages:
        if (pkg.name, pkg.version) in base_keys:
            continue
        olds = base_versions.get(pkg.name)
        if olds is None:
            added.append(pkg)
            continue
        # Several base versions of one name (two files pin differently): prefer one the
        # head no longer has, i.e. the version this one replaced.
        gone = [v for v in olds if (pkg.name, v) not in head_keys]
        old = (gone or olds)[-1]
        replaced.add((pkg.name, old))
        changed.append((pkg, old))
    removed = tuple(
        key
        for key in sorted(base_keys, key=lambda k: (k[0], k[1] or ""))
        if key not in head_keys and key not in replaced
    )

    seen = {finding_key(f) for f in base.findings}
    seen |= {finding_key(i.finding) for i in base.ignored}
    new = tuple(f for f in head.findings if finding_key(f) not in seen)
    new_ignored = tuple(i for i in head.ignored if finding_key(i.finding) not in seen)

    # Entries about a package are kept for the introduced ones; entries about the tree
    # (a manifest that could not be resolved) are kept whatever they name.
    introduced = {(p.name, p.version) for p in added} | {(p.name, p.version) for p, _ in changed}
    names = {p.name for p in head.packages}
    incomplete = tuple(
        i for i in head.incomplete if (i.package, i.version) in introduced or i.package not in names
    )
    # What the base could not see about packages the head still has, or about its tree:
    # findings there cannot be told old, so they count as new (never hidden).
    base_names = {name for name, _ in base_keys}
    unseen = sorted(
        {
            i.package
            for i in base.incomplete
            if (i.package, i.version) in head_keys or i.package not in base_names
        }
    )
    notes: list[str] = []
    if unseen:
        shown = ", ".join(unseen[:5]) + (", ..." if len(unseen) > 5 else "")
        notes.append(
            f"the base could not be fully analysed ({shown}): findings it could not see are "
            "reported as new"
        )
    return DiffResult(
        head=head,
        base_packages=base_keys,
        added=tuple(added),
        changed=tuple(changed),
        removed=removed,
        new_findings=new,
        unchanged_findings=len(head.findings) - len(new),
        new_ignored=new_ignored,
        incomplete=incomplete,
        base_label=base_label,
        base_commit=base_commit,
        notes=tuple(notes),
    )


def run_diff(
    base_inventory: Inventory,
    head_inventory: Inventory,
    opts: ScanOptions,
    progress: Progress | None = None,
    *,
    base_label: str = "base",
    base_commit: str | None = None,
) -> DiffResult:
    """Scan the base, then the head, with the same options and the same `now`, and compare.

    The head scan finds most documents in the cache the base scan just filled. The base is
    scanned first so that, with a database, it is compared with the history as it was;
    the head then sees the base's facts as the previous observation, which only hides
    changes the base already showed.
    """
    from chaingate.engine import Engine

    with Engine.from_options(opts) as engine:
        return engine.diff(
            base_inventory, head_inventory, progress, base_label=base_label, base_commit=base_commit
        )


__all__ = [
    "Base",
    "DiffError",
    "DiffResult",
    "base_inventory",
    "diff_scans",
    "empty_inventory",
    "finding_key",
    "is_file_base",
    "materialize_base",
    "open_base",
    "run_diff",
]
