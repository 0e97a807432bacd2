"""Move modules (and single names between modules) and rewrite every import that names them.

Used for the engine issue's re-layout; kept because the next move will need it too.

    python scripts/move_modules.py MAPFILE [--apply]

MAPFILE lines (blank lines and `#` comments ignored):

    module  old.dotted.path  new.dotted.path      # git mv the file, rewrite imports
    name    old.module  Name  new.module          # a name that now lives elsewhere

`from old import A, B` is split into one import per destination module; `import old` and
dotted strings naming a moved module (patch targets, `-m` helpers, lazy-import tables) are
rewritten textually, longest path first. Run `ruff check --fix --select I` afterwards.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("src", "tests", "bench", "scripts", "eval")


def module_file(dotted: str) -> Path:
    parts = dotted.split(".")
    base = ROOT / "src" / Path(*parts) if parts[0] == "chaingate" else ROOT / Path(*parts)
    if base.is_dir():
        return base / "__init__.py"
    return base.with_suffix(".py")


def read_map(path: Path) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    modules: dict[str, str] = {}
    names: dict[tuple[str, str], str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        if line[0] == "module":
            modules[line[1]] = line[2]
        elif line[0] == "name":
            names[(line[1], line[2])] = line[3]
        else:
            raise SystemExit(f"{path}: bad line {raw!r}")
    return modules, names


def new_module(old: str, modules: dict[str, str]) -> str:
    """The module's new path, moved itself or under a moved package."""
    best = ""
    for src in modules:
        if (old == src or old.startswith(src + ".")) and len(src) > len(best):
            best = src
    return modules[best] + old[len(best) :] if best else old


def rewrite_file(path: Path, modules: dict[str, str], names: dict[tuple[str, str], str]) -> bool:
    text = path.read_text()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, str]] = []  # (first line, last line) 1-based inclusive
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        mod = node.module
        if not (mod == "chaingate" or mod.startswith(("chaingate.", "tests."))):
            continue
        groups: dict[str, list[str]] = defaultdict(list)
        for alias in node.names:
            as_ = f" as {alias.asname}" if alias.asname else ""
            sub = f"{mod}.{alias.name}"
            if (mod, alias.name) in names:
                dest = names[(mod, alias.name)]
                groups[dest].append(alias.name + as_)
            elif module_file(sub).exists() or sub in modules or new_module(sub, modules) != sub:
                # `from pkg import submodule`
                target = new_module(sub, modules)
                parent, leaf = target.rsplit(".", 1)
                if leaf != alias.name and not alias.asname:
                    as_ = f" as {alias.name}"
                groups[parent].append(leaf + as_)
            else:
                groups[new_module(mod, modules)].append(alias.name + as_)
        if list(groups) == [mod] and [a for g in groups.values() for a in g] == [
            a.name + (f" as {a.asname}" if a.asname else "") for a in node.names
        ]:
            continue
        first = lines[node.lineno - 1]
        indent = first[: len(first) - len(first.lstrip())]
        tail = ""
        last = lines[node.end_lineno - 1] if node.end_lineno else first
        if "#" in last and "noqa" in last:
            tail = "  #" + last.split("#", 1)[1].rstrip("\n")
        out = "".join(
            f"{indent}from {dest} import {', '.join(items)}{tail}\n"
            for dest, items in groups.items()
        )
        edits.append((node.lineno, node.end_lineno or node.lineno, out))
    for first, last, out in sorted(edits, reverse=True):
        lines[first - 1 : last] = [out]
    new = "".join(lines)
    for old in sorted(modules, key=len, reverse=True):
        new = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", modules[old], new)
    if new != text:
        path.write_text(new)
        return True
    return False


def main() -> None:
    mapfile = Path(sys.argv[1])
    apply = "--apply" in sys.argv
    modules, names = read_map(mapfile)
    for old, new in modules.items():
        src, dst = module_file(old), module_file(new)
        if src.name == "__init__.py" or not src.exists():
            if old.startswith("chaingate") and (ROOT / "src" / Path(*old.split("."))).is_dir():
                src = ROOT / "src" / Path(*old.split("."))
                dst = ROOT / "src" / Path(*new.split("."))
            elif (ROOT / Path(*old.split("."))).is_dir():
                src, dst = ROOT / Path(*old.split(".")), ROOT / Path(*new.split("."))
            else:
                raise SystemExit(f"no file for {old}")
        print(f"mv {src.relative_to(ROOT)} -> {dst.relative_to(ROOT)}")
        if apply:
            dst.parent.mkdir(parents=True, exist_ok=True)
            pkg = dst.parent
            while pkg != ROOT / "src" and pkg != ROOT / "tests" and pkg != ROOT:
                init = pkg / "__init__.py"
                if not init.exists() and pkg.name != "chaingate":
                    init.write_text("")
                    subprocess.run(["git", "add", str(init)], cwd=ROOT, check=True)
                pkg = pkg.parent
            subprocess.run(["git", "mv", str(src), str(dst)], cwd=ROOT, check=True)
    if not apply:
        return
    changed = 0
    for tree in TREES:
        for path in (ROOT / tree).rglob("*.py"):
            if "eval/malicious" in str(path):
                continue
            changed += rewrite_file(path, modules, names)
    for path in [*list((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]:
        text = path.read_text()
        new = text
        for old in sorted(modules, key=len, reverse=True):
            new = re.sub(rf"(?<![\w.]){re.escape(old)}(?![\w])", modules[old], new)
        if new != text:
            path.write_text(new)
    print(f"rewrote {changed} files")


if __name__ == "__main__":
    main()
