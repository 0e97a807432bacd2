# Ultralytics YOLO 🚀, AGPL-3.0 license
from pathlib import Path

FILE = Path(__file__).resolve()
ROOT = FILE.parents[1]
ASSETS = ROOT / "assets"
SETTINGS = {"datasets_dir": str(Path.home() / "datasets"), "sync": True}
