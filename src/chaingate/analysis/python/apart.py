"""Parsing a file whose syntax tree may be too big for this process: in a child process
whose address space is capped, so that a 7 MB file of `a=1` lines (4.4 GB in one parse) costs
at most the cap, while a real 4 MB generated module (about 100 MB) is still analysed whole.

`analyse_apart` runs `python -m chaingate.analysis.python.apart PATH INSTALL_TIME` with the
file's bytes on stdin; the child answers with its findings and, when it could not finish
(out of memory, nested too deeply to parse), why. A child that dies, or runs past its time,
is a reason too: the file was not analysed, never clean.
"""

from __future__ import annotations

import os
import subprocess
import sys

import msgspec

from chaingate.analysis.interface import CodeFinding

# The child's address space: the interpreter and the analyser take about 20 MB of it.
MEMORY_CAP = 256 * 1024 * 1024
SECONDS = 60.0


class _Answer(msgspec.Struct, frozen=True):
    findings: list[CodeFinding]
    incomplete: str | None


def analyse_apart(
    path: str, data: bytes, install_time: bool
) -> tuple[list[CodeFinding], str | None]:
    """The tree detectors' findings for a `.py` file, parsed in a capped child process, and
    why they are incomplete (None: they are not)."""
    if sys.platform == "win32":  # no address-space limit to set
        return [], f"too big to parse within {MEMORY_CAP // 2**20} MB here"
    # The child imports the chaingate this process runs, wherever it was found.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, path, "1" if install_time else "0"],
            input=data,
            capture_output=True,
            timeout=SECONDS,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return [], f"parsing took over {SECONDS:g} s"
    except OSError as exc:
        return [], f"could not start the parser process: {exc}"
    if done.returncode != 0:
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if not error or "MemoryError" in error[-1] or done.returncode < 0:
            return [], f"parsing needs more than {MEMORY_CAP // 2**20} MB of memory"
        return [], f"the parser process failed: {error[-1][:200]}"
    try:
        answer = msgspec.json.decode(done.stdout, type=_Answer)
    except msgspec.DecodeError:
        return [], "the parser process gave no answer"
    return answer.findings, answer.incomplete


def _main() -> None:  # pragma: no cover - runs in the child
    # The child caps itself before it reads anything (no preexec_fn: the parent may hold
    # threads, and running Python between fork and exec is not safe with them).
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    from chaingate.analysis.python.detect import analyse_python_here

    path, install_time = sys.argv[1], sys.argv[2] == "1"
    data = sys.stdin.buffer.read()
    findings, why = analyse_python_here(path, data, install_time)
    sys.stdout.buffer.write(msgspec.json.encode(_Answer(findings, why)))


if __name__ == "__main__":
    _main()
