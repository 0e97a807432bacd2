"""Uploaded manifests into an inventory, parsed by the same adapters as `scan`.

An uploaded file's name never reaches the filesystem as given: each relative path is
checked (segments of letters, digits, `._-`, no `.`/`..`, no absolute or drive paths, at
most 8 deep) and the files are written into a private temporary directory that is
removed afterwards; errors name the uploaded path and line, never the directory."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from msgspec.structs import replace

from chaingate.core.errors import ChaingateError
from chaingate.core.inventory import Inventory, InventoryError

MAX_FILES = 200
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")


class ProjectFilesError(ChaingateError):
    """A project's uploaded files cannot be read: `file:line: what` (422 in the API)."""


def check_path(path: str) -> str:
    """`path` if it is a safe relative path, else ProjectFilesError."""
    parts = path.split("/")
    if (
        not path
        or len(path) > 512
        or len(parts) > 8
        or not all(_SEGMENT.fullmatch(p) and p not in (".", "..") for p in parts)
    ):
        shown = path.encode("unicode_escape").decode("ascii")[:120]
        raise ProjectFilesError(
            f"{shown}: not an accepted file name (a relative path of letters, digits and ._-)"
        )
    return path


def inventory_of(name: str, files: Mapping[str, str], index_url: str) -> Inventory:
    """The inventory the uploaded `files` declare (locks as locked; unlocked manifests are
    not resolved: the service never runs a resolver on uploaded input)."""
    from chaingate.inventory.build import build_inventory

    if not files:
        raise ProjectFilesError("no files: upload the project's manifests and locks")
    if len(files) > MAX_FILES:
        raise ProjectFilesError(f"{len(files)} files: at most {MAX_FILES} per project")
    for path in files:
        check_path(path)
    with tempfile.TemporaryDirectory(prefix="chaingate-upload-") as tmp:
        root = Path(tmp)
        for path, text in files.items():
            target = root.joinpath(*path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        _claimed(root, files)
        try:
            inventory = build_inventory(root, resolve_deps=False, index_url=index_url)
        except InventoryError as exc:
            raise ProjectFilesError(_relative(str(exc), tmp)) from None
    return replace(inventory, root=name)


def _claimed(root: Path, files: Mapping[str, str]) -> None:
    """Every uploaded file must be one some adapter reads: a file nobody reads would be
    silently left out of the watch."""
    from chaingate.ecosystems import default_ecosystems

    parsers = [e.manifests for e in default_ecosystems()]
    for path in sorted(files):
        where = root.joinpath(*path.split("/"))
        if not any(p.claim(where.parent, where.name) for p in parsers):
            raise ProjectFilesError(f"{path}: not a manifest or lock file chaingate reads")


def _relative(message: str, tmp: str) -> str:
    return message.replace(tmp + "/", "").replace(tmp, "<upload>")
