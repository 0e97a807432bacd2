"""The shape of code analysis: detectors declared in one place each, every finding id
documented, the archive layer free of any one language, and no module too long to read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from chaingate.analysis import deep
from chaingate.analysis.analysers import analysers, claiming
from chaingate.analysis.interface import FINDING_IDS, finding_kinds
from chaingate.analysis.python import detect, registry
from chaingate.analysis.python.index import Context
from chaingate.analysis.python.registry import Detector
from chaingate.core.findings import Severity

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = ROOT / "src" / "chaingate" / "analysis"


def _documented_ids() -> list[str]:
    text = (ROOT / "docs" / "artifacts.md").read_text()
    table = text.split("## Finding ids", 1)[1]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", table, re.M)


def test_every_finding_id_is_declared_once_and_documented() -> None:
    kinds = finding_kinds()
    ids = [k.id for k in kinds]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(_documented_ids())
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    assert all(k.summary and k.doc == f"docs/artifacts.md#{k.id}" for k in kinds)
    assert {d.finding for d in registry.DETECTORS} <= set(ids)
    # the public dict is the registry's view, not a second list
    assert {k.id: k.summary for k in kinds} == FINDING_IDS


def test_the_signal_catalog_agrees_with_the_declared_severities() -> None:
    from chaingate.signals.catalog import SIGNALS, load_catalog

    load_catalog()
    for kind in finding_kinds():
        if not kind.id.startswith("new-"):
            assert SIGNALS[kind.id].severity == kind.severity, kind.id
            assert SIGNALS[kind.id].summary == kind.summary, kind.id


def test_detectors_declare_what_they_want() -> None:
    stages = {d.stage for d in registry.DETECTORS}
    assert stages == {"file", "tree", "text"}
    for d in registry.DETECTORS:
        assert d.check.__doc__ or d.stage == "tree", d.name
        assert d.suffix in detect.SUFFIXES
    with pytest.raises(ValueError, match="unknown call kinds"):
        registry.tree_detector("x", Severity.LOW, calls=("netwrok",))


def test_a_new_detector_is_one_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registering a function is all it takes for `analyse_file` to run it, on the files
    making the calls it wants."""
    monkeypatch.setattr(registry, "DETECTORS", list(registry.DETECTORS))
    monkeypatch.setattr(registry, "KINDS", dict(registry.KINDS))

    @registry.tree_detector("toy-finding", Severity.LOW, "A toy", calls=("process",))
    def toy(ctx: Context) -> None:
        ctx.add("toy-finding", Severity.LOW, ctx.calls[0], "a process")

    assert registry.DETECTORS[-1] == Detector(
        "toy-finding", Severity.LOW, "tree", toy, ".py", ("process",)
    )
    assert registry.finding_kinds()[-1].summary == "A toy"
    found = detect.analyse_file("pkg/m.py", b"import os\ndef f():\n    os.system('ls')\n")
    assert [(f.id, f.line) for f in found] == [("toy-finding", 3)]
    assert detect.analyse_file("pkg/m.py", b"import os\nos.getcwd()\n") == []


def test_the_python_analyser_claims_its_files() -> None:
    (python,) = analysers()
    assert python.name == "python"
    assert claiming("pkg/a.py") is python and claiming("pkg/A.PTH") is python
    assert claiming("pkg/data.json") is None
    assert python.reads_whole("pkg-1.0/pyproject.toml") and not python.claims("pyproject.toml")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def test_the_archive_layer_imports_no_language() -> None:
    neutral = [*sorted((ANALYSIS / "archive").glob("*.py")), ANALYSIS / "inspect.py"]
    for path in neutral:
        assert not any(m.startswith("chaingate.analysis.python") for m in _imports(path)), path


def test_no_analysis_module_is_over_800_lines() -> None:
    sizes = {p: len(p.read_text().splitlines()) for p in ANALYSIS.rglob("*.py")}
    assert all(n <= 800 for n in sizes.values()), {p: n for p, n in sizes.items() if n > 800}


def test_the_cache_fingerprint_covers_every_analysis_module() -> None:
    covered = set(deep.analyser_sources())
    assert covered == set(ANALYSIS.rglob("*.py"))
    assert ANALYSIS / "python" / "detectors" / "exfiltration.py" in covered
