"""The Python analyser: `.py`, `.pth` and `.pyc` files (and pyproject.toml, for an in-tree
build backend), analysed by the detectors of `detectors/` over the syntax-tree index of
`index`. Registered in `chaingate.analysis.analysers` as `ANALYSER`."""

from __future__ import annotations

from chaingate.analysis.interface import Capability, CodeFinding, FindingKind
from chaingate.analysis.python import project
from chaingate.analysis.python.detect import SUFFIXES, analyse_bounded, analyse_file
from chaingate.analysis.python.registry import finding_kinds
from chaingate.core.findings import Severity


class PythonAnalyser:
    name = "python"

    def reads_whole(self, path: str) -> bool:
        return path.lower().endswith(SUFFIXES) or path.rsplit("/", 1)[-1] == "pyproject.toml"

    def claims(self, path: str) -> bool:
        return path.replace("\\", "/").rsplit("/", 1)[-1].lower().endswith(SUFFIXES)

    def analyse(self, path: str, data: bytes, *, install_time: bool = False) -> list[CodeFinding]:
        return analyse_file(path, data, install_time=install_time)

    def analyse_bounded(self, path: str, data: bytes) -> tuple[list[CodeFinding], str | None]:
        return analyse_bounded(path, data)

    def too_large(self, path: str, size: int, limit: int) -> CodeFinding | None:
        if not path.lower().endswith((".py", ".pth")):
            return None
        return CodeFinding(
            "unparsable-source",
            Severity.LOW,
            path,
            None,
            f"{path} is {size / 1e6:.0f} MB, over the {limit / 1e6:.0f} MB analysed per source "
            "file: review it by other means.",
        )

    def install_time_files(self, path: str, data: bytes) -> set[str]:
        return project.backend_modules(data) if path == "pyproject.toml" else set()

    def quoted_names(self, path: str, data: bytes) -> set[str]:
        return project.quoted_names(data) if path.endswith(".py") else set()

    def imported_names(self, path: str, data: bytes) -> set[str]:
        return project.imported_names(data) if path.endswith(".py") else set()

    def capabilities(self, path: str, data: bytes) -> tuple[Capability | None, Capability | None]:
        if not path.endswith(".py"):
            return None, None
        return project.first_network(data), project.first_process(data)

    def kinds(self) -> tuple[FindingKind, ...]:
        return finding_kinds()


ANALYSER = PythonAnalyser()
