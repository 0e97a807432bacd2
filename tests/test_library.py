"""docs/library.md's example, run as written against a local PyPI (the index URL swapped)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.pypiserver import PyPIServer

DOC = Path(__file__).resolve().parents[1] / "docs" / "library.md"
LOCK = Path(__file__).resolve().parent / "inventory" / "fixtures" / "uv" / "uv.lock"


def test_the_documented_example_runs(
    pypi_server: PyPIServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert 'INDEX = "https://pypi.org"' in code
    code = code.replace('INDEX = "https://pypi.org"', f'INDEX = "{pypi_server.url}"')
    shutil.copytree(LOCK.parent, tmp_path / "project")
    monkeypatch.chdir(tmp_path / "project")
    namespace: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "## " in out or "chaingate" in out  # the markdown report
    assert "pypi:requests==2.32.3" in out
    assert (tmp_path / "project" / "chaingate.db").exists()
