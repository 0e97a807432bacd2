"""What a release changed: findings reweighed by what the previous release had, and the
`new-*` findings for capabilities it did not have at all."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from chaingate.analysis.archive.compare import (
    Profile,
    compare,
    inner_path,
    is_patch_release,
    profile,
    profile_path,
)
from chaingate.analysis.interface import CodeFinding
from chaingate.core.findings import Severity
from chaingate.ecosystems.pypi.artifacts import parse_pin

OLD = Path("demo-1.0.0.tar.gz")
NEW = Path("demo-1.0.1.tar.gz")


def test_paths_compare_across_sdists_and_wheels() -> None:
    assert inner_path("demo-1.0.0/src/demo/x.py", sdist=True) == "demo/x.py"
    assert inner_path("demo/x.py", sdist=False) == "demo/x.py"
    assert inner_path("setup.py", sdist=True) == "setup.py"


def test_patch_releases() -> None:
    assert is_patch_release("1.2.3", "1.2.4")
    assert is_patch_release("1.2", "1.2.1")
    assert not is_patch_release("1.2.3", "1.3.0")
    assert not is_patch_release("1.2.4", "1.2.3")
    assert not is_patch_release("", "1.0")


def test_the_profile_sees_imports_aliases_and_os_calls_but_not_tests() -> None:
    files = [
        ("demo-1.0/demo/net.py", b"import os\nfrom urllib import request as r\n"),
        ("demo-1.0/demo/run.py", b"import os\n\ndef go():\n    os.system('ls')\n"),
        ("demo-1.0/demo/dyn.py", b"mod = __import__('socket')\n"),
        ("demo-1.0/tests/test_x.py", b"import subprocess\n"),
        ("demo-1.0/demo/lib.so", b"\x7fELF" + b"\0" * 16),
        ("demo-1.0/demo/plain.py", b"import json\nx = 'import socket'\n"),
    ]
    p = profile(Path("demo-1.0.tar.gz"), files)
    assert p.network == {"demo/net.py": (2, "urllib.request"), "demo/dyn.py": (1, "socket")}
    assert p.process == {"demo/run.py": (4, "os.system")}
    assert p.binaries == {"demo/lib.so"}


def _f(id_: str, sev: Severity, path: str, excerpt: str = "x()") -> CodeFinding:
    return CodeFinding(id_, sev, path, 3, "why", excerpt)


def test_old_code_weighs_less_new_code_more_and_most_in_a_patch_release() -> None:
    old = [_f("shady-url", Severity.MEDIUM, "demo-1.0.0/demo/a.py")]
    new = [
        _f("shady-url", Severity.MEDIUM, "demo-1.0.1/demo/a.py"),
        _f("install-hook", Severity.HIGH, "demo-1.0.1/setup.py"),
        _f("pth-exec", Severity.LOW, "demo-1.0.1/demo.pth"),
    ]
    patch = compare(new, Profile(), old, Profile(), new_target=NEW, old_target=OLD,
                    against="demo==1.0.0", patch=True)  # fmt: skip
    by_id = {f.id: f for f in patch.findings}
    assert by_id["shady-url"].severity == Severity.LOW
    assert "already in demo==1.0.0" in by_id["shady-url"].message
    assert by_id["new-install-hook"].severity == Severity.CRITICAL
    assert by_id["new-pth"].severity == Severity.MEDIUM  # a low oddity goes up one level only
    assert {patch.findings[i].id for i in patch.new} == {"new-install-hook", "new-pth"}
    minor = compare(new, Profile(), old, Profile(), new_target=NEW, old_target=OLD,
                    against="demo==0.9", patch=False)  # fmt: skip
    assert {f.id: f for f in minor.findings}["new-install-hook"].severity == Severity.CRITICAL
    assert {f.id: f for f in minor.findings}["new-pth"].severity == Severity.MEDIUM


def test_a_moved_excerpt_is_new_but_a_moved_line_is_not() -> None:
    old = [CodeFinding("shady-url", Severity.MEDIUM, "demo-1.0.0/demo/a.py", 3, "m", "x()")]
    moved = [CodeFinding("shady-url", Severity.MEDIUM, "demo-1.0.1/demo/a.py", 90, "m", "x()")]
    out = compare(moved, Profile(), old, Profile(), new_target=NEW, old_target=OLD,
                  against="old", patch=True)  # fmt: skip
    assert not out.new
    changed = [CodeFinding("shady-url", Severity.MEDIUM, "demo-1.0.1/demo/a.py", 3, "m", "y()")]
    out = compare(changed, Profile(), old, Profile(), new_target=NEW, old_target=OLD,
                  against="old", patch=True)  # fmt: skip
    assert out.new == frozenset({0}) and out.findings[0].severity == Severity.CRITICAL


def test_first_network_process_and_binary_code_are_findings_of_their_own() -> None:
    new = Profile(
        files={"demo/a.py"},
        binaries={"demo/helper"},
        network={"demo/a.py": (4, "socket")},
        process={"demo/b.py": (9, "subprocess")},
    )
    out = compare([], new, [], Profile(), new_target=NEW, old_target=OLD, against="old",
                  patch=True)  # fmt: skip
    by_id = {f.id: f for f in out.findings}
    assert by_id["new-network-code"].severity == Severity.HIGH
    assert (by_id["new-network-code"].path, by_id["new-network-code"].line) == ("demo/a.py", 4)
    assert by_id["new-process-code"].severity == Severity.MEDIUM
    assert by_id["new-binary"].severity == Severity.HIGH
    # Code the package always had is no news.
    same = compare([], new, [], new, new_target=NEW, old_target=OLD, against="old", patch=True)
    assert same.findings == ()


def test_a_hostile_archive_profiles_as_far_as_it_was_read(tmp_path: Path) -> None:
    bad = tmp_path / "demo-1.0.tar.gz"
    bad.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    assert profile_path(bad) == Profile()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.text(max_size=40))
def test_any_bytes_profile_without_error(data: bytes, name: str) -> None:
    out = profile(Path("x-1.0.tar.gz"), [(f"x-1.0/{name}.py", data), (f"x-1.0/{name}", data)])
    assert all(line >= 1 for line, _ in [*out.network.values(), *out.process.values()])


@given(st.text(max_size=60))
def test_any_text_is_a_pin_or_not(text: str) -> None:
    pin = parse_pin(text)
    assert pin is None or (pin.name and pin.version and "==" in text)
