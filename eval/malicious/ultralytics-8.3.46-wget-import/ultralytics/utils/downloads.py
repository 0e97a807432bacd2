# Ultralytics YOLO 🚀, AGPL-3.0 license
from pathlib import Path

import requests


def download(url, dir=Path("."), unzip=True, retry=3):
    """Download a file from `url` into `dir`, retrying on failure."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    f = dir / Path(url).name
    for _ in range(retry):
        r = requests.get(url, timeout=30)
        if r.ok:
            f.write_bytes(r.content)
            break
    return f
