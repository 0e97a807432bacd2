"""Tiny wheels written by hand, and a PEP 503 index of them, so resolution and installs run
against real files without leaving the machine."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path


def write_wheel(directory: Path, name: str, version: str, requires: list[str]) -> Path:
    """A minimal but valid pure-Python wheel: METADATA with Requires-Dist, WHEEL, RECORD."""
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
    }
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record += f"{path},sha256={digest.decode()},{len(text.encode())}\n"
    files[f"{info}/RECORD"] = record + f"{info}/RECORD,,\n"
    wheel = directory / f"{module}-{version}-py3-none-any.whl"
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
