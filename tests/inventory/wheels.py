"""Tiny wheels written by hand, and a PEP 503 index of them, so resolution and installs run
against real files without leaving the machine."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path


def write_wheel(
    directory: Path,
    name: str,
    version: str,
    requires: list[str],
    modules: dict[str, str] | None = None,
    *,
    build: str | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    """A minimal but valid pure-Python wheel: METADATA with Requires-Dist, WHEEL, RECORD;
    `build` is a build tag for the file name, `extra` more files (path -> text), `modules`
    adds or replaces files (path in the wheel -> text)."""
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    extras = sorted(set(re.findall(r"extra == '([^']+)'", " ".join(requires))))
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Provides-Extra: {e}\n" for e in extras)
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: chaingate-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        **(extra or {}),
    }
    files.update(modules or {})
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record += f"{path},sha256={digest.decode()},{len(text.encode())}\n"
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    tag = f"-{build}" if build else ""
    wheel = directory / f"{module}-{version}{tag}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


def write_index(root: Path, projects: dict[str, dict[str, list[str]]]) -> None:
    """`root/simple/<name>/index.html` (PEP 503) linking wheels in `root/files/`.

    `projects` maps name -> version -> Requires-Dist lines.
    """
    (root / "files").mkdir(parents=True)
    for name, versions in projects.items():
        links = []
        for version, requires in versions.items():
            wheel = write_wheel(root / "files", name, version, requires)
            sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
            links.append(f'<a href="../../files/{wheel.name}#sha256={sha}">{wheel.name}</a>')
        page = root / "simple" / name / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text("<!DOCTYPE html><html><body>" + "".join(links) + "</body></html>")


# An in-tree PEP 517 backend that leaves a mark when a resolver runs it: proof that
# resolving an sdist executes code from the index.
_MARKING_BACKEND = """import os
import pathlib


def _mark(hook):
    with open(os.environ["CG_BUILD_MARK"], "a", encoding="utf-8") as out:
        out.write(hook + "\\n")


def get_requires_for_build_wheel(config_settings=None):
    _mark("get_requires_for_build_wheel")
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _mark("prepare_metadata_for_build_wheel")
    info = pathlib.Path(metadata_directory) / "{module}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text({metadata!r})
    return info.name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _mark("build_wheel")
    raise RuntimeError("not needed to resolve")
"""


def write_marking_sdist(root: Path, name: str, version: str, requires: list[str]) -> None:
    """An sdist-only project in the index at `root` (made by `write_index`) whose metadata
    only its build backend can give (Metadata-Version 2.1, nothing static in pyproject), so
    a resolver must run the backend, which appends each hook it runs to $CG_BUILD_MARK."""
    import io
    import tarfile

    module = name.replace("-", "_")
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    top = f"{module}-{version}"
    members = {
        f"{top}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{top}/pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        'backend-path = ["."]\n',
        f"{top}/backend.py": _MARKING_BACKEND.format(
            module=module, version=version, metadata=metadata
        ),
    }
    sdist = root / "files" / f"{top}.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        for path, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    sha = hashlib.sha256(sdist.read_bytes()).hexdigest()
    page = root / "simple" / name / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        f'<!DOCTYPE html><html><body><a href="../../files/{sdist.name}#sha256={sha}">'
        f"{sdist.name}</a></body></html>"
    )
