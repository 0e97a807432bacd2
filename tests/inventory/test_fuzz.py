"""Every parser, fed random bytes or damaged real files, returns a Manifest or raises an
InventoryError naming the file: never a traceback for bad input."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.core.errors import EXIT_USAGE, ChaingateError
from chaingate.core.inventory import Inventory, InventoryError, Manifest
from chaingate.ecosystems.pypi.manifests import (
    pdm_lock,
    pipfile_lock,
    poetry_lock,
    pylock,
    pyproject,
    requirements,
    uv_lock,
)
from chaingate.inventory.build import build_inventory

FIXTURES = Path(__file__).parent / "fixtures"
INDEX = "https://index.invalid"  # never asked: nothing is resolved

Parser = Callable[[Path, str], Manifest]

# name of the file to write, parser, seed documents, sibling files copied beside it
CASES: dict[str, tuple[str, Parser, list[Path], list[Path]]] = {
    "requirements": (
        "requirements.txt",
        requirements.parse,
        [
            FIXTURES / "requirements" / "handwritten" / "requirements.txt",
            FIXTURES / "requirements" / "uv-compiled" / "requirements.txt",
            FIXTURES / "requirements" / "pip-compile" / "requirements.txt",
        ],
        [],
    ),
    "pyproject": (
        "pyproject.toml",
        pyproject.parse,
        [
            FIXTURES / "pyproject" / "pyproject.toml",
            FIXTURES / "poetry" / "pyproject.toml",
            FIXTURES / "pdm" / "pyproject.toml",
        ],
        [],
    ),
    "uv.lock": ("uv.lock", uv_lock.parse, [FIXTURES / "uv" / "uv.lock"], []),
    "poetry.lock": (
        "poetry.lock",
        poetry_lock.parse,
        [FIXTURES / "poetry" / "poetry.lock"],
        [FIXTURES / "poetry" / "pyproject.toml"],
    ),
    "pdm.lock": (
        "pdm.lock",
        pdm_lock.parse,
        [FIXTURES / "pdm" / "pdm.lock"],
        [FIXTURES / "pdm" / "pyproject.toml"],
    ),
    "Pipfile.lock": (
        "Pipfile.lock",
        pipfile_lock.parse,
        [FIXTURES / "pipenv" / "Pipfile.lock"],
        [FIXTURES / "pipenv" / "Pipfile"],
    ),
    "pylock": (
        "pylock.toml",
        pylock.parse,
        [
            FIXTURES / "pylock" / "pep751" / "pylock.toml",
            FIXTURES / "pylock" / "uv-export" / "pylock.toml",
        ],
        [],
    ),
}

# Fragments that matter to the formats, so mutations reach past the first syntax check.
TOKENS = [
    b"\n",
    b"[",
    b"]",
    b"[[package]]\n",
    b"[[packages]]\n",
    b"{",
    b"}",
    b'"',
    b"'",
    b"=",
    b"==",
    b"===",
    b",",
    b":",
    b";",
    b"#",
    b" # via ",
    b"\\\n",
    b"-r ",
    b"-c ",
    b"-e ",
    b"--hash=",
    b"@",
    b"git+",
    b"://",
    b"./",
    b"#egg=",
    b"*",
    b"^",
    b"null",
    b"true",
    b"1" * 5000,
    b"[" * 2000,
    b"\x00",
    b"\xff",
    "é".encode(),
]


# Values of the wrong type or shape, swapped in after a `=` (TOML) or `:` (JSON) so that the
# document stays parseable and the checks after parsing are exercised.
VALUES = [
    b"1",
    b"1.5",
    b"true",
    b'""',
    b'"!!"',
    b'"x"',
    b'"==1"',
    b'"git+https://h/r"',
    b"[]",
    b"[1]",
    b'["x"]',
    b"{}",
    b'{ "x" = 1 }',
    b'{ name = "x" }',
    b"null",
]


@st.composite
def mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """`seed` with a few characters inserted, deleted or replaced, lines duplicated, or a
    value swapped for one of another type."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        operation = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "value"]))
        if operation == "insert":
            data[position:position] = draw(st.sampled_from(TOKENS) | st.binary(max_size=4))
        elif operation == "delete":
            data[position : position + draw(st.integers(1, 40))] = b""
        elif operation == "replace" and position < len(data):
            data[position] = draw(st.integers(min_value=32, max_value=126))
        elif operation == "value":
            found = max(data.rfind(b"= ", 0, position), data.rfind(b": ", 0, position))
            if found >= 0:
                end = data.find(b"\n", found)
                end = len(data) if end < 0 else end
                comma = data.rfind(b",", found, end)
                end = comma if comma > found and data[found : found + 1] == b":" else end
                data[found + 2 : end] = draw(st.sampled_from(VALUES))
        else:
            start = data.rfind(b"\n", 0, position) + 1
            end = data.find(b"\n", position)
            end = len(data) if end < 0 else end + 1
            data[start:start] = data[start:end]
    return bytes(data)


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def documents(kind: str) -> st.SearchStrategy[bytes]:
    seeds = [path.read_bytes() for path in CASES[kind][2]]
    return st.one_of(
        st.sampled_from(seeds).flatmap(mutations),
        st.sampled_from(seeds).flatmap(mutations),
        st.sampled_from(seeds).flatmap(mutations),
        st.text().map(str.encode),
        st.binary(max_size=200),
    )


def check(kind: str, directory: Path, document: bytes) -> None:
    name, parse, _, _ = CASES[kind]
    path = directory / name
    path.write_bytes(document)
    display = f"fuzzed/{name}"
    try:
        manifest = parse(path, display)
    except InventoryError as error:
        assert display in str(error), str(error)
    else:
        assert isinstance(manifest, Manifest)
        assert manifest.path == display


@pytest.mark.parametrize("kind", sorted(CASES))
def test_parsers_never_crash(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp(kind.replace(".", "-"))
    for sibling in CASES[kind][3]:
        shutil.copy(sibling, directory / sibling.name)

    @fuzz(200)
    @given(document=documents(kind))
    def run(document: bytes) -> None:
        check(kind, directory, document)

    run()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_inventory_of_a_project_never_crashes(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Issue 12, item 14: the way the commands read a project (discovery, every parser that
    claims a file, a pyproject's own name, the merge), unresolved: an inventory or a
    `ChaingateError` with exit 2 naming the file, never another exception."""
    directory = tmp_path_factory.mktemp(f"project-{kind.replace('.', '-')}")
    for sibling in CASES[kind][3]:
        shutil.copy(sibling, directory / sibling.name)
    name = CASES[kind][0]

    @fuzz(100)
    @given(document=documents(kind))
    def run(document: bytes) -> None:
        (directory / name).write_bytes(document)
        try:
            inventory = build_inventory(directory, resolve_deps=False, index_url=INDEX)
        except ChaingateError as error:
            assert error.exit_code == EXIT_USAGE
            assert name in error.diagnostics() or "pyproject.toml" in error.diagnostics()
        else:
            assert isinstance(inventory, Inventory)

    run()


@pytest.mark.parametrize("kind", sorted(CASES))
def test_seeds_parse(kind: str, tmp_path: Path) -> None:
    """The seeds are valid, so the mutations start from documents that parse."""
    for seed in CASES[kind][2]:
        check(kind, tmp_path, seed.read_bytes())
