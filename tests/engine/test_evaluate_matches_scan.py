"""`Engine.evaluate(ref)` (the seam the install guard and the firewall use) says what a scan
of that one package says: the same findings at the same severities. Before, evaluate left
out the combination step (`signals.combine`), so ctx 0.1.4 an hour after its malicious
upload was a medium warning there and a critical block in `scan`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from chaingate.core.inventory import Inventory, Origin, Package
from chaingate.core.refs import PackageRef
from chaingate.engine import Engine
from chaingate.engine.scan import ScanOptions, run_scan
from chaingate.net.http import HttpSettings
from tests.pypiserver import PyPIServer, replay_documents
from tests.replay.table import INCIDENTS


def test_evaluate_judges_a_package_as_the_scan_does(tmp_path: Path) -> None:
    ctx = next(i for i in INCIDENTS if i.package == "ctx")
    when = ctx.first_upload + timedelta(hours=1)
    with PyPIServer(replay_documents()) as server:
        http = HttpSettings(cache_dir=tmp_path / "cache", backoff=0.01)
        pkg = Package("pypi", "ctx", ctx.version, True, (("ctx",),), origin=Origin.REGISTRY)
        scanned = run_scan(
            Inventory("pip install", (pkg,), ()),
            ScanOptions(index_url=server.url, http=http, db_url=None, now=when),
        )
        with Engine(http=http, indexes={"pypi": server.url}, now=when) as engine:
            evaluated = engine.evaluate(PackageRef("pypi", "ctx", ctx.version))
    scan_said = sorted((f.id, f.severity.label) for f in scanned.findings)
    assert ("dormant-then-release", "critical") in scan_said  # what the replay table shows
    assert sorted((f.id, f.severity.label) for f in evaluated.findings) == scan_said
