"""`chaingate inspect`: read a package archive (or a directory) without executing anything,
run the detectors on every file, and combine the findings into one verdict.

Where a finding sits changes its weight: test, documentation and example directories (at any
depth) weigh one level less, and in an sdist or a source tree the maintainers' own scripts
(`scripts/`, `tools/`, `ci/`, `.github/`, benchmarks, ...) weigh two levels less, because
pip never runs or installs them; an install hook that runs one is caught in `setup.py`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import msgspec
from msgspec.structs import replace

from chaingate.analysis.analysers import analysers, claiming
from chaingate.analysis.archive.files import files_of, is_native
from chaingate.analysis.interface import CodeFinding, HostileArchive, Limits
from chaingate.core.findings import Severity

# Directory names (any depth) whose code is tests, documentation or examples.
_LESS_WEIGHT = re.compile(
    r"^(?:.*[ _.-])?(?:tests?|testing|unit_?tests?|testsuite|docs?|examples?|samples?)"
    r"(?:[ _.-].*)?$",
    re.I,
)
# Top-level directories of an sdist or source tree holding the maintainers' own tooling.
_TOOLING = re.compile(
    r"^(?:scripts?|tools?|tooling|ci|\.ci|\.circleci|\.github|\.gitlab|dev|devtools|"
    r"build_tools|tasks|bench\w*|asv_bench|maint\w*)$",
    re.I,
)


# Top-level directories of a source tree that hold its packages (src layout).
_SOURCE_ROOTS = frozenset({"src", "lib", "python", "py"})


class Inspection(msgspec.Struct, frozen=True):
    target: str
    verdict: Severity | None  # None: nothing found
    findings: tuple[CodeFinding, ...]
    files: int
    bytes_read: int
    # What was not analysed, and why ("pkg/gen.py: larger than ..."): a file or the rest of
    # the archive beyond the analyser's memory and time bounds. Not empty: the verdict covers
    # only what was read, and the package was not fully checked.
    incomplete: tuple[str, ...] = ()


def _library_name(name: str) -> bool:
    """Extension modules and the shared libraries wheels bundle next to them."""
    base = name.rsplit("/", 1)[-1]
    return base.endswith((".so", ".pyd", ".dll", ".dylib")) or ".so." in base


def _pure_python(target: Path) -> bool:
    """A wheel tagged py2/py3-none-any promises no native code."""
    name = target.name
    return name.endswith(".whl") and name[:-4].split("-")[-1] == "any"


def _is_sdist(target: Path) -> bool:
    return not target.is_dir() and not target.name.endswith((".whl", ".egg"))


def _inner(path: str, sdist: bool) -> str:
    return path.split("/", 1)[1] if sdist and "/" in path else path


def source_tree(target: Path) -> bool:
    """An sdist or a directory: built (and so run) by pip, not installed as it is."""
    return _is_sdist(target) or target.is_dir()


def _install_time(target: Path, limits: Limits, paths: set[str]) -> list[CodeFinding]:
    """The backend's modules analysed as code that runs at install time."""
    out: list[CodeFinding] = []
    try:
        for f in files_of(target, limits):
            if f.path in paths and f.whole and (analyser := claiming(f.path)):
                out += analyser.analyse(f.path, f.data, install_time=True)
    except HostileArchive:
        pass  # already reported by the first pass
    return out


def _imports(target: Path, limits: Limits, sdist: bool) -> set[str]:
    """What the package's sources (tests, docs and examples left out) import: read again
    only for an archive that holds a native library, most hold none."""
    out: set[str] = set()
    try:
        for f in files_of(target, limits):
            if f.whole and not less_weight(_inner(f.path, sdist)) and (a := claiming(f.path)):
                out |= a.imported_names(f.path, f.data)
    except HostileArchive:
        pass  # already reported by the first pass
    return out


def less_weight(inner: str) -> bool:
    """Tests, documentation or examples (a directory at any depth), or a conftest.py."""
    parts = inner.split("/")
    return parts[-1] == "conftest.py" or any(_LESS_WEIGHT.match(d) for d in parts[:-1])


def weigh(
    f: CodeFinding,
    *,
    sdist: bool,
    source_tree: bool,
    packages: frozenset[str] = frozenset(),
    setup_refs: frozenset[str] = frozenset(),
    install_time: frozenset[str] = frozenset(),
) -> CodeFinding:
    """A finding's weight by where it sits (see the module docstring). `packages` are the
    directories holding an `__init__.py`: a tooling-named directory that is a Python
    package is code like any other. `setup_refs` are what setup.py quotes and imports
    (`quoted_names`): a module of a tooling directory that setup.py imports runs at install
    time and is not discounted (one setup.py only names, as psutil's names
    scripts/internal/convert_readme.py, is)."""
    inner = _inner(f.path, sdist)
    dirs = inner.split("/")[:-1]
    down = 0
    stem = inner.rsplit("/", 1)[-1].split(".", 1)[0]
    used_by_setup = bool(dirs) and f"import:{stem}" in setup_refs
    if (
        source_tree
        and dirs
        and _TOOLING.match(dirs[0])
        and dirs[0] not in packages
        and not used_by_setup
    ) or (
        # A loose script of a source tree: below the root, in no Python package at any
        # depth, outside a src/ or lib/ layout, neither setup.py's helper nor the build
        # backend: pip never imports or runs it (duckdb's third_party/*/transform-*.py).
        source_tree
        and dirs
        and dirs[0] not in _SOURCE_ROOTS
        and not any("/".join(dirs[: i + 1]) in packages for i in range(len(dirs)))
        and not used_by_setup
        and f.path not in install_time
    ):
        down = 2
    elif less_weight(inner):
        down = 1
    return replace(f, severity=f.severity.bump(-down)) if down else f


# Finding ids whose medium is a strong signal on its own: code that reads secrets and sends
# them, hides its code or runs a data file is never healthy by accident, so one kind of it is
# not demoted the way one weak signal (a shady URL, a launcher, a medium import-time call) is.
STRONG_IDS = frozenset(
    {"exfiltration", "browser-hijack", "protected-code", "data-exec", "write-then-run"}
)


def verdict(findings: tuple[CodeFinding, ...]) -> Severity | None:
    """The package-level severity. High and critical findings speak for themselves; one kind
    of weak medium finding (one id, not in STRONG_IDS) with nothing else at medium or above
    stays low."""
    if not findings:
        return None
    worst = max(f.severity for f in findings)
    ids = {f.id for f in findings if f.severity >= worst}
    if worst == Severity.MEDIUM and len(ids) == 1 and not ids & STRONG_IDS:
        return Severity.LOW
    return worst


def _binary_finding(name: str, pure: bool, referenced: bool, sdist: bool = False) -> CodeFinding:
    if pure or (sdist and _library_name(name)):
        severity = Severity.HIGH if referenced else Severity.MEDIUM
        where = (
            " inside a wheel that declares no native code (py3-none-any)"
            if pure
            else " prebuilt inside a source distribution, which pip builds from source"
        )
        why = where + (", and the package's code names it or imports it" if referenced else "")
    else:
        severity, why = Severity.MEDIUM, " that is not an extension module"
    return CodeFinding(
        "bundled-binary",
        severity,
        name,
        None,
        f"{name} is a native executable{why}: it can run anything and cannot be reviewed "
        "as source.",
    )


def inspect_path(target: Path, limits: Limits | None = None) -> Inspection:
    """Inspect an archive (.tar.gz, .zip, .whl, ...) or a directory: every file goes to the
    analyser of its language (`analysis.analysers`)."""
    limits = limits or Limits()
    findings: list[CodeFinding] = []
    files = total = 0
    pure = _pure_python(target)
    binaries: list[str] = []
    quoted: set[str] = set()
    setup_refs: set[str] = set()  # what setup.py quotes and imports
    tooling_modules: set[str] = set()  # sources under scripts/, tools/, ...
    sdist = _is_sdist(target)
    packages: set[str] = set()
    backend: set[str] = set()  # paths of an in-tree build backend's modules
    tree = source_tree(target)
    incomplete: list[str] = []
    deadline = time.monotonic() + limits.max_seconds
    try:
        for f in files_of(target, limits):
            if time.monotonic() > deadline:
                incomplete.append(
                    f"{target.name}: the analysis stopped at {f.path} after {files} files, "
                    f"over its time budget of {limits.max_seconds:g} s"
                )
                break
            files += 1
            total += f.size
            if f.path.endswith("/__init__.py"):
                packages.add(_inner(f.path, sdist).rsplit("/", 1)[0])
            if is_native(f.data):
                if pure or sdist or not _library_name(f.path):
                    binaries.append(f.path)
                continue
            analyser = claiming(f.path)
            if not f.whole:
                if analyser is not None:
                    big = analyser.too_large(f.path, f.size, limits.max_source_bytes)
                    findings.extend([big] if big is not None else [])
                    if big is not None:
                        incomplete.append(
                            f"{f.path}: {f.size:,} bytes, over the {limits.max_source_bytes:,} "
                            "read per source file"
                        )
                continue
            if tree:
                inner = _inner(f.path, sdist)
                for a in analysers():
                    if modules := a.install_time_files(inner, f.data):
                        root = f.path[: len(f.path) - len(inner)]
                        backend = {root + m for m in modules}
            if tree and analyser is not None:
                inner = _inner(f.path, sdist)
                if inner == "setup.py":
                    setup_refs |= analyser.imported_names(f.path, f.data)
                elif "/" in inner and _TOOLING.match(inner.split("/", 1)[0]):
                    tooling_modules.add(f.path)
            if analyser is not None:
                found, why = analyser.analyse_bounded(f.path, f.data)
                findings.extend(found)
                if why is not None:
                    incomplete.append(f"{f.path}: {why}")
                # Tests naming a launcher (setuptools' test_setuptools.py quotes
                # 'cli-64.exe') do not run it for the package's users.
                if pure and not less_weight(_inner(f.path, sdist)):
                    quoted |= analyser.quoted_names(f.path, f.data)
    except HostileArchive as exc:
        findings.append(
            CodeFinding(
                "hostile-archive",
                Severity.CRITICAL,
                target.name,
                None,
                f"refused to unpack {target.name}: {exc}",
            )
        )
    # Modules of the maintainers' tooling directories that setup.py imports run when pip
    # builds the sdist: analysed as install-time code, as a build backend is.
    backend |= {
        path
        for path in tooling_modules
        if f"import:{path.rsplit('/', 1)[-1].removesuffix('.py')}" in setup_refs
    }
    if backend:
        findings = [f for f in findings if f.path not in backend]
        findings += _install_time(target, limits, backend)
    if any(_library_name(b) for b in binaries) and (pure or sdist):
        quoted |= _imports(target, limits, sdist)  # a second pass, only for such archives
    for name in binaries:
        base = name.rsplit("/", 1)[-1]
        # The file's own name, quoted: "triton", "helper.exe". A stem alone ('cli' for
        # cli.exe) is too common a word to say the code runs this file.
        # An extension module is loaded by importing its stem (`_speedups` for
        # `_speedups.cpython-311-x86_64-linux-gnu.so`).
        referenced = base in quoted or (
            _library_name(name) and f"import:{base.split('.', 1)[0]}" in quoted
        )
        findings.append(_binary_finding(name, pure, referenced, sdist))
    frozen = frozenset(packages)
    weighed = tuple(
        sorted(
            (
                weigh(
                    f,
                    sdist=sdist,
                    source_tree=tree,
                    packages=frozen,
                    setup_refs=frozenset(setup_refs),
                    install_time=frozenset(backend),
                )
                for f in findings
            ),
            key=lambda f: (-f.severity, f.path, f.line or 0),
        )
    )
    return Inspection(str(target), verdict(weighed), weighed, files, total, tuple(incomplete))
