"""Manifest parsers take time linear in their input (issue 12, item 13): a line padded with
64,000 spaces, a 4 MB requirements file and locks of thousands of packages parse in seconds.
Each parse runs in a child process with a deadline, so a quadratic parser fails the test
instead of hanging the suite."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# Generous: each case takes well under a second with linear parsers, and minutes without.
DEADLINE = 10.0


def parse_within(kind: str, path: Path, deadline: float = DEADLINE) -> str:
    """Parse `path` with the `kind` parser in a child process; its output (the number of
    entries), or a failure naming the deadline."""
    script = textwrap.dedent(
        f"""
        import importlib
        from pathlib import Path
        module = importlib.import_module("chaingate.ecosystems.pypi.manifests.{kind}")
        manifest = module.parse(Path({str(path)!r}), {path.name!r})
        print(len(manifest.entries))
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=deadline
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"parsing {path.name} ({path.stat().st_size} bytes) took over {deadline} s")
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_requirement_padded_with_64000_spaces_parses_quickly(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("six" + " " * 64_000 + "==1.16.0  # the comment\n")
    assert parse_within("requirements", path, deadline=5.0) == "1"


def test_a_4_mb_requirements_file_parses_quickly(tmp_path: Path) -> None:
    # Hash-pinned entries with continuations and via comments, then a long run of
    # whitespace-padded lines: what pip-compile writes, and what an attacker can add.
    lines = []
    n = 0
    while sum(map(len, lines)) < 3_000_000:
        lines.append(f"pkg{n}==1.{n} \\\n    --hash=sha256:{n:064x}\n    # via app\n")
        n += 1
    lines.append("tail" + " " * 1_000_000 + "==1.0 \\\n" + " " * 10_000 + "# end\n")
    path = tmp_path / "requirements.txt"
    path.write_text("".join(lines))
    assert path.stat().st_size > 4_000_000
    assert parse_within("requirements", path) == str(n + 1)


def test_a_pipfile_lock_of_16000_packages_parses_quickly(tmp_path: Path) -> None:
    # Each package's line used to be searched for from the top of its section.
    digest = "sha256:" + "ab" * 32
    section = {f"pkg{i}": {"hashes": [digest], "version": f"==1.{i}"} for i in range(8000)}
    doc = {
        "_meta": {"sources": []},
        "default": section,
        "develop": {"x" + k: v for k, v in section.items()},
    }
    path = tmp_path / "Pipfile.lock"
    path.write_text(json.dumps(doc, indent=4))
    assert parse_within("pipfile_lock", path) == "16000"


def test_a_pyproject_of_16000_dependencies_parses_quickly(tmp_path: Path) -> None:
    # Each dependency's line (and each uv source's) used to be searched for from the top.
    deps = "".join(f'    "pkg{i}>=1.{i}",\n' for i in range(8000))
    poetry = "".join(f'ppkg{i} = "^1.{i}"\n' for i in range(8000))
    path = tmp_path / "pyproject.toml"
    path.write_text(
        f'[project]\nname = "demo"\nversion = "1"\ndependencies = [\n{deps}]\n\n'
        f"[tool.poetry.dependencies]\n{poetry}"
    )
    assert parse_within("pyproject", path) == "16000"


@pytest.mark.parametrize("kind", ["uv_lock", "poetry_lock", "pdm_lock", "pylock"])
def test_toml_locks_of_8000_packages_parse_quickly(tmp_path: Path, kind: str) -> None:
    digest = "sha256:" + "ab" * 32
    tables = []
    for i in range(8000):
        wheel = f"pkg{i}-1.{i}-py3-none-any.whl"
        if kind == "pylock":
            tables.append(
                f'[[packages]]\nname = "pkg{i}"\nversion = "1.{i}"\n'
                f'index = "https://pypi.org/simple"\nwheels = [{{name = "{wheel}", '
                f'url = "https://x/{wheel}", size = 1, hashes = {{sha256 = "{"ab" * 32}"}}}}]\n'
            )
        elif kind == "uv_lock":
            tables.append(
                f'[[package]]\nname = "pkg{i}"\nversion = "1.{i}"\n'
                f'source = {{ registry = "https://pypi.org/simple" }}\n'
                f'dependencies = [{{ name = "pkg{i + 1}" }}]\n'
                f'wheels = [{{ url = "https://x/{wheel}", hash = "{digest}", size = 1 }}]\n'
            )
        else:
            tables.append(
                f'[[package]]\nname = "pkg{i}"\nversion = "1.{i}"\ngroups = ["default"]\n'
                f'files = [{{file = "{wheel}", hash = "{digest}"}}]\n'
            )
    head = {
        "uv_lock": 'version = 1\nrevision = 5\nrequires-python = ">=3.11"\n\n',
        "poetry_lock": '[metadata]\nlock-version = "2.1"\npython-versions = "*"\n\n',
        "pdm_lock": '[metadata]\ngroups = ["default"]\nlock_version = "4.5.0"\n\n',
        "pylock": 'lock-version = "1.0"\ncreated-by = "x"\n\n',
    }[kind]
    name = {"uv_lock": "uv.lock", "poetry_lock": "poetry.lock", "pdm_lock": "pdm.lock"}.get(
        kind, "pylock.toml"
    )
    path = tmp_path / name
    path.write_text(head + "\n".join(tables))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1"\n')
    assert parse_within(kind, path) == "8000"
