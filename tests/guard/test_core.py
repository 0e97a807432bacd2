"""The guard's core driven by a toy installer defined here: the seam every installer uses.

The toy installer is what an ecosystem provides (`chaingate.ecosystems.installer.Installer`):
its own plan of one package with the file's hash, its own pinned install (recorded, not
run) and its own words. The scan is the `evaluate` seam, answered here with a finding or
with none, so no registry and no installer process is involved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from chaingate.core.findings import Finding, Severity
from chaingate.core.inventory import Inventory, Origin
from chaingate.core.status import Incomplete
from chaingate.engine.result import ScanResult
from chaingate.engine.scan import Progress
from chaingate.guard.core import Evaluate, explain, guard

PIN = "sha512:" + "ab" * 64


@dataclass(frozen=True)
class ToyItem:
    name: str
    version: str
    hashes: tuple[str, ...]
    origin: Origin = Origin.REGISTRY
    requested: bool = True
    url: str | None = None
    source: str | None = None

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class ToyPlan:
    args: tuple[str, ...]
    items: tuple[ToyItem, ...]
    ecosystem: str = "toy"
    graph: Mapping[str, Sequence[str]] = field(default_factory=dict)
    resolved_with: str = "toy 1.0"
    built: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()  # what the plan's sources show
    incomplete: tuple[Incomplete, ...] = ()

    @property
    def manifest(self) -> str:
        return f"toy add {' '.join(self.args)}"


@dataclass(frozen=True)
class ToyWording:
    installer: str = "toy"
    built_note: str = "toy ran the install scripts of {packages}"


@dataclass
class ToyInstaller:
    """Plans one package for any arguments, and records what it was asked to install."""

    wording: ToyWording = field(default_factory=ToyWording)
    installed: list[tuple[tuple[str, str, tuple[str, ...]], ...]] = field(default_factory=list)
    files_seen: list[Mapping[str, Path] | None] = field(default_factory=list)

    def plan(self, args: Sequence[str]) -> ToyPlan:
        return ToyPlan(tuple(args), (ToyItem("left-pad", "1.3.0", (PIN,)),))

    def fetch(self, plan: ToyPlan) -> Mapping[str, Path] | None:
        return {i.key: Path(f"/cache/{i.name}.tgz") for i in plan.items}

    def install(self, plan: ToyPlan, files: Mapping[str, Path] | None) -> int:
        self.installed.append(tuple((i.name, i.version, i.hashes) for i in plan.items))
        self.files_seen.append(files)
        return 0


def scan_answering(*findings: Finding) -> tuple[list[Inventory], Evaluate]:
    """An `evaluate` that returns `findings` for whatever it is given, and what it was given."""
    seen: list[Inventory] = []

    def evaluate(inventory: Inventory, progress: Progress | None) -> ScanResult:
        seen.append(inventory)
        at = datetime(2026, 12, 1, tzinfo=UTC)
        return ScanResult(inventory, {}, findings, (), "https://toy.example", at, at)

    return seen, evaluate


def test_a_blocking_finding_installs_nothing_and_the_explanation_names_the_package() -> None:
    installer = ToyInstaller()
    bad = Finding(
        "malware", Severity.CRITICAL, "left-pad", "1.3.0", "steals tokens", ecosystem="toy"
    )
    seen, evaluate = scan_answering(bad)
    said: list[str] = []

    outcome = guard(installer, ["left-pad"], evaluate=evaluate, announce=said.append)

    assert installer.installed == []
    assert not outcome.allowed and outcome.exit_code is None
    assert [d.finding for d in outcome.blocked] == [bad]
    (inventory,) = seen
    assert [(p.ecosystem, p.name, p.version, p.direct) for p in inventory.packages] == [
        ("toy", "left-pad", "1.3.0", True)
    ]
    assert inventory.manifests == ("toy add left-pad",)
    assert said == [explain(outcome, installer.wording)]
    assert said[0].startswith(
        "chaingate: blocked: toy would install 1 package(s) (left-pad 1.3.0); 1 finding(s) "
        "block it. Nothing was installed."
    )
    assert "  left-pad 1.3.0: malware (critical)\n    steals tokens" in said[0]


def test_an_allowing_result_installs_exactly_the_planned_pins() -> None:
    installer = ToyInstaller()
    seen, evaluate = scan_answering()
    said: list[str] = []

    outcome = guard(installer, ["left-pad"], evaluate=evaluate, announce=said.append)

    assert outcome.allowed and outcome.installed and outcome.exit_code == 0
    assert [p.name for p in seen[0].packages] == ["left-pad"]
    assert installer.installed == [(("left-pad", "1.3.0", (PIN,)),)]
    assert installer.files_seen == [{"left-pad@1.3.0": Path("/cache/left-pad.tgz")}]
    assert said[0].startswith(
        "chaingate: checked the 1 package(s) toy would install (left-pad 1.3.0): nothing blocks."
    )
