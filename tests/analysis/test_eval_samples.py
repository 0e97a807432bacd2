"""The malicious samples of the evaluation (eval/malicious/), built into the archives they
would be published as and inspected offline: every sample the analyser catches must stay
caught (`high` or `critical` on every archive), and every sample it is known to miss must stay
listed in KNOWN_MISSES, with the reason, until a detector change catches it. Nothing is run:
the samples are inert text (URLs under example.invalid) that is only parsed.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chaingate.analysis.inspect import inspect_path
from chaingate.core.findings import Severity

ROOT = Path(__file__).resolve().parents[2]


def _load_eval_samples() -> ModuleType:
    """eval/samples.py, loaded by path (eval/ is not a package, and never collected)."""
    spec = importlib.util.spec_from_file_location(
        "chaingate_eval_samples", ROOT / "eval" / "samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


samples = _load_eval_samples()
SAMPLES = samples.load_samples()

# Samples the analyser misses today, with what it would take to catch them. When a detector
# improves and one of these is caught, test_sample fails until it is removed from here.
KNOWN_MISSES: dict[str, str] = {
    "big-module-payload": "modules over 8 MB are skipped",
    "blankobf-octal-eval": "eval('eval') (a builtin named by a constant) is not followed",
    "builtins-backdoors": "vars()/__dict__/globals()/__call__ lookups are not resolved",
    "chained-start-bat": "a chained `set X=.. | start x.bat` is not read as starting a batch file",
    "cmdclass-helper-download-run": "calls from a cmdclass run() into module helpers are not followed",
    "exec-open-data-file": "exec(open(<file>).read()) is not a finding",
    "hyperion-renamed-builtins": "tuple-unpacked aliases of builtins are not followed",
    "lnk-clipboard-extension-setup": "browser shortcut rewriting is not a finding",
    "map-getattr-builtins-join": "''.join(map(getattr(__builtins__, <computed>), ...)) is not a decoder",
    "math-alnum-exec": "identifiers spelled in mathematical alphanumerics are not reported",
    "pip-main-install-setup": "pip.main(['install', ...]) in a cmdclass is not a finding",
    "pth-zip-sitecustomize": "a .pth path line naming a zip with sitecustomize.py is not read",
    "py312-split-decoder": "the line fallback wants decoder and exec on one line",
    "pyarmor-protected-payload": "PyArmor-protected modules are not reported",
    "pyd-in-sdist": "prebuilt .pyd/.dll in an sdist are not reported",
    "runpy-run-path-dat": "runpy.run_path of a non-.py file is not a finding",
    "setup-imports-scripts-helper": "scripts/ is discounted two levels even when setup.py imports it",
    "so-in-pure-wheel": "a .so in a pure wheel imported at import time is only medium",
    "subprocess-pip-install-setup": "pip install from setup.py is medium, alone demoted to low",
    "temp-py-popen": "a script written from a string literal and run is not analysed as code",
    "unchecked-pyc-pycache": "an unchecked-hash .pyc in __pycache__ is not reported",
    "w4sp-temp-pythonw": "a script written from a string literal and run is not analysed as code",
    "wallet-history-stealer": "exfiltration is not traced through helper function returns",
    "xor-eval-compile-setup": "bytes([b ^ k for b in d]) is not a decoder",
}

# Samples caught by a detector written for their shape: each of their archives must be high
# or critical through a finding with this id, not by the accident of another detector.
CAUGHT_BY: dict[str, str] = {
    "aiocpa-telegram": "obfuscated-exec",  # a lambda returning a decoder call, exec'd
    "blankobf-cp1026": "obfuscated-exec",  # getattr(builtins, b'..'.decode('cp1026'))
    "ctx-0.2.6-aws-keys": "exfiltration",  # credential variables on self, sent later
    "dns-exfil-dependency-confusion": "exfiltration",  # identity in DNS labels
    "fernet-setup-2024": "obfuscated-exec",  # exec(Fernet(k).decrypt(t))
    "fshec2-compiled-bytecode": "compiled-bytecode",  # SourcelessFileLoader of full.pyc
    "lightning-bun-daemon-thread": "download-exec",  # download, unzip, chmod +x, run
    "ultralytics-8.3.41-miner": "download-exec",  # safe_download + safe_run, miner args
    "reverse-shell-setup": "download-exec",  # socket dup2'ed onto a shell
    "ssh-decorate-2018": "exfiltration",  # the key read in __init__, posted elsewhere
}

_ALLOWED_NETS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "169.254.169.254/32")
]
_URL_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)")


def _caught(sample: Any, tmp_path: Path) -> dict[str, Severity | None]:
    return {p.name: inspect_path(p).verdict for p in samples.build(sample, tmp_path)}


def test_there_are_enough_samples() -> None:
    assert len(SAMPLES) >= 20
    assert set(KNOWN_MISSES) <= {s.key for s in SAMPLES}, "KNOWN_MISSES names a missing sample"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.key)
def test_sample(sample: Any, tmp_path: Path) -> None:
    verdicts = _caught(sample, tmp_path)
    assert verdicts, "the sample built no archive"
    caught = all(v is not None and v >= Severity.HIGH for v in verdicts.values())
    shown = {name: v.label if v else "none" for name, v in verdicts.items()}
    key = sample.key
    if key in KNOWN_MISSES:
        assert not caught, f"{key} is caught now ({shown}): remove it from KNOWN_MISSES"
    else:
        assert caught, f"{key} is no longer caught: {shown}"


@pytest.mark.parametrize("key", sorted(CAUGHT_BY))
def test_sample_is_caught_by_its_detector(key: str, tmp_path: Path) -> None:
    sample = next(s for s in SAMPLES if s.key == key)
    for archive in samples.build(sample, tmp_path):
        findings = inspect_path(archive).findings
        ids = {f.id for f in findings if f.severity >= Severity.HIGH}
        assert CAUGHT_BY[key] in ids, f"{archive.name}: {sorted(ids)}"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.key)
def test_sample_is_inert(sample: Any) -> None:
    """Every URL in the samples' files points under example.invalid or at a documentation /
    link-local address; no file is something pytest or an importer would pick up."""
    for path in sorted(sample.root.rglob("*")):
        if not path.is_file() or path.name == "SAMPLE.md":
            continue
        rel, data = path.relative_to(sample.root).as_posix(), path.read_bytes()
        name = path.name
        assert not (name.startswith("test_") or name == "conftest.py"), rel
        for host in _URL_HOST.findall(data.decode("latin-1")):
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                assert host.endswith(".example.invalid"), f"{rel}: {host}"
            else:
                assert any(ip in net for net in _ALLOWED_NETS), f"{rel}: {host}"
