"""Finding manifests in a tree, and telling the kind of one file."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaingate.core.inventory import InventoryError
from chaingate.inventory.discover import discover, kind_of, parse_file

FIXTURES = Path(__file__).parent / "fixtures"


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("", encoding="utf-8")


def found(root: Path) -> list[tuple[str, str]]:
    return [(p.relative_to(root).as_posix(), kind) for p, kind in discover(root)]


def test_kinds_and_file_name_patterns(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "requirements.txt",
        "requirements-dev.txt",
        "test-requirements.txt",
        "requirements/prod.txt",
        "notes.txt",
        "services/api/pyproject.toml",
        "services/worker/pylock.toml",
        "services/worker/pylock.gpu.toml",
        "services/worker/pylock.a.b.toml",
        "legacy/Pipfile.lock",
        "legacy/Pipfile",
        "tools/pdm.lock",
        "tools/poetry.lock",
    )

    assert found(tmp_path) == [
        ("legacy/Pipfile.lock", "Pipfile.lock"),
        ("requirements-dev.txt", "requirements"),
        ("requirements.txt", "requirements"),
        ("requirements/prod.txt", "requirements"),
        ("services/api/pyproject.toml", "pyproject"),
        ("services/worker/pylock.gpu.toml", "pylock"),
        ("services/worker/pylock.toml", "pylock"),
        ("test-requirements.txt", "requirements"),
        ("tools/pdm.lock", "pdm.lock"),
        ("tools/poetry.lock", "poetry.lock"),
    ]


def test_a_lock_covers_the_pyproject_beside_it_but_not_requirements(tmp_path: Path) -> None:
    touch(tmp_path, "pyproject.toml", "uv.lock", "requirements.txt", "sub/pyproject.toml")

    assert found(tmp_path) == [
        ("requirements.txt", "requirements"),
        ("sub/pyproject.toml", "pyproject"),
        ("uv.lock", "uv.lock"),
    ]


def test_environments_vcs_caches_and_build_output_are_skipped(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "requirements.txt",
        ".git/requirements.txt",
        ".venv/lib/python3.12/site-packages/x/pyproject.toml",
        "venv/requirements.txt",
        "env/pyvenv.cfg",
        "env/requirements.txt",
        "node_modules/pkg/requirements.txt",
        "__pycache__/requirements.txt",
        ".tox/py312/requirements.txt",
        ".nox/tests/requirements.txt",
        "vendor/site-packages/pyproject.toml",
        "build/lib/pyproject.toml",
        "dist/pyproject.toml",
    )

    assert found(tmp_path) == [("requirements.txt", "requirements")]


def test_recorded_fixtures_are_all_found() -> None:
    kinds = {kind for _, kind in discover(FIXTURES)}

    assert kinds == {
        "requirements",
        "pyproject",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "pdm.lock",
        "pylock",
    }
    paths = {p.relative_to(FIXTURES).as_posix() for p, _ in discover(FIXTURES)}
    assert "uv/pyproject.toml" not in paths  # covered by uv/uv.lock
    assert "uv/uv.lock" in paths


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("requirements.txt", "requirements"),
        ("dev.in", "requirements"),
        ("deps.txt", "requirements"),
        ("pyproject.toml", "pyproject"),
        ("uv.lock", "uv.lock"),
        ("poetry.lock", "poetry.lock"),
        ("pdm.lock", "pdm.lock"),
        ("Pipfile.lock", "Pipfile.lock"),
        ("pylock.toml", "pylock"),
        ("pylock.dev.toml", "pylock"),
    ],
)
def test_kind_of_a_file_named_on_the_command_line(name: str, kind: str) -> None:
    assert kind_of(Path("project") / name) == kind


@pytest.mark.parametrize("name", ["setup.py", "Pipfile", "package-lock.json", "Cargo.lock"])
def test_kind_of_an_unknown_file_is_an_error(name: str) -> None:
    with pytest.raises(InventoryError, match="not a manifest or lock file chaingate understands"):
        kind_of(Path(name))


def test_parse_file_dispatches_by_kind() -> None:
    manifest = parse_file(FIXTURES / "uv" / "uv.lock", "uv.lock", "uv/uv.lock")

    assert manifest.kind == "uv.lock"
    assert manifest.path == "uv/uv.lock"
    with pytest.raises(ValueError, match="unknown manifest kind"):
        parse_file(FIXTURES / "uv" / "uv.lock", "yarn.lock", "uv/uv.lock")
