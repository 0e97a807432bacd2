"""The vocabulary the detectors share: the qualified names of the standard-library and
well-known third-party functions that execute code, decode data, reach the network, start
processes or hand a callable over to run later. Family-specific patterns live with their
family in `detectors/`."""

from __future__ import annotations

EXEC = frozenset({"exec", "eval", "compile"})
BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "__builtins__"})
DECODERS = frozenset(
    {
        "base64.b64decode",
        "base64.b32decode",
        "base64.b16decode",
        "base64.b85decode",
        "base64.a85decode",
        "base64.decodebytes",
        "base64.decodestring",
        "base64.standard_b64decode",
        "base64.urlsafe_b64decode",
        "binascii.a2b_base64",
        "binascii.unhexlify",
        "binascii.a2b_hex",
        "zlib.decompress",
        "gzip.decompress",
        "bz2.decompress",
        "lzma.decompress",
        "marshal.loads",
        "pickle.loads",
        "bytes.fromhex",
        "bytearray.fromhex",
        "codecs.decode",
    }
)
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
FETCH = frozenset(
    {
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "urllib.urlopen",
        "urllib.urlretrieve",
        "urllib2.urlopen",
        *(f"{lib}.{verb}" for lib in ("requests", "httpx") for verb in _HTTP_VERBS),
    }
)
# Name resolution is network too: a DNS query carries its name to whoever runs the zone.
DNS = frozenset(
    {
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.getaddrinfo",
        "dns.resolver.resolve",
        "dns.resolver.query",
    }
)
NETWORK = (
    FETCH
    | DNS
    | {
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "httplib.HTTPConnection",
        "httplib.HTTPSConnection",
        "socket.create_connection",
    }
)


PROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "os.startfile",
        "pty.spawn",
        "commands.getoutput",
        "asyncio.create_subprocess_shell",
        "asyncio.create_subprocess_exec",
    }
)
PROCESS_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")


KNOWN_CALLS = NETWORK | PROCESS | DECODERS
KNOWN_ENDS = ("urlretrieve", ".fromhex")
BUILTIN_PREFIXES = ("builtins.", "__builtin__.", "__builtins__.")
SOCKET_SENDS = frozenset({"send", "sendall", "sendto"})
SOCKET_NETWORK = SOCKET_SENDS | {"connect", "connect_ex"}
SOCKET_MAKERS = frozenset({"socket.socket", "socket.create_connection", "socket.fromfd"})
# Calls that hand a callable over to run later in this process (a thread, a timer, at exit,
# on a signal): the callable runs as surely as a direct call would.
SPAWNERS = frozenset(
    {
        "threading.Thread",
        "threading.Timer",
        "multiprocessing.Process",
        "atexit.register",
        "signal.signal",
        "_thread.start_new_thread",
        "thread.start_new_thread",
        "asyncio.ensure_future",
        "asyncio.create_task",
    }
)
SPAWNER_METHODS = frozenset({"submit", "run_in_executor", "call_soon", "call_later"})
BYTECODE_LOADERS = ("SourcelessFileLoader", "imp.load_compiled", "marshal.load", "marshal.loads")


# Calls whose value says who and where the user is: what DNS exfiltration encodes.
IDENTITY = frozenset(
    {
        "getpass.getuser",
        "socket.gethostname",
        "socket.getfqdn",
        "os.getcwd",
        "os.getlogin",
        "os.uname",
        "platform.node",
        "platform.uname",
    }
)


PLAIN_CODECS = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252", "utf-8-sig"})


MAIN_NAMES = frozenset({"__main__"})
TEST_DIRS = frozenset({"test", "tests", "testing", "doc", "docs", "example", "examples"})


B64_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_")
