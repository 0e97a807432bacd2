"""What a Python project's files say beyond their code: the in-tree build backend that
pyproject.toml names (its modules run at install time), the file names the sources quote (how
code that runs a bundled binary names it), and where a source first imports network or
process modules (for the release comparison)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator

from chaingate.analysis.interface import Capability

# A quoted file name in Python source: how code that runs a bundled binary names it.
_QUOTED = re.compile(rb"[\"']([^\"'\r\n]{1,200})[\"']")
_NAMEISH = re.compile(r"^[\w.+-]{2,100}$")

_NETWORK_MODULES = frozenset(
    {
        "socket",
        "requests",
        "httpx",
        "aiohttp",
        "urllib3",
        "ftplib",
        "smtplib",
        "telnetlib",
        "paramiko",
        "websocket",
        "websockets",
        "pycurl",
        "http.client",
        "urllib.request",
        "xmlrpc.client",
        "dns.resolver",
    }
)
_PROCESS_MODULES = frozenset({"subprocess", "pty", "commands"})
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([\w., \t]+)|import[ \t]+([\w., \t]+))",
    re.M,
)
_RELATIVE_IMPORT = re.compile(
    rb"^[ \t]*from[ \t]+(\.+[\w.]*)[ \t]+import[ \t]+\(?([\w., \t]+)", re.M
)
_DYNAMIC_IMPORT = re.compile(rb"""(?:__import__|import_module)\(\s*['"]([\w.]+)['"]""")
_OS_PROCESS = re.compile(rb"\bos\.(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)\(")


MAX_PYPROJECT = 1024 * 1024


def backend_modules(pyproject: bytes) -> set[str]:
    """The files of an in-tree build backend (`[build-system] backend-path`), relative to the
    project root: `build-backend = "pkg.build:api"` with `backend-path = ["tools"]` gives
    tools/pkg/build.py and tools/pkg/build/__init__.py. Empty for an installed backend, and
    for a pyproject.toml over MAX_PYPROJECT bytes (10 MB of tables took 766 MB to parse; real
    ones are a few KB): its backend's modules are then analysed as ordinary code."""
    if len(pyproject) > MAX_PYPROJECT:
        return set()
    try:
        system = tomllib.loads(pyproject.decode("utf-8")).get("build-system", {})
    except (ValueError, RecursionError):  # not UTF-8, not TOML, or beyond its limits
        return set()
    if not isinstance(system, dict):
        return set()
    paths, name = system.get("backend-path"), system.get("build-backend")
    if not isinstance(paths, list) or not isinstance(name, str) or not name:
        return set()
    module = name.split(":", 1)[0].strip().replace(".", "/")
    out = set()
    for raw in paths:
        if isinstance(raw, str):
            base = raw.strip().strip("/").removeprefix("./")
            prefix = f"{base}/" if base and base != "." else ""
            out |= {f"{prefix}{module}.py", f"{prefix}{module}/__init__.py"}
    return out


def quoted_names(data: bytes) -> set[str]:
    """The file names Python source quotes (`"triton"`, `'bin/helper.exe'`): the last path
    component of every short quoted string that looks like one."""
    out = set()
    for m in _QUOTED.finditer(data):
        base = m.group(1).decode("latin-1").replace("\\", "/").rsplit("/", 1)[-1]
        if _NAMEISH.match(base):
            out.add(base)
    return out


def imported_names(data: bytes) -> set[str]:
    """Prefixed `import:`, the last component of every module the source imports
    (`from ._speedups import x`: `import:_speedups`): how code loads a bundled extension
    module, and which helper modules setup.py imports."""
    out = set()
    for m in _RELATIVE_IMPORT.finditer(data):
        module, names = m.group(1).decode(), m.group(2).decode()
        if module.strip("."):
            out.add("import:" + module.strip(".").rsplit(".", 1)[-1])
        elif module:  # `from . import _speedups`
            out |= {"import:" + w.strip().split(" ")[0] for w in names.split(",") if w.strip()}
    for _, module in _modules(data):
        out.add("import:" + module.rsplit(".", 1)[-1])
    return out


class _LineOf:
    """1-based line numbers of offsets asked for in increasing order, counted on from the last
    one: counting each from the top was quadratic in a file of many imports."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at, self.line = data, 0, 1

    def __call__(self, offset: int) -> int:
        if offset < self.at:
            self.at, self.line = 0, 1
        self.line += self.data.count(b"\n", self.at, offset)
        self.at = offset
        return self.line


def _modules(data: bytes) -> Iterator[tuple[int, str]]:
    line_of = _LineOf(data)
    for m in _IMPORT.finditer(data):
        line = line_of(m.start())
        if m.group(1):
            base = m.group(1).decode()
            yield line, base
            for name in m.group(2).decode().replace("(", " ").split(","):
                word = name.strip().split(" ")[0]
                if word:
                    yield line, f"{base}.{word}"
        else:
            for name in m.group(3).decode().split(","):
                word = name.strip().split(" ")[0]
                if word:
                    yield line, word
    for m in _DYNAMIC_IMPORT.finditer(data):
        yield line_of(m.start()), m.group(1).decode()


def _first(data: bytes, wanted: frozenset[str]) -> Capability | None:
    for line, module in _modules(data):
        parts = module.split(".")
        if any(".".join(parts[:i]) in wanted for i in range(1, len(parts) + 1)):
            return Capability(line, module)
    return None


def first_network(data: bytes) -> Capability | None:
    """The first import of a network module (or `__import__` / `import_module` of one)."""
    return _first(data, _NETWORK_MODULES)


def first_process(data: bytes) -> Capability | None:
    """The first import of a process module, else the first `os.system`-like call."""
    hit = _first(data, _PROCESS_MODULES)
    if hit is None and (m := _OS_PROCESS.search(data)):
        hit = Capability(data.count(b"\n", 0, m.start()) + 1, m.group(0).decode().rstrip("("))
    return hit
