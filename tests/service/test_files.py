"""Uploaded file names and contents as bad input, fuzzed: a name is accepted only when it
stays inside the upload directory, and any content is an inventory or a ProjectFilesError
(never a traceback, never a file outside)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.service.files import ProjectFilesError, check_path, inventory_of

INDEX = "https://pypi.org/simple/"


_PARTS = st.sampled_from(["..", ".", "", "a", "requirements.txt", "C:", "a\\..", "~", " "])


@given(st.one_of(st.text(max_size=80), st.lists(_PARTS, min_size=1, max_size=6).map("/".join)))
def test_an_accepted_name_stays_inside(name: str) -> None:
    try:
        check_path(name)
    except ProjectFilesError as exc:
        assert str(exc).endswith("(a relative path of letters, digits and ._-)")
        return
    p = PurePosixPath(name)
    assert not p.is_absolute() and ".." not in p.parts and "\\" not in name and ":" not in name
    assert all(part not in ("", ".") for part in name.split("/"))


@given(st.sampled_from(["requirements.txt", "pyproject.toml", "poetry.lock", "uv.lock",
                        "Pipfile.lock", "pylock.toml"]), st.text(max_size=300))  # fmt: skip
@settings(max_examples=150, deadline=None)
def test_any_content_is_an_inventory_or_a_clear_error(name: str, content: str) -> None:
    try:
        inventory_of("fuzz", {name: content}, INDEX)
    except ProjectFilesError as exc:
        assert str(exc).startswith(name) and "chaingate-upload" not in str(exc)


def test_nothing_is_written_outside_the_private_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    temp = tmp_path / "temp"  # the private directory is made under here
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    outside = tmp_path / "requirements.txt"
    names = (str(outside), f"../../../../../../{outside}", "a/../../requirements.txt",
             "../requirements.txt", "a/../../../requirements.txt")  # fmt: skip
    for name in names:
        with pytest.raises(ProjectFilesError):
            inventory_of("x", {name: "six==1.16.0\n"}, INDEX)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["temp"]
    inv = inventory_of("x", {"deep/er/requirements.txt": "six==1.16.0\n"}, INDEX)
    assert inv.root == "x" and [p.name for p in inv.packages] == ["six"]
