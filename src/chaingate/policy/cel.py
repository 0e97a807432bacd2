"""Custom policy rules in CEL: compiling a rule's condition and evaluating it on a finding.

Its own module so that loading a policy without rules, and every scan, does not import the
CEL interpreter (celpy and lark: ~0.04 s of start-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError, base_functions

from chaingate.core.facts import ProjectFacts
from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Package
from chaingate.policy.interface import did_you_mean

# What a rule sees. Kept in step with _finding_vars / _package_vars and docs/policy.md.
FINDING_FIELDS = (
    "id", "severity", "severity_rank", "package", "version", "message", "evidence", "ecosystem",
    "ref",
)  # fmt: skip
PACKAGE_FIELDS = (
    "ecosystem", "name", "version", "direct", "origin", "owners", "organization", "emails",
    "domains", "latest_version", "first_release", "release_count", "has_facts",
)  # fmt: skip
_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_TYPE_NAMES = frozenset({
    "int", "uint", "double", "bool", "string", "bytes", "list", "map", "null_type", "type",
    "timestamp", "duration", "dyn",
})  # fmt: skip
# The evaluation steps a rule may take (see `_cost`): a few seconds of celpy at most. Lists
# from the data (owners, emails, evidence) are counted at DATA_ITEMS items: two nested
# comprehensions over them fit, three do not.
MAX_COST = 200_000
DATA_ITEMS = 50
_env: celpy.Environment | None = None


def _environment() -> celpy.Environment:
    global _env
    if _env is None:  # the interpreter: CEL is walked as a tree, never turned into Python
        _env = celpy.Environment(runner_class=celpy.InterpretedRunner)
    return _env


class CelError(Exception):
    """A rule's condition is not usable; the message says why (for `file:line: ...`)."""


def compile_condition(expr: str) -> celpy.Runner:
    """`expr` as a program, or CelError: a syntax error (with a caret under it), an unknown
    name or function, or an expression that is not a condition."""
    env = _environment()
    try:
        ast = env.compile(expr)
    except CELParseError as exc:
        lines = expr.splitlines() or [""]
        row, col = exc.line or 1, exc.column or 1
        shown = lines[min(row, len(lines)) - 1]
        raise CelError(
            f"CEL syntax error at line {row}, column {col}:\n    {shown}\n    {' ' * (col - 1)}^"
        ) from None
    except Exception as exc:  # the parser's own limits (e.g. nesting depth)
        raise CelError(f"CEL does not compile: {type(exc).__name__}: {exc}") from None
    problem = _unknown_names(ast)
    if problem:
        raise CelError(problem)
    cost = _cost(ast)
    if cost > MAX_COST:
        raise CelError(
            f"rule exceeds the cost limit: up to {cost:,} evaluation steps, over the "
            f"{MAX_COST:,} allowed (nested all/exists/map/filter multiply: a list from the "
            f"data counts as {DATA_ITEMS} items, a literal list as its own length)"
        )
    program = env.program(ast)
    try:  # data-dependent errors are fine here; a condition that is not a condition is not
        sample = program.evaluate(_sample())
    except Exception:
        return program
    if not isinstance(sample, CELEvalError | celtypes.BoolType):
        raise CelError(f"must be a condition (true or false), not a {_cel_kind(sample)}")
    return program


def holds(
    program: celpy.Runner, f: Finding, p: Package | None, facts: ProjectFacts | None
) -> bool | str:
    """Whether the condition holds for finding `f` (of package `p`), or why it could not
    be evaluated."""
    activation = {
        "finding": _cel(_finding_vars(f)),
        "package": _cel(_package_vars(f.package, f.version, p, facts)),
    }
    longest = _longest(activation)
    if longest > DATA_ITEMS and (cost := _cost(program.ast, longest)) > MAX_COST:
        # The limit checked at load time counted DATA_ITEMS per list; this data is longer.
        return (
            f"exceeds the cost limit on this finding's data: up to {cost:,} evaluation "
            f"steps over a list of {longest:,} items"
        )
    try:
        value: object = program.evaluate(activation)
    except Exception as exc:
        value = exc
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    return _eval_error(value)


def _eval_error(value: object) -> str:
    if isinstance(value, Exception):  # CELEvalError too, raised or returned
        text = str(value.args[0]) if value.args else type(value).__name__
        return text.split(" (in activation", 1)[0][:200]
    return f"gave a {_cel_kind(value)}, not true or false"


def _unknown_names(ast: lark.Tree[Any]) -> str:
    """A message for the first variable or field a rule cannot have meant, else ""."""
    bound = set()
    for node in ast.iter_subtrees():
        if node.data == "member_dot_arg" and str(node.children[1]) in _MACROS:
            args = node.children[2]
            if isinstance(args, lark.Tree) and args.children:
                var = _plain_ident(args.children[0])
                if var:
                    bound.add(var)
    known = {"finding": FINDING_FIELDS, "package": PACKAGE_FIELDS}
    functions = {f for f in base_functions if f[0].isalpha()} | _MACROS | {"has", "dyn"}
    for node in ast.iter_subtrees():
        call = {"ident_arg": 0, "dot_ident_arg": 0, "member_dot_arg": 1}.get(str(node.data))
        if call is not None and str(node.children[call]) not in functions:
            name = str(node.children[call])
            return f"unknown function {name!r}{did_you_mean(name, functions)}"
        if node.data in ("ident", "dot_ident"):
            name = str(node.children[0])
            if name not in known and name not in bound and name not in _TYPE_NAMES:
                did = did_you_mean(name, known)
                return f"unknown name {name!r}{did}; a rule sees `finding` and `package`"
        if node.data == "member_dot":
            target, member = node.children[0], str(node.children[1])
            var = _plain_ident(target)
            if var in known and member not in known[var]:
                did = did_you_mean(member, known[var])
                return f"{var} has no field {member!r}{did}; it has {', '.join(known[var])}"
    return ""


def _longest(value: object) -> int:
    """The length of the longest list or map in a CEL value, at any depth."""
    if isinstance(value, celtypes.ListType | list):
        return max([len(value), *(_longest(v) for v in value)])
    if isinstance(value, celtypes.MapType | dict):
        return max([len(value), *(_longest(v) for v in value.values())])
    return 0


def _cost(node: lark.Tree[Any] | lark.Token, data_items: int = 0) -> int:
    """An upper bound of the steps evaluating `node` takes: one per node of the syntax tree,
    and a comprehension (`xs.all(x, body)`, ...) runs its body once per item of `xs`. celpy has
    no budget of its own, and three nested `.all()` over 40 items ran 95 s. A list from the data
    counts as `data_items` (DATA_ITEMS when not given)."""
    if not isinstance(node, lark.Tree):
        return 0
    if node.data == "member_dot_arg" and str(node.children[1]) in _MACROS:
        target, args = node.children[0], node.children[2]
        body = (
            sum(_cost(c, data_items) for c in args.children[1:])
            if isinstance(args, lark.Tree)
            else 0
        )
        return 1 + _cost(target, data_items) + _items(target, data_items) * (1 + body)
    return 1 + sum(_cost(c, data_items) for c in node.children)


def _items(node: object, data_items: int = 0) -> int:
    """How many items a comprehension's target may hold: a literal list or map its own
    length, a map()/filter() its input's, anything else (a list from the data) `data_items`
    (DATA_ITEMS when not given)."""
    while isinstance(node, lark.Tree):
        if node.data in ("list_lit", "map_lit"):
            inits = node.children[0] if node.children else None
            return len(inits.children) if isinstance(inits, lark.Tree) else 0
        if node.data == "member_dot_arg" and str(node.children[1]) in ("map", "filter"):
            node = node.children[0]
            continue
        if len(node.children) != 1:
            break
        node = node.children[0]
    return data_items or DATA_ITEMS


def _plain_ident(node: object) -> str | None:
    """`finding` for the tree of the bare name `finding` (member > primary > ident)."""
    while isinstance(node, lark.Tree) and len(node.children) == 1:
        if node.data in ("ident", "dot_ident"):
            return str(node.children[0])
        node = node.children[0]
    return None


def _cel(value: object) -> Any:
    """A JSON-like Python value as a CEL value (dates as ISO strings, anything else as text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, datetime | date):
        return celtypes.StringType(value.isoformat())
    if isinstance(value, Mapping):
        return celtypes.MapType({celtypes.StringType(str(k)): _cel(v) for k, v in value.items()})
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return celtypes.ListType([_cel(v) for v in items])
    return celtypes.StringType(str(value))


def _cel_kind(value: object) -> str:
    return type(value).__name__.removesuffix("Type").lower() or "value"


def _finding_vars(f: Finding) -> dict[str, object]:
    return {
        "id": f.id,
        "severity": f.severity.label,
        "severity_rank": int(f.severity),
        "package": f.package,
        "version": f.version,
        "message": f.message,
        "evidence": f.evidence,
        "ecosystem": f.ecosystem,
        "ref": str(f.ref) if f.ref else None,
    }


def _package_vars(
    name: str | None, version: str | None, p: Package | None, facts: ProjectFacts | None
) -> dict[str, object]:
    uploads = [r.uploaded_at for r in facts.releases if r.uploaded_at] if facts else []
    first = min(uploads).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if uploads else None
    people = facts.people if facts else ()
    return {
        "ecosystem": p.ecosystem if p else None,
        "name": name,
        "version": p.version if p else version,
        "direct": p.direct if p else False,
        "origin": p.origin.value if p else None,
        "owners": [a.user for a in facts.owners] if facts else [],
        "organization": facts.organization if facts else None,
        "emails": [person.email for person in people],
        "domains": sorted({person.domain for person in people}),
        "latest_version": facts.latest_version if facts else None,
        "first_release": first,
        "release_count": len(facts.releases) if facts else 0,
        "has_facts": facts is not None,
    }


def _sample() -> dict[str, Any]:
    return {
        "finding": _cel(_finding_vars(Finding("sample", Severity.INFO, "sample", "1.0", "sample"))),
        "package": _cel(_package_vars("sample", "1.0", None, None)),
    }
