"""Issue 12, item 14: no traceback, and never exit 1 ("blocked") for an internal error.

Each hostile input the issue names, through the real command in a subprocess against the
local PyPI: a user's bad file ends with `chaingate: <file>:<line>: <what>` and exit 2; a bad
registry or cache answer is not the user's fault (the package is incomplete with a reason,
the cache entry is dropped and fetched again); a bug is exit 70 with one line and a hint.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.errors import EXIT_INTERNAL
from chaingate.net.atomic import seal, unseal
from tests.pypiserver import PyPIServer, recorded_documents

NOW = "2026-11-25T12:00:00Z"
DEEP = "[" * 100_000 + "]" * 100_000
DIGITS = "1" * 5000
DOTTED = ".".join(["a"] * 100_000)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "pypi"


def env_for(tmp_path: Path, server: PyPIServer | None) -> dict[str, str]:
    env = {
        **os.environ,
        "CHAINGATE_CACHE_DIR": str(tmp_path / "cache"),
        "CHAINGATE_DB": f"sqlite:///{tmp_path / 'store.db'}",
        "PIP_CONFIG_FILE": os.devnull,
    }
    env.pop("CHAINGATE_DEBUG", None)
    env.pop("CHAINGATE_INDEX_URL", None)
    if server is not None:
        env["CHAINGATE_INDEX_URL"] = server.url
    return env


def run(
    server: PyPIServer | None, tmp_path: Path, *args: str, code: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`chaingate ARGS` in `tmp_path/app`; `code` runs first in the same process (to plant a
    bug where no input can reach one)."""
    cmd = [sys.executable, "-m", "chaingate", *args]
    if code is not None:
        cmd = [
            sys.executable,
            "-c",
            f"{code}\nimport sys\nsys.argv = ['chaingate', *sys.argv[1:]]\n"
            "from chaingate.cli.entry import main\nmain()",
            *args,
        ]
    return subprocess.run(
        cmd,
        cwd=tmp_path / "app",
        env={**env_for(tmp_path, server), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def app(tmp_path: Path, **files: str) -> Path:
    where = tmp_path / "app"
    where.mkdir(exist_ok=True)
    for name, text in files.items():
        (where / _filename(name)).write_text(text, encoding="utf-8")
    return where


def _filename(key: str) -> str:
    return {
        "Pipfile_lock": "Pipfile.lock",
        "uv_lock": "uv.lock",
        "poetry_lock": "poetry.lock",
        "pyproject": "pyproject.toml",
        "policy": "chaingate.toml",
        "requirements": "requirements.txt",
    }[key]


def six_document(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(gzip.decompress((FIXTURES / "six.json.gz").read_bytes()))
    doc.update(changes)
    return doc


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode != 1, proc.stderr[-2000:]


SCAN = ("scan", ".", "--no-resolve", "--no-domain-checks", "--now", NOW)
CHECK = ("check", ".", "--no-resolve", "--no-domain-checks", "--now", NOW)


# --- a user's file: exit 2, file and line --------------------------------------------------


@pytest.mark.parametrize(
    ("key", "text", "line"),
    [
        ("pyproject", f"[project]\nname = 'x'\nversion = '1'\nx = {DEEP}\n", 4),
        ("pyproject", f"[project]\nname = 'x'\nversion = '1'\nx = {DIGITS}\n", 4),
        ("uv_lock", f"version = 1\n\nrevision = {DIGITS}\n", 3),
        ("poetry_lock", f"# a comment\nx = {DEEP}\n", 2),
        ("Pipfile_lock", '{\n"_meta": {},\n"default": ' + DEEP + "}\n", 3),
        ("pyproject", f"[project]\nname = 'x'\n\n[{DOTTED}]\nx = 1\n", 4),
    ],
    ids=[
        "pyproject-deep",
        "pyproject-digits",
        "uv.lock-digits",
        "poetry.lock-deep",
        "pipfile",
        "pyproject-table",
    ],
)
def test_a_manifest_nested_too_deep_or_with_a_huge_integer_is_exit_2_with_its_line(
    tmp_path: Path, key: str, text: str, line: int
) -> None:
    app(tmp_path, **{key: text})
    proc = run(None, tmp_path, *SCAN, "--offline")
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"chaingate: {_filename(key)}:{line}: "), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (f"[thresholds]\ncooldown_hours = {DIGITS}\n", 2, "digits"),
        (f"[thresholds]\n\nx = {DEEP}\n", 3, "nested"),
        ("[thresholds]\ncooldown_hours = 1e300\n", 2, "cooldown_hours"),
        ("[thresholds]\ndormancy_days = 1e300\n", 2, "dormancy_days"),
        ("[thresholds]\ncooldown_hours = inf\n", 2, "cooldown_hours"),
        (f"# a key nested by its dots\n{DOTTED} = 1\n", 2, "nested"),
    ],
    ids=["digits", "deep", "cooldown-1e300", "dormancy-1e300", "cooldown-inf", "dotted"],
)
def test_a_policy_nested_too_deep_with_a_huge_integer_or_threshold_is_exit_2(
    tmp_path: Path, text: str, line: int, what: str
) -> None:
    app(tmp_path, requirements="six==1.17.0\n", policy=text)
    with PyPIServer(recorded_documents()) as server:
        proc = run(server, tmp_path, *CHECK)
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"chaingate: chaingate.toml:{line}: "), proc.stderr
    assert what in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize(
    "option",
    [("--cooldown", "1e300"), ("--cooldown", "nan"), ("--timeout", "nan"), ("--domain-ttl", "inf")],
    ids=lambda o: " ".join(o),
)
def test_an_option_out_of_range_or_not_a_number_is_exit_2(
    tmp_path: Path, option: tuple[str, str]
) -> None:
    """Before: `--cooldown 1e300` overflowed `timedelta` once six's facts were in, and
    `--timeout nan` crashed the HTTP client (tracebacks, exit 1)."""
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        proc = run(server, tmp_path, *CHECK, *option)
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert f"Invalid value for '{option[0]}'" in proc.stderr


# --- a registry's answer: the package is incomplete, with the reason -----------------------


def six_is_incomplete(tmp_path: Path, six: bytes) -> str:
    """`check` of six and idna when the index serves `six` as six's document: exit 3 with
    six (only) incomplete; its reason."""
    app(tmp_path, requirements="six==1.17.0\nidna==3.11\n")
    with PyPIServer({**recorded_documents(), "six": six}) as server:
        proc = run(server, tmp_path, *CHECK, "--format", "json")
    no_traceback(proc)
    assert proc.returncode == 3, proc.stderr
    incomplete = {i["package"]: i["reason"] for i in json.loads(proc.stdout)["scan"]["incomplete"]}
    assert set(incomplete) == {"six"}
    return incomplete["six"]


def test_a_registry_document_with_a_huge_size_makes_the_package_incomplete(
    tmp_path: Path,
) -> None:
    doc = six_document()
    doc["urls"][0]["size"] = 10**40
    assert "urls[0].size" in six_is_incomplete(tmp_path, json.dumps(doc).encode())


@pytest.mark.parametrize("where", ["top", "info", "urls"])
def test_a_registry_document_nested_too_deep_makes_the_package_incomplete(
    tmp_path: Path, where: str
) -> None:
    """In a field chaingate skips (a newer key, the description): the decoder still has to
    walk it."""
    doc = six_document()
    {"top": doc, "info": doc["info"], "urls": doc["urls"][0]}[where]["later"] = "DEEP"
    body = json.dumps(doc).replace('"DEEP"', DEEP).encode()
    assert "nested too deeply" in six_is_incomplete(tmp_path, body)


# --- the cache: a bad entry is dropped and fetched again -----------------------------------


def _cache_metas(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").rglob("*.meta"))


@pytest.mark.parametrize(
    "damage",
    [
        {"fetched_at": "x"},
        {"max_age": "soon"},
        {"status": "ok"},
        {"fetched_at": 1e400},  # json.dumps writes Infinity
        {"length": [1]},
    ],
    ids=["fetched_at", "max_age", "status", "infinite", "length"],
)
def test_a_damaged_cache_meta_is_dropped_and_fetched_again(
    tmp_path: Path, damage: dict[str, Any]
) -> None:
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        first = run(server, tmp_path, *SCAN, "--format", "json")
        assert first.returncode == 0, first.stderr
        metas = _cache_metas(tmp_path)
        assert metas
        for meta in metas:  # damaged, then sealed again: the seal alone cannot catch it
            data = unseal(meta.read_bytes())
            assert data is not None
            meta.write_bytes(seal(json.dumps({**json.loads(data), **damage}).encode()))
        hits = server.hits.get("/pypi/six/json", 0)
        again = run(server, tmp_path, *SCAN, "--format", "json")
        no_traceback(again)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["incomplete"] == []
        assert server.hits["/pypi/six/json"] == hits + 1  # asked again


def test_a_cache_meta_nested_too_deep_is_dropped_and_fetched_again(tmp_path: Path) -> None:
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        assert run(server, tmp_path, *SCAN).returncode == 0
        for meta in _cache_metas(tmp_path):
            meta.write_text(DEEP)
        hits = server.hits["/pypi/six/json"]
        again = run(server, tmp_path, *SCAN, "--format", "json")
        no_traceback(again)
        assert again.returncode == 0, again.stderr
        assert server.hits["/pypi/six/json"] == hits + 1


def test_cached_bodies_and_facts_nested_too_deep_are_fetched_again(tmp_path: Path) -> None:
    """A cached body (six 1.16.0's per-version document) and a facts entry replaced by
    deep nesting of the same length (so the length check passes): parsed or fetched again.
    Before: the per-version document's RecursionError, exit 1."""
    app(tmp_path, requirements="six==1.16.0\n")
    with PyPIServer(recorded_documents()) as server:
        # A long description, as real documents have: room for 100,000 levels of nesting.
        info = {"name": "six", "version": "1.16.0", "description": "x" * 200_000}
        version_doc = {"info": info, "vulnerabilities": []}
        server.add_version("six", "1.16.0", json.dumps(version_doc).encode())
        assert run(server, tmp_path, *SCAN).returncode == 0
        assert server.hits["/pypi/six/1.16.0/json"] == 1
        damaged = set()
        for path in (tmp_path / "cache").rglob("*"):
            size = path.stat().st_size
            if path.suffix == ".body" and size > 2:
                k, odd = divmod(size - 6, 2)
                path.write_bytes(b'{"x":' + b"[" * k + b"]" * k + b" " * odd + b"}")
                damaged.add(".body")
            elif path.suffix == ".facts" and size > 2:
                path.write_bytes(b"\x91" * (size - 1) + b"\xc0")  # msgpack: [[[...nil]]]
                damaged.add(".facts")
        assert damaged == {".body", ".facts"}
        again = run(server, tmp_path, *SCAN, "--format", "json")
        no_traceback(again)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["incomplete"] == []
        # The damaged document was dropped: the next run asks the index again.
        assert run(server, tmp_path, *SCAN).returncode == 0
        assert server.hits["/pypi/six/1.16.0/json"] == 2


# --- the store: a database that cannot be written ------------------------------------------


def test_a_read_only_database_directory_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A directory nobody may write: a mode 0500 one, or /proc for root."""
    app(tmp_path, requirements="six==1.17.0\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    where = Path("/proc") if os.geteuid() == 0 else locked
    try:
        with PyPIServer(recorded_documents()) as server:
            proc = run(server, tmp_path, *SCAN, CHAINGATE_DB=f"sqlite:///{where / 'store.db'}")
    finally:
        locked.chmod(0o700)
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("chaingate: cannot open database "), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_a_full_disk_under_the_database_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """/dev/full: every write fails with ENOSPC, as on a full disk. Before: exit 2 with the
    whole CREATE TABLE statement on stderr."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        proc = run(server, tmp_path, *SCAN, CHAINGATE_DB="sqlite:////dev/full")
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert "database or disk is full" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


def test_a_database_that_cannot_be_written_mid_scan_is_one_line_not_a_traceback(
    tmp_path: Path,
) -> None:
    """The database opens but the observation of a changed owner cannot be written: the
    disk is full for this process (RLIMIT_FSIZE 0: every file write fails with EFBIG).
    Before: the SQL error's traceback, exit 1. (A read-only `mode=ro` database is not this
    case: it is read and never written, tests/store/test_robust.py.)"""
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        assert run(server, tmp_path, *SCAN).returncode == 0
        doc = six_document()
        doc["ownership"]["roles"].append({"role": "Owner", "user": "mallory"})
        server.add_project("six", json.dumps(doc).encode())
        proc = run(
            server,
            tmp_path,
            *SCAN,
            "--refresh",
            code="import resource, signal\n"
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))",
        )
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    # SQLite may fail as it opens (its journal) or as it writes: either way one line, exit 2
    assert re.match(r"chaingate: cannot (open|write to) database ", proc.stderr), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("CHAINGATE_CACHE_DIR", "chaingate: cache directory "),
        ("CHAINGATE_DB", "chaingate: cannot open database postgresql://"),
    ],
)
def test_a_cache_directory_or_database_that_cannot_be_used_is_exit_2(
    tmp_path: Path, setting: str, said: str
) -> None:
    """A file where the cache directory goes; a PostgreSQL URL without its driver (or with
    nothing listening). Before: FileExistsError and ModuleNotFoundError tracebacks, exit 1."""
    app(tmp_path, requirements="six==1.17.0\n")
    (tmp_path / "a-file").write_text("")
    value = {
        "CHAINGATE_CACHE_DIR": str(tmp_path / "a-file"),
        "CHAINGATE_DB": "postgresql://chaingate@127.0.0.1:1/chaingate",
    }[setting]
    with PyPIServer(recorded_documents()) as server:
        proc = run(server, tmp_path, *SCAN, **{setting: value})
    no_traceback(proc)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(said), proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr


# --- a bug: exit 70, one line and a hint ---------------------------------------------------

BUG = (
    "import chaingate.engine as e\n"
    "def scan(self, *a, **k):\n"
    "    raise KeyError('planted bug')\n"
    "e.Engine.scan = scan\n"
)


def test_a_bug_is_exit_70_with_one_line_and_a_hint_never_1(tmp_path: Path) -> None:
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        proc = run(server, tmp_path, *CHECK, code=BUG)
    assert proc.returncode == EXIT_INTERNAL == 70, proc.stderr
    assert "Traceback" not in proc.stderr
    first, *rest = proc.stderr.splitlines()
    assert first == "chaingate: internal error: KeyError: 'planted bug'"
    assert any("CHAINGATE_DEBUG=1" in line for line in rest)
    assert proc.stdout == ""


def test_chaingate_debug_shows_the_traceback_of_a_bug(tmp_path: Path) -> None:
    app(tmp_path, requirements="six==1.17.0\n")
    with PyPIServer(recorded_documents()) as server:
        proc = run(server, tmp_path, *SCAN, code=BUG, CHAINGATE_DEBUG="1")
    assert proc.returncode == EXIT_INTERNAL, proc.stderr
    assert "Traceback" in proc.stderr and "planted bug" in proc.stderr
    assert "chaingate: internal error: KeyError: 'planted bug'" in proc.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_leaves_the_pipe_is_not_an_internal_error(tmp_path: Path, fmt: str) -> None:
    """`chaingate scan | head`: the report's reader is gone before it is written (its end of
    the pipe is closed here before the command starts). Not a bug and not a verdict: exit
    141, as a shell reports SIGPIPE, and nothing on stderr. Before: exit 1 ("blocked"),
    from rich's handler (text) and from click's (json)."""
    app(tmp_path, requirements="six==1.17.0\n")
    read, write = os.pipe()
    os.close(read)
    try:
        with PyPIServer(recorded_documents()) as server:
            proc = subprocess.run(
                [sys.executable, "-m", "chaingate", *SCAN, "--format", fmt],
                cwd=tmp_path / "app",
                env=env_for(tmp_path, server),
                stdout=write,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
    finally:
        os.close(write)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""
