"""`chaingate diff`: a change is judged on what it introduces.

The git tests make a real repository with real commits (git init in tmp_path, identity set
in the repository only) and read the base with git, as the command does. Scans run the real
pipeline against the local PyPI (recorded documents) and the local DNS / RDAP services,
with inventories built as `--no-resolve` builds them and a pinned `now`.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from msgspec.structs import replace

from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Package
from chaingate.core.refs import PackageRef
from chaingate.core.status import Incomplete
from chaingate.engine.diff import DiffResult, diff_scans, finding_key, run_diff
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import DomainOptions, ScanOptions
from chaingate.inventory.build import build_inventory
from chaingate.inventory.gitbase import (
    DiffError,
    base_inventory,
    is_file_base,
    materialize_base,
    open_base,
)
from chaingate.net.http import HttpSettings
from chaingate.report.documents import DiffDocument
from chaingate.report.formats import ReportError, render
from tests.dnsserver import DnsServer
from tests.pypiserver import PyPIServer
from tests.rdapserver import RdapServer, healthy_world

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# Hash-pinned, so the file is a lock: the complete set, never resolved.
HASH = "--hash=sha256:" + "0" * 64
BASE_REQUIREMENTS = f"requests==2.32.5 {HASH}\nidna==3.11 {HASH}\ntoml==0.10.2 {HASH}\n"
HEAD_REQUIREMENTS = (
    f"requests==2.32.5 {HASH}\nidna==3.10 {HASH}\nsix==1.17.0 {HASH}\ntoml==0.10.2 {HASH}\n"
)


def P(name: str, version: str | None) -> PackageRef:
    return PackageRef("pypi", name, version)


# --- a real git repository -------------------------------------------------------------------


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Author")
        self.git("config", "user.email", "author@example.org")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | {
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.root.parent),
        }
        proc = subprocess.run(
            ["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True
        )
        return proc.stdout

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "project")


@pytest.fixture
def world(dns_server: DnsServer, rdap_server: RdapServer) -> DomainOptions:
    """Email-domain checks against the local DNS and RDAP services, never the machine's."""
    healthy_world(dns_server, rdap_server)
    return DomainOptions(dns_servers=(dns_server.spec,), bootstrap_url=rdap_server.bootstrap_url)


def options(
    server: PyPIServer, tmp_path: Path, domains: DomainOptions | None = None
) -> ScanOptions:
    http = HttpSettings(cache_dir=tmp_path / "cache", retries=0, backoff=0.01)
    return ScanOptions(index_url=server.url, http=http, db_url=None, now=NOW, domains=domains)


def diff_against(ref: str, path: Path, server: PyPIServer, opts: ScanOptions) -> DiffResult:
    """What `chaingate diff --base REF PATH --no-resolve` computes."""
    base, commit = base_inventory(ref, path, resolve_deps=False, index_url=server.url)
    head = build_inventory(path, resolve_deps=False, index_url=server.url)
    return run_diff(base, head, opts, base_label=ref, base_commit=commit)


def keys(findings: tuple[Finding, ...]) -> set[tuple[str, str | None, str | None]]:
    return {(f.id, f.package, f.version) for f in findings}


@pytest.fixture
def pull_request(repo: Repo) -> Iterator[Repo]:
    """Commit 1: requests, idna 3.11, toml. Commit 2 (the change): adds six, moves idna to
    3.10. Both versions of idna are in the recorded idna document."""
    repo.write("README.md", "demo\n")
    repo.write("requirements.txt", BASE_REQUIREMENTS)
    repo.commit("first")
    repo.write("requirements.txt", HEAD_REQUIREMENTS)
    repo.commit("add six, move idna")
    yield repo


# --- the pull request ------------------------------------------------------------------------


def test_a_change_is_judged_on_what_it_introduces(
    pull_request: Repo, pypi_server: PyPIServer, tmp_path: Path, world: DomainOptions
) -> None:
    diff = diff_against(
        "HEAD~1", pull_request.root, pypi_server, options(pypi_server, tmp_path, world)
    )

    assert [p.key for p in diff.added] == ["six==1.17.0"]
    assert [(p.key, old) for p, old in diff.changed] == [("idna==3.10", "3.11")]
    assert diff.removed == ()
    assert diff.base_packages == {
        P("requests", "2.32.5"), P("idna", "3.11"), P("toml", "0.10.2"),
    }  # fmt: skip
    assert diff.base_commit == pull_request.git("rev-parse", "HEAD~1").strip()

    new = keys(diff.new_findings)
    assert ("single-owner", "six", "1.17.0") in new
    assert ("single-owner", "idna", "3.10") in new
    assert {f.package for f in diff.new_findings} <= {"six", "idna"}
    # toml's findings (a single owner, no release for years) were there before the change:
    # the head has them, the diff does not repeat them.
    toml = [f for f in diff.head.findings if f.package == "toml"]
    assert toml and not [f for f in diff.new_findings if f.package == "toml"]
    assert diff.unchanged_findings == len(diff.head.findings) - len(diff.new_findings) >= len(toml)
    assert diff.worst() == max(f.severity for f in diff.new_findings)
    assert diff.incomplete == ()
    # The base came from git's objects: the work tree is as it was.
    assert pull_request.git("status", "--porcelain") == ""


def test_the_second_scan_is_served_from_the_cache(
    pull_request: Repo, pypi_server: PyPIServer, tmp_path: Path
) -> None:
    diff_against("HEAD~1", pull_request.root, pypi_server, options(pypi_server, tmp_path))
    # requests and toml are in both trees: each document was fetched once.
    assert pypi_server.hits["/pypi/requests/json"] == 1
    assert pypi_server.hits["/pypi/toml/json"] == 1


def test_every_format_shows_only_the_new(
    pull_request: Repo, pypi_server: PyPIServer, tmp_path: Path, world: DomainOptions
) -> None:
    diff = diff_against(
        "HEAD~1", pull_request.root, pypi_server, options(pypi_server, tmp_path, world)
    )
    n = len(diff.new_findings)
    title = f"1 new package, 1 changed version, {n} new findings (vs HEAD~1)"
    assert DiffDocument(diff).headline() == title

    text = render(DiffDocument(diff), "text", width=120)
    assert text.startswith(title + "\n")
    assert "+ six==1.17.0  requirements.txt:3" in text
    assert "~ idna 3.11 -> 3.10  requirements.txt:2" in text
    assert "toml" not in text and "requests" not in text

    doc = json.loads(render(DiffDocument(diff), "json"))
    assert doc["schema"] == "chaingate/diff/v1"
    assert doc["base"]["ref"] == "HEAD~1" and doc["base"]["packages"] == 3
    assert doc["head"]["packages"] == 4
    assert [p["name"] for p in doc["added"]] == ["six"]
    assert doc["added"][0]["owners"] == [{"account": "gutworth", "role": "Owner"}]
    assert [(p["name"], p["previous_version"], p["version"]) for p in doc["changed"]] == [
        ("idna", "3.11", "3.10")
    ]
    assert {f["package"] for f in doc["findings"]} == {"six", "idna"}
    assert doc["summary"]["unchanged_findings"] == diff.unchanged_findings > 0
    assert doc["incomplete"] == []
    assert "known-vulnerability" in doc["checks"]

    comment = render(DiffDocument(diff), "markdown")
    assert comment.startswith(f"## chaingate diff: {title}")
    assert "| added | six | 1.17.0 |" in comment
    assert "| changed | idna | 3.11 → 3.10 |" in comment
    assert "toml" not in comment

    sarif = json.loads(render(DiffDocument(diff), "sarif"))
    results = sarif["runs"][0]["results"]
    assert len(results) == n
    assert all(r["message"]["text"].startswith(("six==", "idna==")) for r in results)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results}
    assert lines <= {2, 3}


def test_no_change_means_nothing_new(repo: Repo, pypi_server: PyPIServer, tmp_path: Path) -> None:
    repo.write("requirements.txt", BASE_REQUIREMENTS)
    repo.commit("only")
    diff = diff_against("HEAD", repo.root, pypi_server, options(pypi_server, tmp_path))
    assert diff.added == diff.changed == diff.removed == diff.new_findings == ()
    assert diff.unchanged_findings == len(diff.head.findings) > 0
    text = render(DiffDocument(diff), "text")
    assert "No package added, changed or removed." in text and "No new findings." in text
    assert "No new findings." in render(DiffDocument(diff), "markdown")


def test_a_base_without_the_manifest_makes_everything_new(
    repo: Repo, pypi_server: PyPIServer, tmp_path: Path
) -> None:
    repo.write("README.md", "nothing to install yet\n")
    repo.commit("first")
    repo.write("requirements.txt", HEAD_REQUIREMENTS)
    repo.commit("dependencies")
    for path in (repo.root, repo.root / "requirements.txt"):
        diff = diff_against("HEAD~1", path, pypi_server, options(pypi_server, tmp_path))
        assert diff.base_packages == frozenset()
        assert {p.name for p in diff.added} == {"requests", "idna", "six", "toml"}
        assert diff.new_findings == diff.head.findings and diff.unchanged_findings == 0


def test_removed_packages_are_listed(repo: Repo, pypi_server: PyPIServer, tmp_path: Path) -> None:
    repo.write("requirements.txt", HEAD_REQUIREMENTS)
    repo.commit("first")
    repo.write("requirements.txt", BASE_REQUIREMENTS)
    repo.commit("drop six, idna back")
    diff = diff_against("HEAD~1", repo.root, pypi_server, options(pypi_server, tmp_path))
    assert diff.added == ()
    assert [(p.key, old) for p, old in diff.changed] == [("idna==3.11", "3.10")]
    assert diff.removed == (P("six", "1.17.0"),)
    assert "- six==1.17.0  removed" in render(DiffDocument(diff), "text")


def test_two_files(pypi_server: PyPIServer, tmp_path: Path) -> None:
    old = tmp_path / "old" / "requirements.txt"
    new = tmp_path / "new" / "requirements.txt"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_text(BASE_REQUIREMENTS)
    new.write_text(HEAD_REQUIREMENTS)
    assert is_file_base(str(old)) and not is_file_base("HEAD~1")
    diff = diff_against(str(old), new, pypi_server, options(pypi_server, tmp_path))
    assert [p.name for p in diff.added] == ["six"]
    assert [(p.name, old_version) for p, old_version in diff.changed] == [("idna", "3.11")]
    assert diff.base_commit is None and diff.base_label == str(old)


def test_an_old_copy_under_any_name_is_read_like_the_head(
    pypi_server: PyPIServer, tmp_path: Path
) -> None:
    """`requirements.txt.orig` is no manifest name: it is read as the head's kind."""
    old = tmp_path / "requirements.txt.orig"
    old.write_text(BASE_REQUIREMENTS)
    new = tmp_path / "requirements.txt"
    new.write_text(HEAD_REQUIREMENTS)
    diff = diff_against(str(old), new, pypi_server, options(pypi_server, tmp_path))
    assert [p.name for p in diff.added] == ["six"]
    assert old.exists()  # the copy went to a temporary directory


# --- reading the base out of git -------------------------------------------------------------


def test_unknown_ref_is_an_error_not_an_empty_base(pull_request: Repo) -> None:
    with pytest.raises(DiffError, match=r"--base no-such-branch: unknown revision"):
        materialize_base("no-such-branch", pull_request.root)
    with pytest.raises(DiffError, match="not a git ref"):
        materialize_base("--output=x", pull_request.root)


def test_outside_a_repository_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # wherever tmp_path lies
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "requirements.txt").write_text("six==1.17.0\n")
    with pytest.raises(DiffError, match="not in a git repository"):
        materialize_base("HEAD", tmp_path / "plain" / "requirements.txt")


def test_base_holds_what_a_scan_reads_and_nothing_else(repo: Repo) -> None:
    repo.write("svc/requirements.txt", "-r ../common/base.in\n-c ../common/pins.cfg\nsix\n")
    repo.write("common/base.in", "-r more.pip\nidna\n")
    repo.write("common/more.pip", "toml\n")
    repo.write("common/pins.cfg", "six==1.17.0\n")
    repo.write("svc/uv/uv.lock", "version = 1\n")
    repo.write("svc/uv/pyproject.toml", "[project]\nname = 'x'\n")
    repo.write("svc/docs/words.txt", "not a manifest\n")
    repo.write("svc/.venv/requirements.txt", "ignored\n")
    repo.write("svc/env/pyvenv.cfg", "home = /usr\n")
    repo.write("svc/env/requirements.txt", "a venv: skipped\n")
    repo.write("other/requirements.txt", "outside the path\n")
    repo.commit("layout")
    repo.write("svc/requirements.txt", "changed in the work tree\n")

    target, tmp = materialize_base("HEAD", repo.root / "svc")
    try:
        root = Path(tmp.name) / "tree"
        assert target == root / "svc"
        written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        assert written == [
            "common/base.in",
            "common/more.pip",
            "common/pins.cfg",
            "svc/requirements.txt",
            "svc/uv/pyproject.toml",
            "svc/uv/uv.lock",
        ]
        assert (target / "requirements.txt").read_text().startswith("-r ../common/base.in")
    finally:
        tmp.cleanup()
    assert not root.exists()

    # One file: that file and what its parser reads beside it.
    target, tmp = materialize_base("HEAD", repo.root / "svc" / "uv" / "uv.lock")
    try:
        assert target.read_text() == "version = 1\n"
        assert sorted(p.name for p in target.parent.iterdir()) == ["pyproject.toml", "uv.lock"]
    finally:
        tmp.cleanup()


def test_symlinks_are_followed_inside_the_repository_only(repo: Repo) -> None:
    repo.write("pins/all.txt", "six==1.17.0\n")
    (repo.root / "requirements.txt").symlink_to("pins/all.txt")
    repo.commit("linked")
    target, tmp = materialize_base("HEAD", repo.root / "requirements.txt")
    try:
        assert not target.is_symlink() and target.read_text() == "six==1.17.0\n"
    finally:
        tmp.cleanup()

    (repo.root / "requirements.txt").unlink()
    (repo.root / "requirements.txt").symlink_to("/etc/hostname")
    repo.commit("linked out")
    with pytest.raises(DiffError, match="symbolic link"):
        materialize_base("HEAD", repo.root / "requirements.txt")


def test_bad_manifest_at_the_base_names_the_base(repo: Repo, pypi_server: PyPIServer) -> None:
    repo.write("requirements.txt", "six==1.17.0\nfoo @@ bar\n")
    repo.commit("broken")
    repo.write("requirements.txt", "six==1.17.0\n")
    with pytest.raises(DiffError) as caught:
        base_inventory("HEAD", repo.root, resolve_deps=False, index_url=pypi_server.url)
    message = str(caught.value)
    assert message.startswith("at --base HEAD: requirements.txt:2: ")
    assert "chaingate-base-" not in message


def test_open_base_cleans_up(pull_request: Repo) -> None:
    with open_base("HEAD~1", pull_request.root) as base:
        assert base.target is not None and base.target.is_dir()
        assert "idna==3.11" in (base.target / "requirements.txt").read_text()
        kept = base.target
    assert not kept.exists()


# --- the comparison, on hand-built scans -----------------------------------------------------


def scan_of(packages: list[tuple[str, str | None]], findings: list[Finding]) -> ScanResult:
    pkgs = tuple(Package("pypi", n, v, True, ((n,),)) for n, v in packages)
    return ScanResult(
        inventory=Inventory(root=".", packages=pkgs, manifests=("requirements.txt",)),
        facts={},
        findings=tuple(findings),
        incomplete=(),
        index_url="https://pypi.org",
        started_at=NOW,
        finished_at=NOW,
    )


def concentration(*accounts: tuple[str, list[str]]) -> Finding:
    return Finding(
        "owner-concentration",
        Severity.LOW,
        None,
        None,
        f"{len(accounts)} account(s) each control ...",
        {"threshold": 2, "accounts": [{"account": a, "packages": p} for a, p in accounts]},
    )


def test_project_findings_are_new_when_their_accounts_change() -> None:
    before = concentration(("kjd", ["a", "b"]))
    after = concentration(("kjd", ["a", "b", "c"]))
    base = scan_of([("a", "1")], [before])
    assert diff_scans(base, scan_of([("a", "1")], [before])).new_findings == ()
    assert diff_scans(base, scan_of([("a", "1")], [after])).new_findings == (after,)
    assert finding_key(before) != finding_key(after)


def test_project_findings_are_new_when_an_organisation_reaches_more_packages() -> None:
    def held(*packages: str) -> Finding:
        finding = concentration(("kjd", ["a", "b"]))
        organizations = [{"organization": "pallets", "packages": list(packages)}]
        return replace(finding, evidence={**finding.evidence, "organizations": organizations})

    before, after = held("a", "b"), held("a", "b", "c")
    base = scan_of([("a", "1")], [before])
    assert diff_scans(base, scan_of([("a", "1")], [before])).new_findings == ()
    assert diff_scans(base, scan_of([("a", "1")], [after])).new_findings == (after,)


def test_one_name_at_two_versions() -> None:
    """Two files pinned idna differently; the change moves one of them."""
    base = scan_of([("idna", "3.10"), ("idna", "3.11")], [])
    head = scan_of([("idna", "3.11"), ("idna", "3.9")], [])
    diff = diff_scans(base, head)
    assert [(p.key, old) for p, old in diff.changed] == [("idna==3.9", "3.10")]
    assert diff.removed == () and diff.added == ()


def test_incomplete_is_what_the_change_could_not_show() -> None:
    base = scan_of([("a", "1")], [])
    head = scan_of([("a", "1"), ("b", "2")], [])
    head = replace(
        head,
        incomplete=(
            Incomplete("a", "1", "HTTP 500"),
            Incomplete("b", "2", "HTTP 500"),
            Incomplete("requirements.txt", None, "could not resolve"),
        ),
    )
    diff = diff_scans(base, head)
    assert [i.package for i in diff.incomplete] == ["b", "requirements.txt"]
    assert diff.as_scan_result().incomplete == diff.incomplete


def test_what_the_base_could_not_see_is_said() -> None:
    """A package the base could not analyse cannot have its findings told old: they are new,
    and a note says why. A package the change removed needs no such note."""
    base = scan_of([("a", "1"), ("gone", "1")], [])
    base = replace(
        base,
        incomplete=(Incomplete("a", "1", "HTTP 500"), Incomplete("gone", "1", "HTTP 500")),
    )
    finding = Finding("single-owner", Severity.INFO, "a", "1", "one owner")
    diff = diff_scans(base, scan_of([("a", "1")], [finding]))
    assert diff.new_findings == (finding,)
    (note,) = diff.notes
    assert "(a)" in note and "gone" not in note
    assert note in diff.as_scan_result().notes


def test_with_a_database(pull_request: Repo, pypi_server: PyPIServer, tmp_path: Path) -> None:
    """With history kept, the base is scanned first and the head after it: the result is
    the same as without, and the store has both scans."""
    plain = diff_against("HEAD~1", pull_request.root, pypi_server, options(pypi_server, tmp_path))
    opts = replace(options(pypi_server, tmp_path), db_url=f"sqlite:///{tmp_path / 'store.db'}")
    kept = diff_against("HEAD~1", pull_request.root, pypi_server, opts)
    assert keys(kept.new_findings) == keys(plain.new_findings)
    assert kept.head.checks["ownership-change"].status == "ok"


def test_unknown_format_is_a_report_error() -> None:
    diff = diff_scans(scan_of([], []), scan_of([("a", "1")], []))
    with pytest.raises(ReportError, match="unknown output format 'xml'"):
        render(DiffDocument(diff), "xml")


def uv_project(repo: Repo, pins: dict[str, str]) -> None:
    """A uv project (pyproject.toml + uv.lock) depending on `pins` directly."""
    deps = ", ".join(f'"{n}=={v}"' for n, v in pins.items())
    repo.write("pyproject.toml", f'[project]\nname = "shop"\nversion = "0.1.0"\n'
               f"dependencies = [{deps}]\n")  # fmt: skip
    lock = 'version = 1\nrevision = 2\nrequires-python = ">=3.11"\n\n'
    lock += '[[package]]\nname = "shop"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
    lock += "dependencies = [\n" + "".join(f'    {{ name = "{n}" }},\n' for n in pins) + "]\n"
    for name, version in pins.items():
        lock += f'\n[[package]]\nname = "{name}"\nversion = "{version}"\n'
        lock += 'source = { registry = "https://pypi.org/simple" }\n'
    repo.write("uv.lock", lock)


def test_a_uv_project(repo: Repo, pypi_server: PyPIServer, tmp_path: Path) -> None:
    uv_project(repo, {"six": "1.17.0"})
    repo.commit("six")
    uv_project(repo, {"six": "1.17.0", "idna": "3.11"})
    repo.commit("idna")
    diff = diff_against("HEAD~1", repo.root, pypi_server, options(pypi_server, tmp_path))
    assert [p.key for p in diff.added] == ["idna==3.11"]
    assert diff.added[0].direct
    assert keys(diff.new_findings) == {("single-owner", "idna", "3.11")}
    assert diff.is_introduced("idna", "3.11") and not diff.is_introduced("six", "1.17.0")
