"""The ecosystem seam, proven: a toy second ecosystem defined here and nowhere else.

"toy" has its own manifest (`toy.deps`: `Name==version` per line), its own name rules (case
folds, `_` and `-` are NOT the same), its own registry (an HTTP server on 127.0.0.1 serving
`/toy/<name>.json`) and its own popular-names list. It goes through discovery, facts,
signals, policy, every report format and `Engine.evaluate` without any change to chaingate
outside this adapter; a tree that holds PyPI and toy packages of the same name keeps them
apart (keys are `PackageRef`s, never bare names).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Hashable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chaingate.core.facts import Account, Person, ProjectFacts, Release, Vulnerability
from chaingate.core.inventory import Declared, InventoryError, Location, Manifest
from chaingate.core.refs import PackageRef
from chaingate.ecosystems import default_ecosystems
from chaingate.ecosystems.interface import Answer, Ecosystem
from chaingate.engine import Engine
from chaingate.inventory.build import build_inventory
from chaingate.net.http import FetchError, HttpClient, HttpSettings
from chaingate.policy.interface import Action
from chaingate.policy.policy import Policy, load_policy
from chaingate.report import ScanDocument, formats_for, render
from chaingate.store.db import Store
from tests.pypiserver import PyPIServer
from tests.serverkit import BackgroundHTTPServer, ScriptedFaults, ScriptedHandler

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

# --- the adapter ----------------------------------------------------------------------------


class ToyNames:
    def normalize(self, name: str) -> str:
        return name.strip().lower()  # "_" and "-" stay distinct: not PEP 503

    def version_key(self, version: str) -> Hashable | None:
        try:
            return tuple(int(p) for p in version.split("."))
        except ValueError:
            return None


class ToyManifests:
    kinds = frozenset({"toy-deps"})
    lock_kinds = frozenset({"toy-deps"})
    project_kind = None
    understood = "toy.deps"

    def claim(self, directory: Path, filename: str) -> str | None:
        return "toy-deps" if filename == "toy.deps" else None

    def claim_named(self, path: Path) -> str | None:
        return self.claim(path.parent, path.name)

    def keep(self, kinds: dict[str, str]) -> set[str]:
        return set(kinds)

    def parse(self, path: Path, kind: str, display: str) -> Manifest:
        entries = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            name, sep, version = line.partition("==")
            if not sep or not name.strip() or not version.strip():
                raise InventoryError(display, n, f"expected 'name==version', got {line!r}")
            entries.append(
                Declared(ToyNames().normalize(name), Location(display, n), version=version.strip())
            )
        return Manifest(path=display, kind=kind, entries=tuple(entries), locked=True)


def _facts(name: str, doc: dict[str, Any], url: str) -> tuple[ProjectFacts, dict[str, Any]]:
    releases = tuple(
        Release(r["version"], datetime.fromisoformat(r["uploaded"]), False, None)
        for r in doc["releases"]
    )
    facts = ProjectFacts(
        ecosystem="toy",
        name=name,
        fetched_at=NOW,
        source_url=url,
        latest_version=releases[-1].version,
        owners=tuple(Account(u, "Owner") for u in doc["owners"]),
        organization=None,
        people=tuple(Person(e) for e in doc["emails"]),
        releases=releases,
    )
    return facts, doc.get("vulns", {})


class ToySession:
    def __init__(self, base: str, client: HttpClient) -> None:
        self.base, self.client = base, client

    def _answer(self, name: str, body: bytes, url: str, versions: Collection[str]) -> Answer:
        facts, vulns = _facts(name, json.loads(body), url)
        found = {
            v: tuple(Vulnerability(i, (), "toy advisory", (), None) for i in vulns.get(v, []))
            for v in versions
        }
        return Answer(facts=facts, vulns=found)

    def fresh(self, name: str) -> bool:
        return self.client.answers_from_cache(f"{self.base}/toy/{name}.json")

    def cached(self, name: str, versions: Collection[str]) -> Answer | None:
        url = f"{self.base}/toy/{name}.json"
        resp = self.client.cached(url)
        if resp is None or resp.status != 200:
            return None
        return self._answer(name, resp.body, url, versions)

    async def fetch(self, name: str, versions: Collection[str]) -> Answer:
        url = f"{self.base}/toy/{name}.json"
        try:
            resp = await self.client.fetch(url)
        except FetchError as exc:
            return Answer(unavailable=f"could not fetch {url}: {exc}", network=True)
        if resp.status == 404:
            return Answer(not_found=True, network=True)
        return self._answer(name, resp.body, url, versions)


class ToyRegistry:
    default_index = "https://toy.example.invalid"

    def session(self, index_url: str, client: HttpClient, http: HttpSettings) -> ToySession:
        return ToySession(index_url.rstrip("/"), client)

    def display_index(self, index_url: str) -> str:
        return index_url.rstrip("/")


TOY = Ecosystem(
    name="toy",
    names=ToyNames(),
    manifests=ToyManifests(),
    registry=ToyRegistry(),
    popular=lambda: "1\tleftpad\n2\tsix\n",
)

# --- its registry -----------------------------------------------------------------------------

DOCS = {
    # one owner, one email, a long quiet history: healthy but a bus factor of one
    "leftpad": {
        "owners": ["alice"],
        "emails": ["alice@example.org"],
        "releases": [
            {"version": "1.0.0", "uploaded": "2019-01-01T00:00:00+00:00"},
            {"version": "1.1.0", "uploaded": "2020-01-01T00:00:00+00:00"},
        ],
        "vulns": {"1.0.0": ["TOY-2020-1"]},
    },
    # a toy package named like a PyPI one: a different package entirely
    "six": {
        "owners": ["mallory"],
        "emails": ["m@example.net"],
        "releases": [{"version": "9.9.9", "uploaded": "2026-11-25T01:00:00+00:00"}],
    },
    # one small edit away from the toy ecosystem's popular "leftpad"
    "leftpda": {
        "owners": ["eve"],
        "emails": ["eve@example.net"],
        "releases": [{"version": "0.0.1", "uploaded": "2026-11-20T00:00:00+00:00"}],
    },
}


class _Handler(ScriptedHandler):
    owner: ToyServer

    def _answer(self, head: bool) -> None:
        fault = self.owner._record(self.command, self.path, dict(self.headers.items()))
        if self._play(fault, head):
            return
        name = self.path.removeprefix("/toy/").removesuffix(".json")
        doc = DOCS.get(name)
        if doc is None:
            self._send_error(404, {}, head)
            return
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_error(self, code: int, extra: Any, head: bool) -> None:
        self.send_response(code)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()


class ToyServer(ScriptedFaults, BackgroundHTTPServer):
    def _handler(self) -> type[ScriptedHandler]:
        return _Handler


@pytest.fixture
def toy_server() -> Iterator[ToyServer]:
    with ToyServer() as server:
        yield server


# --- the tests --------------------------------------------------------------------------------


def project(tmp_path: Path, toy: str, requirements: str | None = None) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "toy.deps").write_text(toy)
    if requirements is not None:
        (root / "requirements.txt").write_text(requirements)
    return root


def engine(tmp_path: Path, toy: ToyServer, pypi: PyPIServer | None = None, **kw: Any) -> Engine:
    indexes = {"toy": toy.url}
    if pypi is not None:
        indexes["pypi"] = pypi.url
    return Engine(
        ecosystems=(*default_ecosystems(), TOY),
        indexes=indexes,
        http=HttpSettings(cache_dir=tmp_path / "cache", timeout=5, retries=0),
        now=NOW,
        **kw,
    )


def test_discover_facts_signals_and_every_report(tmp_path: Path, toy_server: ToyServer) -> None:
    root = project(tmp_path, "LeftPad==1.0.0\nleftpda==0.0.1\nnot_here==1.0\n")
    inventory = build_inventory(root, index_url="unused", ecosystems=(*default_ecosystems(), TOY))
    assert [(p.ecosystem, p.name, p.version) for p in inventory.packages] == [
        ("toy", "leftpad", "1.0.0"),
        ("toy", "leftpda", "0.0.1"),
        ("toy", "not_here", "1.0"),
    ]
    with engine(tmp_path, toy_server, store=Store(f"sqlite:///{tmp_path}/db.sqlite")) as e:
        result = e.scan(inventory)
    by = {(f.id, f.package): f for f in result.findings}
    assert by[("typosquat", "leftpda")].evidence["resembles"] == "leftpad"
    assert by[("not-on-registry", "not_here")].ecosystem == "toy"
    assert by[("known-vulnerability", "leftpad")].evidence  # TOY-2020-1 on 1.0.0
    assert ("single-owner", "leftpad") in by
    assert all(f.ecosystem == "toy" for f in result.findings if f.package)
    assert result.facts_of(inventory.packages[0]) is not None
    assert result.index_url == toy_server.url
    assert result.checks["known-vulnerability"].status == "ok"

    for fmt in formats_for(ScanDocument):
        text = render(ScanDocument(result), fmt)
        assert "leftpda" in text, fmt
    doc = json.loads(render(ScanDocument(result), "json"))
    assert {p["ecosystem"] for p in doc["packages"]} == {"toy"}
    assert {f["ecosystem"] for f in doc["findings"] if f["package"]} == {"toy"}
    assert "toy:leftpda==0.0.1" in {f.get("ref") for f in doc["findings"]}


def test_policy_keys_name_the_ecosystem(tmp_path: Path, toy_server: ToyServer) -> None:
    root = project(tmp_path, "leftpda==0.0.1\nleftpad==1.1.0\n")
    (root / "chaingate.toml").write_text(
        '[deny]\npackages = ["toy:leftpad"]\n'
        '[allow]\npackages = ["pypi:leftpda"]\n'  # another ecosystem's name: no effect here
        '[[ignore]]\nid = "single-owner"\npackage = "toy:leftpad"\nreason = "we know alice"\n'
    )
    policy = load_policy(root)
    inventory = build_inventory(root, index_url="unused", ecosystems=(*default_ecosystems(), TOY))
    with engine(tmp_path, toy_server, policy=policy) as e:
        result = e.scan(inventory)
        from chaingate.policy.policy import decide

        decisions = decide(result, policy, NOW.date())
        verdict = e.evaluate(PackageRef("toy", "LeftPda", "0.0.1"))
        healthy = e.evaluate(PackageRef("toy", "leftpad", "1.1.0"))
    acts = {(d.finding.id, d.finding.package): d.action for d in decisions}
    assert acts[("policy-deny", "leftpad")] is Action.BLOCK
    assert acts[("typosquat", "leftpda")] is Action.BLOCK  # the pypi: allow entry is not ours
    assert acts[("single-owner", "leftpad")] is Action.IGNORE
    assert verdict.ref == PackageRef("toy", "leftpda", "0.0.1")  # toy's own name rule
    assert verdict.action is Action.BLOCK and verdict.incomplete is None
    assert "typosquat" in {f.id for f in verdict.findings}
    assert healthy.incomplete is None
    assert "single-owner" not in {f.id for f in healthy.findings}  # the exception holds


def test_one_name_in_two_ecosystems_is_two_packages(
    tmp_path: Path, toy_server: ToyServer, pypi_server: PyPIServer
) -> None:
    root = project(tmp_path, "six==9.9.9\n", "six==1.16.0\n")
    ecos = (*default_ecosystems(), TOY)
    inventory = build_inventory(
        root, index_url=pypi_server.url, resolve_deps=False, ecosystems=ecos
    )
    assert {(p.ecosystem, p.name, p.version) for p in inventory.packages} == {
        ("pypi", "six", "1.16.0"),
        ("toy", "six", "9.9.9"),
    }
    with engine(tmp_path, toy_server, pypi_server) as e:
        result = e.scan(inventory)
        pypi_six = e.evaluate(PackageRef("pypi", "six", "1.16.0"))
        toy_six = e.evaluate(PackageRef("toy", "six", "9.9.9"))
    assert {r.ecosystem for r in result.facts} == {"pypi", "toy"}
    owners = {r.ecosystem: {a.user for a in f.owners} for r, f in result.facts.items()}
    assert owners["toy"] == {"mallory"} and "mallory" not in owners["pypi"]
    # the accounts of two registries are never merged into one principal
    assert "toy:mallory" in {m.account for m in result.maintainers()}
    new = {(f.ecosystem, f.id) for f in result.findings if f.package == "six"}
    assert ("toy", "new-release") in new or ("toy", "new-package") in new
    assert not any(eco == "pypi" and sid in ("new-release", "new-package") for eco, sid in new)
    assert {"new-release", "new-package"} & {f.id for f in toy_six.findings}
    assert pypi_six.findings != toy_six.findings
    assert "pypi=" in result.index_url and "toy=" in result.index_url


def test_an_unreachable_toy_registry_is_incomplete_never_clean(
    tmp_path: Path, toy_server: ToyServer
) -> None:
    from tests.serverkit import Status

    toy_server.always("/toy/leftpad.json", Status(503))
    root = project(tmp_path, "leftpad==1.1.0\n")
    inventory = build_inventory(root, index_url="unused", ecosystems=(*default_ecosystems(), TOY))
    with engine(tmp_path, toy_server, policy=Policy()) as e:
        result = e.scan(inventory)
        verdict = e.evaluate(PackageRef("toy", "leftpad", "1.1.0"))
    assert [(i.ecosystem, i.package) for i in result.incomplete] == [("toy", "leftpad")]
    assert "503" in result.incomplete[0].reason
    assert verdict.incomplete is not None and "503" in verdict.incomplete
    assert verdict.findings == ()


def test_bad_toy_input_is_a_clear_error(tmp_path: Path) -> None:
    root = project(tmp_path, "leftpad 1.0\n")
    with pytest.raises(InventoryError) as exc:
        build_inventory(root, index_url="unused", ecosystems=(*default_ecosystems(), TOY))
    assert (exc.value.file, exc.value.line) == ("toy.deps", 1)
