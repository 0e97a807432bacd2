"""pyproject.toml: PEP 621, PEP 735, uv sources and Poetry tables, with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaingate.core.inventory import Declared, InventoryError, Manifest, Origin
from chaingate.ecosystems.pypi.manifests import pyproject
from tests.inventory.documents import write

FIXTURES = Path(__file__).parent / "fixtures"


def by_name(manifest: Manifest) -> dict[str, Declared]:
    return {entry.name: entry for entry in manifest.entries}


def test_pep621_and_dependency_groups() -> None:
    manifest = pyproject.parse(FIXTURES / "pyproject" / "pyproject.toml", "pyproject.toml")

    assert manifest.kind == "pyproject"
    assert not manifest.locked
    entries = by_name(manifest)
    assert [(n, e.group) for n, e in entries.items()] == [
        ("httpx", None),
        ("django", None),
        ("pydantic-core", None),
        ("tomli", None),
        ("internal-auth", None),
        ("fastjson", None),
        ("patched-lib", None),
        ("psycopg", "postgres"),
        ("sphinx", "docs"),
        ("furo", "docs"),
        ("pytest", "test"),
        ("pytest-cov", "test"),
        ("ruff", "lint"),
        ("ipython", "dev"),
    ]
    assert all(e.direct for e in entries.values())
    assert entries["httpx"].extras == ("http2",)
    assert entries["httpx"].version is None
    assert entries["django"].version == "5.1.4"
    assert entries["pydantic-core"].version == "2.27.2"
    assert entries["tomli"].marker == 'python_version < "3.11"'
    assert entries["fastjson"].origin is Origin.URL
    assert entries["patched-lib"].origin is Origin.VCS
    # [tool.uv.sources] sends internal-auth to a local checkout, not the index.
    assert entries["internal-auth"].origin is Origin.PATH
    assert entries["internal-auth"].url == "../internal-auth"


def test_each_dependency_points_at_its_own_line() -> None:
    manifest = pyproject.parse(FIXTURES / "pyproject" / "pyproject.toml", "pyproject.toml")
    lines = {e.name: e.location.line for e in manifest.entries}

    assert lines["httpx"] == 10
    assert lines["patched-lib"] == 16
    assert lines["psycopg"] == 20
    assert lines["furo"] == 23
    assert lines["ruff"] == 28
    assert lines["ipython"] == 29
    assert {e.location.file for e in manifest.entries} == {"pyproject.toml"}


def test_poetry_tables() -> None:
    manifest = pyproject.parse(FIXTURES / "poetry" / "pyproject.toml", "pyproject.toml")

    entries = by_name(manifest)
    assert "python" not in entries
    assert entries["rich"].specifier == "^13.7"
    assert entries["rich"].version is None
    assert entries["click"].version == "8.1.7"  # a bare version is an exact pin in Poetry
    assert entries["six"].group == "compat"  # optional, named by [tool.poetry.extras]
    assert entries["helper"].origin is Origin.PATH
    assert entries["helper"].url == "libs/helper"
    assert entries["iniconfig"].group == "dev"
    assert entries["iniconfig"].location.line == 19


def test_poetry_git_url_sources_and_legacy_dev_dependencies(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        """\
[tool.poetry.dependencies]
python = "^3.11"
tool = { git = "https://github.com/example/tool.git", tag = "v1.2" }
fast = { url = "https://example.com/fast-1.0-py3-none-any.whl" }
private = { version = "==2.0.1", source = "corp" }
multi = [
    { version = "<2", markers = "python_version < '3.12'" },
    { version = ">=2", markers = "python_version >= '3.12'" },
]
"Zope.Interface" = { version = "*", extras = ["test"] }

[tool.poetry.dev-dependencies]
pytest = "*"

[[tool.poetry.source]]
name = "corp"
url = "https://pypi.corp.example/simple"
""",
    )

    manifest = pyproject.parse(path, "pyproject.toml")

    entries = by_name(manifest)
    assert entries["tool"].origin is Origin.VCS
    assert entries["tool"].url == "git+https://github.com/example/tool.git@v1.2"
    assert entries["fast"].origin is Origin.URL
    assert entries["private"].version == "2.0.1"
    assert entries["private"].url == "https://pypi.corp.example/simple"
    assert [e.marker for e in manifest.entries if e.name == "multi"] == [
        "python_version < '3.12'",
        "python_version >= '3.12'",
    ]
    assert entries["zope-interface"].extras == ("test",)
    assert entries["zope-interface"].location.line == 10
    assert entries["pytest"].group == "dev"


def test_pdm_dev_dependencies() -> None:
    manifest = pyproject.parse(FIXTURES / "pdm" / "pyproject.toml", "pyproject.toml")

    entries = by_name(manifest)
    assert entries["iniconfig"].group == "dev"
    assert entries["helper"].origin is Origin.PATH


def test_include_group_must_name_a_group(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[dependency-groups]\ntest = ["pytest"]\nall = [{include-group = "lnt"}]\n',
    )

    with pytest.raises(InventoryError, match="unknown group 'lnt'") as caught:
        pyproject.parse(path, "pyproject.toml")

    assert caught.value.line == 3


def test_include_group_cycle_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[dependency-groups]\na = [{include-group = "b"}]\nb = ["x", {include-group = "a"}]\n',
    )

    with pytest.raises(InventoryError, match="include cycle"):
        pyproject.parse(path, "pyproject.toml")


def test_invalid_requirement_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = [\n  "ok",\n  "bad>>=1",\n]\n',
    )

    with pytest.raises(InventoryError, match="invalid requirement 'bad>>=1'") as caught:
        pyproject.parse(path, "svc/pyproject.toml")

    assert (caught.value.file, caught.value.line) == ("svc/pyproject.toml", 5)


def test_toml_syntax_error_uses_tomllib_line(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", '[project]\nname = "x"\ndependencies = ["a",\n\n= 3\n')

    with pytest.raises(InventoryError, match="invalid TOML") as caught:
        pyproject.parse(path, "pyproject.toml")

    assert caught.value.line == 5
    assert "(at line" not in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[project]\ndependencies = "requests"\n', "must be an array"),
        ("[project]\ndependencies = [1]\n", "requirement strings"),
        ('project = "x"\n', "must be a table"),
        ("[tool.poetry.dependencies]\nx = 3\n", "must be a table"),
        ('[tool.uv.sources]\nx = { nothing = "here" }\n', "names no git"),
    ],
)
def test_wrong_shapes_are_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InventoryError, match=message):
        pyproject.parse(write(tmp_path, "pyproject.toml", text), "pyproject.toml")
