"""Rewrite refs to commits in place: `uses: owner/repo@<sha> # v4.2.2` and, as
`pre-commit autoupdate --freeze` writes, `rev: <sha>  # frozen: v1.2.3`.

Only the ref's characters (found by the YAML node's offsets, `workflows.Use.start/end`) and
the comment after the value on the same line change; every other byte of the file stays
as it was. A trailing comment the user wrote is kept after the new one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from chaingate.ecosystems.actions.workflows import Use

_LINE_BREAK = re.compile(r"[\r\n]")
_COMMENT = re.compile(r"^([ \t]*)(#.*)?$")
_VERSIONISH = re.compile(r"^#\s*(frozen:\s*)?v?\d[\w.+-]*\s*$")


def editable(use: Use) -> bool:
    return use.start >= 0 and use.kind in ("action", "workflow") and not use.pinned


def rewrite(text: str, pins: Sequence[tuple[Use, str]], frozen: bool = False) -> str:
    """`text` with each use's ref replaced by its commit and the ref in a trailing comment
    (`# v4` for actions, `# frozen: v4` with two spaces before it for pre-commit)."""
    out: list[str] = []
    at = 0
    for use, sha in sorted(pins, key=lambda p: p[0].start):
        if not editable(use) or use.start < at:
            continue
        brk = _LINE_BREAK.search(text, use.value_end)  # \n, \r\n or a lone \r (YAML's breaks)
        eol = len(text) if brk is None else brk.start()
        rest = text[use.value_end : eol]
        tag = f"frozen: {use.ref}" if frozen else str(use.ref)
        match = _COMMENT.match(rest)
        out.append(text[at : use.start])
        out.append(sha)
        out.append(text[use.end : use.value_end])
        if match is None:  # more on the line (a flow mapping): the ref alone changes
            at = use.value_end
            continue
        old = (match.group(2) or "").strip()
        gap = "  " if frozen else " "
        kept = "" if not old or _VERSIONISH.match(old) else f" {old}"
        out.append(f"{gap}# {tag}{kept}")
        at = eol
    out.append(text[at:])
    return "".join(out)


def unpinned(uses: Sequence[Use]) -> list[Use]:
    """The uses `pin` would rewrite (actions, reusable workflows and hook revs by tag or
    branch; container images are not `pin`'s: unpinned-image names them)."""
    return [u for u in uses if u.kind in ("action", "workflow") and not u.pinned]


def pins_for(uses: Sequence[Use], commits: Mapping[tuple[str, str], str]) -> list[tuple[Use, str]]:
    """Each unpinned use with the commit its (name, ref) resolved to, where one did."""
    return [(u, commits[(u.name, str(u.ref))]) for u in unpinned(uses)
            if (u.name, str(u.ref)) in commits]  # fmt: skip
