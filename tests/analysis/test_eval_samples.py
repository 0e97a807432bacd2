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
KNOWN_MISSES: dict[str, str] = {}

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
    # issue 15's classes, each by the detector written for it
    "beacon-dns-user": "exfiltration",  # user and host as DNS labels at import
    "beacon-http-hostname": "exfiltration",  # user, host, cwd in a GET at import
    "beacon-requests-post-json": "exfiltration",
    "egg-info-helper-exec": "install-hook",  # egg_info -> helper -> exec(urlopen())
    "startup-vbs-dropper": "write-then-run",  # a .vbs written and os.startfile'd
    "beacon-percent-format-ip": "exfiltration",  # a beacon, was one demoted medium
    "big-module-payload": "obfuscated-exec",  # after 9 MB of tables
    "blankobf-octal-eval": "obfuscated-exec",  # eval("\\145\\166\\141\\154")
    "builtins-backdoors": "obfuscated-exec",  # vars(__builtins__)['exec'], __dict__.get
    "chained-start-bat": "install-hook",  # set __COMPACT_LAYER=... | start install.bat
    "cmdclass-helper-download-run": "install-hook",  # run() -> helper -> download
    "entrypoint-ssh-stealer": "exfiltration",  # console script reads ~/.ssh, posts
    "exec-open-data-file": "data-exec",  # exec(open('theme.dat').read())
    "hyperion-renamed-builtins": "obfuscated-exec",  # (_a, _b) = (exec, compile)
    "lnk-clipboard-extension-setup": "browser-hijack",  # .lnk + --load-extension
    "lnk-powershell-shortcut": "browser-hijack",
    "map-getattr-builtins-join": "obfuscated-exec",  # ''.join(map(getattr(__builtins__..
    "math-alnum-exec": "write-then-run",  # exec of a literal that downloads
    "pip-main-install-setup": "install-hook",  # pip.main(['install', ...])
    "pth-zip-sitecustomize": "pth-exec",  # a .pth path line naming a zip
    "py312-split-decoder": "obfuscated-exec",  # decoder and exec on separate lines
    "pyarmor-protected-payload": "protected-code",
    "pyd-in-sdist": "bundled-binary",  # a prebuilt .pyd the package imports
    "python-m-browser-stealer": "exfiltration",  # Login Data to a webhook
    "runpy-run-path-dat": "data-exec",
    "setup-imports-scripts-helper": "install-hook",  # scripts/post_install.py, imported
    "so-in-pure-wheel": "bundled-binary",  # a .so in py3-none-any, imported
    "subprocess-pip-install-setup": "install-hook",
    "temp-py-popen": "write-then-run",
    "unchecked-pyc-pycache": "compiled-bytecode",
    "w4sp-temp-pythonw": "write-then-run",
    "wallet-history-stealer": "exfiltration",  # _send(_collect())
    "xor-eval-compile-setup": "obfuscated-exec",
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
