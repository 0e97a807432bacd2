"""The one-way pipeline of DESIGN.md, checked on the import statements themselves.

Every module under src/chaingate is parsed with `ast`; every import counts, wherever it sits
(inside a function, under `if TYPE_CHECKING:`), and so does a string naming a chaingate module
(lazy-import tables, `python -m` helpers): a lazy import is still a dependency. Imports are
folded onto top-level units (`chaingate.facts.intel.run` belongs to `chaingate.facts`,
`chaingate.config` is its own unit). The root package (`chaingate/__init__.py`, the public
facade and `__version__`) is not a unit: everything may use it.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "chaingate"
_MODULE_STRING = re.compile(r"^chaingate(\.[A-Za-z_]\w*)+$")

# DESIGN.md's arrows: a unit listed here may import only the units in its set.
ALLOWED = {
    "chaingate.core": set[str](),
    "chaingate.net": {"chaingate.core"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    where: str  # "src/chaingate/x.py:12"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of `name` that is a chaingate module (None outside chaingate)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[Import, None] = {}  # ordered, once per statement and module

    def add(name: str, line: int) -> None:
        target = _resolve(name, modules)
        if target is not None:
            found.setdefault(Import(module, target, f"{path.relative_to(SRC.parent)}:{line}"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                # `from chaingate import config` imports the module chaingate.config.
                add(f"{origin}.{alias.name}", node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _MODULE_STRING.match(node.value)
            and node.value in modules
        ):
            add(node.value, node.lineno)
    return list(found)


def _unit(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else None


def unit_graph() -> dict[tuple[str, str], list[Import]]:
    """Edges between units, each with the imports that make it."""
    modules = _modules()
    edges: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for module, path in modules.items():
        for imp in _imports(module, path, modules):
            src, dst = _unit(imp.source), _unit(imp.target)
            if src and dst and src != dst:
                edges[src, dst].append(imp)
    return dict(edges)


def _strongly_connected(nodes: set[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one unit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def _a_cycle(component: list[str], succ: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the component's first unit (breadth first)."""
    start = component[0]
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(succ[v] & set(component)):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return [*reversed(path), start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    raise AssertionError("not a cycle")  # pragma: no cover


def _describe(imports: list[Import]) -> str:
    return "\n".join(f"      {i.where}: {i.source} imports {i.target}" for i in imports)


def find_cycles() -> list[str]:
    edges = unit_graph()
    succ: dict[str, set[str]] = defaultdict(set)
    for src, dst in edges:
        succ[src].add(dst)
    nodes = {n for edge in edges for n in edge}
    reports = []
    for component in _strongly_connected(nodes, succ):
        cycle = _a_cycle(component, succ)
        on_cycle = list(itertools.pairwise(cycle))
        lines = [f"cycle among {', '.join(component)}: {' -> '.join(cycle)}"]
        lines += [f"  {src} -> {dst}:\n{_describe(edges[src, dst])}" for src, dst in on_cycle]
        rest = [e for e in sorted(edges) if set(e) <= set(component) and e not in on_cycle]
        if rest:
            lines.append("  other imports inside this group:")
            lines += [f"  {src} -> {dst}:\n{_describe(edges[src, dst])}" for src, dst in rest]
        reports.append("\n".join(lines))
    return reports


def test_no_import_cycle_between_top_level_units() -> None:
    cycles = find_cycles()
    assert not cycles, "import cycles between chaingate's units:\n" + "\n".join(cycles)


def test_the_bottom_layers_import_only_what_design_allows() -> None:
    wrong = [
        f"  {src} may not import {dst} (it may import from chaingate: "
        f"{', '.join(sorted(ALLOWED[src])) or 'nothing'}):\n{_describe(imports)}"
        for (src, dst), imports in sorted(unit_graph().items())
        if src in ALLOWED and dst not in ALLOWED[src]
    ]
    assert not wrong, "imports against DESIGN.md's arrows:\n" + "\n".join(wrong)


def test_the_graph_sees_every_kind_of_import() -> None:
    """The checks above are only as good as the parser: lazy, TYPE_CHECKING, relative and
    string imports are all edges."""
    modules = _modules()
    assert {"chaingate.core", "chaingate.net", "chaingate.config"} <= {
        u for m in modules if (u := _unit(m))
    }
    edges = unit_graph()
    # store/interface.py imports facts.intel.interface under TYPE_CHECKING only.
    assert any(
        i.source == "chaingate.store.interface" for i in edges["chaingate.store", "chaingate.facts"]
    )
    # cli imports most things inside its command functions.
    assert ("chaingate.cli", "chaingate.engine") in edges


MAX_MODULE_LINES = 800


def test_no_module_over_800_lines() -> None:
    """A module past 800 lines is several ideas in one file: split it where the ideas part."""
    long = {
        str(path.relative_to(SRC)): n
        for path in sorted((SRC / "chaingate").rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_nothing_above_the_adapters_names_pypi() -> None:
    """PyPI is an adapter (ecosystems/pypi/): the stages above the adapters never import it.
    (The CLI and the config edge choose PyPI's index for the command line; the code
    analysis reads Python and fetches PyPI's files for `inspect` and `--deep`.)"""
    edge = {"cli", "config", "analysis", "guard"}
    offenders = []
    for path in sorted((SRC / "chaingate").rglob("*.py")):
        unit = path.relative_to(SRC / "chaingate").parts[0].removesuffix(".py")
        if unit in edge or unit == "ecosystems":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            if any(n.startswith("chaingate.ecosystems.pypi") for n in names):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []
