"""Resolving unpinned requirements with a real resolver against a real (local) index.

The local index is a PEP 503 tree of tiny wheels written by hand (wheels.py) and served by
`http.server` on 127.0.0.1, so these tests prove resolution against a configured index
without PyPI. One live test asks the real pypi.org (`pytest -m live`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.inventory import Declared, Location, Manifest, Origin
from chaingate.ecosystems.pypi.resolve import ResolutionError, resolve, resolver_name, simple_index
from tests.inventory.wheels import write_index, write_marking_sdist

# name -> version -> Requires-Dist lines
PROJECTS: dict[str, dict[str, list[str]]] = {
    "cg-app": {"1.0": ["cg-lib>=1", "cg-fast; extra == 'fast'", "cg-win; sys_platform == 'win32'"]},
    "cg-lib": {"1.0": ["cg-base"], "2.0": ["cg-base>=2"]},
    "cg-base": {"1.0": [], "2.0": []},
    "cg-fast": {"1.0": ["cg-base"]},
    "cg-win": {"1.0": []},
}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The base URL of a local index serving PROJECTS; uv and pip use a fresh cache and
    none of this machine's pip configuration."""
    write_index(tmp_path / "index", PROJECTS)
    write_marking_sdist(tmp_path / "index", "cg-sdist", "1.0", ["cg-base"])
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("UV_INDEX", raising=False)
    monkeypatch.delenv("UV_EXTRA_INDEX_URL", raising=False)
    handler = partial(_QuietHandler, directory=str(tmp_path / "index"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def requirements_manifest(*lines: tuple[str, str, tuple[str, ...]]) -> Manifest:
    """A hand-built unlocked manifest: (name, specifier, extras) per line."""
    entries = [
        Declared(name=n, location=Location("requirements.txt", i), specifier=s, extras=x)
        for i, (n, s, x) in enumerate(lines, start=1)
    ]
    entries.append(
        Declared(
            name="cg-local",
            location=Location("requirements.txt", len(lines) + 1),
            origin=Origin.PATH,
            url="file:///src/cg-local",
        )
    )
    return Manifest(path="requirements.txt", kind="requirements", entries=tuple(entries))


RESOLVERS = ["uv", "pip"]


@pytest.mark.parametrize("resolver", RESOLVERS)
def test_resolves_transitive_set_from_configured_index(index: str, resolver: str) -> None:
    if resolver == "pip":
        pytest.importorskip("pip")
    manifest = requirements_manifest(("cg-app", "", ("fast",)), ("cg-lib", "<2", ()))

    resolved = resolve([manifest], index, timeout=120, resolver=resolver)

    assert resolved.kind == "resolved"
    assert resolved.locked
    versions = {e.name: e.version for e in resolved.entries}
    # cg-win is excluded by its marker here; cg-local is a path entry, never sent.
    assert versions == {"cg-app": "1.0", "cg-lib": "1.0", "cg-base": "2.0", "cg-fast": "1.0"}
    assert resolved.graph["cg-app"] == ("cg-fast", "cg-lib")
    assert resolved.graph["cg-lib"] == ("cg-base",)
    assert resolved.graph["cg-base"] == ()
    by_name = {e.name: e for e in resolved.entries}
    assert by_name["cg-app"].direct
    assert by_name["cg-app"].location == Location("requirements.txt", 1)
    assert by_name["cg-app"].extras == ("fast",)
    assert by_name["cg-lib"].location == Location("requirements.txt", 2)
    assert not by_name["cg-base"].direct
    assert by_name["cg-base"].location == Location("requirements.txt")


@pytest.mark.parametrize("resolver", RESOLVERS)
def test_no_build_resolves_without_running_package_code(
    index: str, resolver: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolving a requirement only an sdist satisfies runs that sdist's build backend:
    code from the index, on this machine, before anything is judged. With build=False the
    resolver refuses instead, says why, and nothing runs."""
    mark = tmp_path / "backend-ran"
    monkeypatch.setenv("CG_BUILD_MARK", str(mark))
    manifest = requirements_manifest(("cg-sdist", "", ()))
    with pytest.raises(ResolutionError) as refused:
        resolve([manifest], index, resolver=resolver, build=False)
    assert "cg-sdist" in str(refused.value)
    assert not mark.exists()
    # The default builds: the backend ran to give the metadata, and the result is right.
    found = resolve([manifest], index, resolver=resolver)
    assert {e.name: e.version for e in found.entries} == {"cg-sdist": "1.0", "cg-base": "2.0"}
    assert "prepare_metadata_for_build_wheel" in mark.read_text()
    # Wheels only: build=False changes nothing.
    wheels = requirements_manifest(("cg-app", "", ()))
    assert resolve([wheels], index, resolver=resolver, build=False).entries


def test_index_given_as_simple_url_or_base(index: str) -> None:
    manifest = requirements_manifest(("cg-lib", "", ()))

    from_base = resolve([manifest], index, timeout=120)
    from_simple = resolve([manifest], index + "/simple/", timeout=120)

    assert {e.name: e.version for e in from_base.entries} == {"cg-lib": "2.0", "cg-base": "2.0"}
    assert from_simple.entries == from_base.entries


def test_transitive_entries_are_located_in_each_file_that_pulls_them_in(index: str) -> None:
    main = Manifest(
        "requirements.txt", "requirements", (Declared("cg-app", Location("requirements.txt", 1)),)
    )
    dev = Manifest("dev.txt", "requirements", (Declared("cg-fast", Location("dev.txt", 3)),))

    resolved = resolve([main, dev], index, timeout=120)

    base = [e.location for e in resolved.entries if e.name == "cg-base"]
    assert base == [Location("requirements.txt"), Location("dev.txt")]
    assert resolved.path == "requirements.txt, dev.txt"


@pytest.mark.parametrize("resolver", RESOLVERS)
def test_no_solution_raises_with_resolver_message(index: str, resolver: str) -> None:
    if resolver == "pip":
        pytest.importorskip("pip")
    manifest = requirements_manifest(("cg-lib", ">=3", ()))

    with pytest.raises(ResolutionError) as caught:
        resolve([manifest], index, timeout=120, resolver=resolver)

    assert "cg-lib" in str(caught.value)
    assert len(str(caught.value)) <= 800


def test_unreachable_index_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    manifest = requirements_manifest(("cg-lib", "", ()))

    with pytest.raises(ResolutionError, match=r"127\.0\.0\.1:9"):
        resolve([manifest], "http://127.0.0.1:9/simple", timeout=60)


def test_nothing_to_resolve_gives_an_empty_manifest() -> None:
    only_path = requirements_manifest()

    resolved = resolve([only_path], "http://127.0.0.1:9", timeout=5)

    assert resolved.entries == ()


def test_simple_index_url() -> None:
    assert simple_index("https://pypi.org") == "https://pypi.org/simple"
    assert simple_index("https://pypi.org/simple/") == "https://pypi.org/simple"
    assert simple_index("https://m.example/root/pypi/+simple/") == (
        "https://m.example/root/pypi/+simple"
    )
    assert simple_index("https://m.example/pypi") == "https://m.example/pypi/simple"


def test_resolver_name_names_uv_and_its_version() -> None:
    assert re.fullmatch(r"uv \d+\.\d+\.\d+\S*", resolver_name())


@pytest.mark.live
def test_resolves_httpx_from_pypi(tmp_path: Path) -> None:
    manifest = Manifest(
        "requirements.txt",
        "requirements",
        (Declared("httpx", Location("requirements.txt", 1), specifier="<0.28"),),
    )

    resolved = resolve([manifest], "https://pypi.org/simple", timeout=120)

    names = {e.name for e in resolved.entries}
    assert {"httpx", "httpcore", "anyio", "idna", "sniffio", "certifi", "h11"} <= names
    assert "h11" in resolved.graph["httpcore"]
    assert "httpcore" in resolved.graph["httpx"]
    assert [e.direct for e in resolved.entries if e.name == "httpx"] == [True]


def test_scan_builds_nothing_unless_allowed(
    index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`chaingate scan`, end to end (issue 12, item 3): by default the sdist's backend never
    runs, and the tree is reported incomplete with the resolver's reason instead of being
    taken as complete; `--allow-build` or `[resolve] build = true` lets it build, and
    `--no-build` forbids it whatever the policy says."""
    import json
    import os
    import subprocess
    import sys

    mark = tmp_path / "backend-ran"
    monkeypatch.setenv("CG_BUILD_MARK", str(mark))
    project = tmp_path / "app"
    project.mkdir()
    (project / "requirements.txt").write_text("cg-sdist\n")
    env = {**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "cache")}
    command = [
        sys.executable, "-m", "chaingate", "scan", "requirements.txt", "--index-url", index,
        "-f", "json", "--no-db", "--no-domain-checks",
    ]  # fmt: skip

    def scan(*extra: str) -> dict[str, Any]:
        done = subprocess.run(
            [*command, *extra], cwd=project, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode in (0, 1), done.stderr
        document: dict[str, Any] = json.loads(done.stdout)
        return document

    refused = scan()
    assert not mark.exists()
    reasons = " ".join(i["reason"] for i in refused["incomplete"])
    assert "could not resolve" in reasons and "cg-sdist" in reasons
    assert scan("--no-build")["incomplete"] == refused["incomplete"]
    built = scan("--allow-build")
    assert mark.exists()
    assert {p["name"] for p in built["packages"]} == {"cg-sdist", "cg-base"}
    assert built["incomplete"] == []
    # The project's policy can allow it too (uv reuses what it built; nothing runs again).
    (project / "chaingate.toml").write_text("[resolve]\nbuild = true\n")
    assert scan()["packages"] == built["packages"]


def test_check_never_passes_a_tree_it_refused_to_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12, item 3, in `check`: a pyproject-only project depends on cg-built, published
    only as an sdist whose build requirement is the typosquat setuptoolz. Before, resolving
    it installed and ran setuptoolz and the backend, unjudged. Now nothing runs and the
    check does not pass: the tree is incomplete, exit 3."""
    import os
    import subprocess
    import sys

    from tests.guard import world
    from tests.pypiserver import PyPIServer

    mark = tmp_path / "backend-ran"
    monkeypatch.setenv("CG_BUILD_MARK", str(mark))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1.0"\ndependencies = ["cg-built"]\n'
    )
    env = {**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "cache")}
    with PyPIServer() as server:
        world.publish_build_typosquat(server, tmp_path)
        done = subprocess.run(
            [sys.executable, "-m", "chaingate", "check", "--index-url", server.url, "--no-db",
             "--no-domain-checks", "--now", "2026-11-25T12:00:00Z"],
            cwd=project, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert not mark.exists(), mark.read_text()
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cg-built" in done.stdout + done.stderr
