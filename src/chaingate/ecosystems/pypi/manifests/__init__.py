"""The Python manifests and lock files chaingate reads, one module per format, and the
`ManifestParser` that claims them.

In one directory a lock file is the truth about what gets installed, so a pyproject.toml
next to a lock (poetry.lock, uv.lock, Pipfile.lock, pdm.lock, pylock*.toml) is not read on
its own: the lock parsers read it to tell direct dependencies from transitive ones.
Requirements files are always read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaingate.core.inventory import Manifest

REQUIREMENTS, PYPROJECT, POETRY_LOCK, UV_LOCK = (
    "requirements",
    "pyproject",
    "poetry.lock",
    "uv.lock",
)
PIPFILE_LOCK, PDM_LOCK, PYLOCK = "Pipfile.lock", "pdm.lock", "pylock"

LOCK_KINDS = frozenset({POETRY_LOCK, UV_LOCK, PIPFILE_LOCK, PDM_LOCK, PYLOCK})
KINDS = LOCK_KINDS | {REQUIREMENTS, PYPROJECT}
_EXACT_NAMES = {
    "pyproject.toml": PYPROJECT,
    "poetry.lock": POETRY_LOCK,
    "uv.lock": UV_LOCK,
    "Pipfile.lock": PIPFILE_LOCK,
    "pdm.lock": PDM_LOCK,
}
_PYLOCK = re.compile(r"^pylock\.([^.]+\.)?toml$")
_UNDERSTOOD = (
    "requirements*.txt, *requirements.txt, requirements/*.txt, pyproject.toml, poetry.lock, "
    "uv.lock, Pipfile.lock, pdm.lock, pylock.toml, pylock.*.toml"
)


_MODULES = {
    REQUIREMENTS: "requirements",
    PYPROJECT: "pyproject",
    POETRY_LOCK: "poetry_lock",
    UV_LOCK: "uv_lock",
    PIPFILE_LOCK: "pipfile_lock",
    PDM_LOCK: "pdm_lock",
    PYLOCK: "pylock",
}


def _parser(kind: str) -> Callable[[Path, str], Manifest]:
    """The parser of `kind`: its module is imported when a file of that kind is read."""
    import importlib

    module = importlib.import_module(f"{__name__}.{_MODULES[kind]}")
    parse: Callable[[Path, str], Manifest] = module.parse
    return parse


_INCLUDE_OPTIONS = ("-r", "-c", "--requirement", "--constraint")


def comment_start(line: str) -> int:
    """Where a comment starts in a line as pip reads it (a `#` at the start or after
    whitespace), or -1. One pass over the line: the regex `(^|\\s+)#` it replaces retried
    every run of whitespace from each of its characters, quadratic in a padded line."""
    at = line.find("#")
    while at > 0 and not line[at - 1].isspace():
        at = line.find("#", at + 1)
    return at


class PypiManifests:
    kinds = KINDS
    lock_kinds = LOCK_KINDS
    project_kind = PYPROJECT
    understood = _UNDERSTOOD
    # Files the lock parsers read beside a lock (sibling_file, sibling_declared_names), so a
    # diff's base takes them along and tells direct from transitive entries alike.
    beside = ("pyproject.toml", "Pipfile")

    def includes(self, kind: str, text: str) -> list[str]:
        """The local files a requirements file includes with -r / -c, as written (relative
        to its folder); URLs and file: URLs are left out."""
        if kind != REQUIREMENTS:
            return []
        import shlex

        found: list[str] = []
        for line in text.replace("\\\n", " ").splitlines():
            if (at := comment_start(line)) >= 0:
                line = line[:at]
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
                if arg and "://" not in arg and not arg.startswith("file:"):
                    found.append(arg)
        return found

    def claim(self, directory: Path, filename: str) -> str | None:
        if filename in _EXACT_NAMES:
            return _EXACT_NAMES[filename]
        if _PYLOCK.match(filename):
            return PYLOCK
        if filename.endswith(".txt") and (
            filename.startswith("requirements")
            or filename.endswith("requirements.txt")
            or directory.name == "requirements"
        ):
            return REQUIREMENTS
        return None

    def claim_named(self, path: Path) -> str | None:
        """Besides the names `claim` knows, any `.txt` or `.in` file named explicitly is
        read as a requirements file."""
        kind = self.claim(path.parent, path.name)
        if kind is None and path.suffix in (".txt", ".in"):
            kind = REQUIREMENTS
        return kind

    def keep(self, kinds: dict[str, str]) -> set[str]:
        has_lock = any(kind in LOCK_KINDS for kind in kinds.values())
        return {name for name, kind in kinds.items() if not (kind == PYPROJECT and has_lock)}

    def parse(self, path: Path, kind: str, display: str) -> Manifest:
        return _parser(kind)(path, display)
