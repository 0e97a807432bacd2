"""YAML read as PyYAML's node graph (`yaml.compose`), which keeps every scalar's position.

The CI/CD manifests (workflows, composite actions, `.pre-commit-config.yaml`) are read as
nodes, not as Python values: a node knows the line it came from (for `file:line` in
reports and errors) and the offsets of its text (so `chaingate pin` edits one scalar in
place and leaves every other byte of the file as it was). Keys are read as written:
`on:` stays the string "on" (YAML 1.1 would construct it as `True`).

Bounds: a file over `MAX_BYTES`, nesting past the parser's recursion, or an alias graph
that expands past `MAX_NODES` (a "billion laughs") is bad input, `file:line: what`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from chaingate.core.inventory import InventoryError

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000


class Budget:
    """How many nodes a walk may still visit: aliases make a small text a huge graph."""

    def __init__(self, display: str, limit: int = MAX_NODES) -> None:
        self.display, self.left = display, limit

    def spend(self, node: Node) -> None:
        self.left -= 1
        if self.left < 0:
            raise InventoryError(
                self.display, line(node), f"more than {MAX_NODES} YAML nodes (aliases expand)"
            )


def read_text(path: Path, display: str) -> str:
    """The file's text, exactly (newlines as written), or an InventoryError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InventoryError(display, None, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InventoryError(display, None, f"larger than {MAX_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = raw.count(b"\n", 0, exc.start) + 1
        raise InventoryError(display, at, "not UTF-8 text") from None


def compose(text: str, display: str) -> Node | None:
    """The document's root node (None for an empty file); malformed YAML, more than one
    document, or nesting too deep is an InventoryError naming the line."""
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader if _C else yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark is not None else None
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        raise InventoryError(display, where, f"invalid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise InventoryError(display, None, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InventoryError(display, None, "invalid YAML: nested too deeply") from None


_C = getattr(yaml, "__with_libyaml__", False)


def document(path: Path, display: str, what: str) -> tuple[str, MappingNode | None, Budget]:
    """A file's text, its root mapping (None when empty) and a node budget for walking it;
    a root that is not a mapping is an InventoryError ("<what> must be a mapping")."""
    text = read_text(path, display)
    node = compose(text, display)
    if node is not None and not isinstance(node, MappingNode):
        raise InventoryError(display, line(node), f"{what} must be a mapping")
    return text, node, Budget(display)


def line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def scalar(node: Node | None) -> str | None:
    """The scalar's text as written (no type resolution), or None for anything else."""
    if isinstance(node, ScalarNode):
        return str(node.value)
    return None


def items(node: Node | None, budget: Budget) -> Iterator[tuple[str, Node, Node]]:
    """(key text, key node, value node) of a mapping; nothing for any other node. A key
    that is not a scalar is skipped (no workflow key is one)."""
    if not isinstance(node, MappingNode):
        return
    merged: list[Node] = []
    own: set[str] = set()
    for key, value in node.value:
        budget.spend(value)
        text = scalar(key)
        if text == "<<" and key.tag == "tag:yaml.org,2002:merge":
            merged += value.value if isinstance(value, SequenceNode) else [value]
        elif text is not None:
            own.add(text)
            yield text, key, value
    # YAML 1.1 merge keys (`<<: *defaults`): the merged mappings' keys, where not given
    # here (a step hidden in a merged mapping is still read)
    for source in merged:
        for text, key, value in items(source, budget):
            if text not in own:
                own.add(text)
                yield text, key, value


def get(node: Node | None, key: str, budget: Budget) -> Node | None:
    for text, _, value in items(node, budget):
        if text == key:
            return value
    return None


def elements(node: Node | None, budget: Budget) -> Iterator[Node]:
    if not isinstance(node, SequenceNode):
        return
    for child in node.value:
        budget.spend(child)
        yield child


def scalars(node: Node | None, budget: Budget) -> Iterator[ScalarNode]:
    """Every scalar under `node` (keys and values), depth first."""
    todo: list[Node] = [node] if node is not None else []
    while todo:
        here = todo.pop()
        budget.spend(here)
        if isinstance(here, ScalarNode):
            yield here
        elif isinstance(here, SequenceNode):
            todo.extend(reversed(here.value))
        elif isinstance(here, MappingNode):
            for k, v in reversed(here.value):
                todo.extend((v, k))


def ref_span(text: str, node: Node, value: str, ref_at: int) -> tuple[int, int, int]:
    """Offsets of `value[ref_at:]` (a ref at the end of a scalar) in `text`, when the
    scalar's source is its value as written (plain, or quoted without escapes), and the end
    of the scalar; (-1, -1, end) when it cannot be edited in place."""
    s, e = int(node.start_mark.index), int(node.end_mark.index)
    source = text[s:e]
    quoted = source[:1] in "'\"" and len(source) >= 2 and source[-1] == source[0]
    inner = source[1:-1] if quoted else source
    if inner.strip() != value:
        return -1, -1, e
    base = s + (1 if quoted else 0) + (len(inner) - len(inner.lstrip()))
    return base + ref_at, base + len(value), e
