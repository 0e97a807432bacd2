# Ultralytics YOLO 🚀, AGPL-3.0 license
import platform


def check_yolo(verbose=True):
    """Return a one-line summary of the software environment."""
    summary = f"Ultralytics YOLO Python-{platform.python_version()} {platform.system()}"
    if verbose:
        print(summary)
    return summary
