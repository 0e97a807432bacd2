"""A local DNS server for tests: real DNS over UDP and TCP on 127.0.0.1, built on dnslib.

Clients talk to it over sockets exactly as chaingate talks to a resolver -- no monkeypatching:

    with DnsServer() as dns_server:                      # pypi.org, gmail.com, python.org exist
        dns_server.add("example.org", a=["192.0.2.1"], mx=["10 mx.example.org."])
        chaingate ... --dns-server {dns_server.spec}     # "127.0.0.1:PORT", UDP and TCP
        dns_server.mode = "nxdomain"                     # the resolver of these machines
        assert ("example.org", "MX") in dns_server.queries

Answers, in mode "normal": a domain that was added exists -- every query for it is NOERROR,
with the records of the asked type (all of them for ANY) or an empty answer (NODATA); any
other name, including an unadded subdomain of an added one, is NXDOMAIN. Replies are
authoritative (AA set), so a client needs no other server. Other modes: "nxdomain"
(NXDOMAIN for every name, canaries included), "servfail" (SERVFAIL for every name),
"wildcard" (a captive portal or an NXDOMAIN-hijacking ISP resolver: added domains answer as
in "normal", every other name answers A `WILDCARD_A` and NODATA for other types, except names
under `.wildcard_spares`, e.g. ("invalid",), a stub resolver that denies RFC 6761 names
itself) and
"drop" (no answer at all: UDP clients time out, TCP connections stay open and silent).

UDP and TCP share one port number (RFC 7766: a resolver retries over TCP on the same
address), picked by the OS; TCP connections may carry several length-prefixed queries.
Every query is logged in `.queries` as (name, type), whatever the mode.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from dnslib import QTYPE, RCODE, RR, DNSError, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer
from dnslib.server import TCPServer as _DnslibTCPServer

from tests.serverkit import ServerLifecycle

Mode = Literal["normal", "nxdomain", "servfail", "wildcard", "drop"]
MODES: tuple[Mode, ...] = ("normal", "nxdomain", "servfail", "wildcard", "drop")
TTL = 300
WILDCARD_A = "192.0.2.254"  # the portal's address, answered for every unknown name

# Healthy-resolver defaults: the canaries chaingate checks before believing a resolver
# (chaingate.facts.intel.interface.DNS_CANARIES). Addresses are documentation ranges (RFC 5737).
CANARIES: dict[str, dict[str, list[str]]] = {
    "pypi.org": {
        "A": ["192.0.2.10"],
        "MX": ["10 mx.pypi.org."],
        "NS": ["ns1.pypi.org.", "ns2.pypi.org."],
    },
    "gmail.com": {
        "A": ["192.0.2.20"],
        "MX": ["5 gmail-smtp-in.l.google.com.", "10 alt1.gmail-smtp-in.l.google.com."],
        "NS": ["ns1.google.com.", "ns2.google.com."],
    },
    "python.org": {
        "A": ["192.0.2.30"],
        "MX": ["50 mail.python.org."],
        "NS": ["ns1.python.org.", "ns2.python.org."],
    },
}

_TYPES = ("A", "AAAA", "MX", "NS")
_ATTEMPTS = 50  # tries at finding a port free for both UDP and TCP
_TCP_IDLE = 30.0  # seconds a silent TCP connection is kept open


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


class _Quiet(DNSLogger):
    """dnslib's logger prints every request; tests want silence."""

    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error", prefix=False)


class _TCPServer(_DnslibTCPServer):
    """dnslib's threaded TCP server with a listen backlog for ~50 concurrent clients
    (socketserver's default of 5 drops connections under load, costing a 1 s SYN retry)."""

    request_queue_size = 128


class DnsServer(ServerLifecycle):
    """A DNS server on 127.0.0.1 (OS-assigned port, UDP and TCP) in background threads."""

    def __init__(self, zones: Mapping[str, Mapping[str, Iterable[str]]] | None = None) -> None:
        super().__init__()
        self._mode: Mode = "normal"
        self.queries: list[tuple[str, str]] = []
        self.wildcard_spares: tuple[str, ...] = ()  # suffixes "wildcard" mode still denies
        self.refused: tuple[str, ...] = ()  # suffixes answered REFUSED, whatever the mode
        self._records: dict[str, dict[str, list[RR]]] = {}
        self._lock = threading.Lock()
        self._servers: list[DNSServer] = []
        self._threads: list[threading.Thread] = []
        self._port: int | None = None
        for domain, records in {**CANARIES, **(zones or {})}.items():
            self._set(domain, {k.upper(): list(v) for k, v in records.items()})

    # -- lifecycle (start, close and the context manager: ServerLifecycle)

    def _open(self) -> None:
        resolver = _Resolver(self)
        last_error: OSError | None = None
        for _ in range(_ATTEMPTS):
            udp = DNSServer(
                resolver, address="127.0.0.1", port=0, logger=_Quiet(), handler=_Handler
            )
            port = udp.server.server_address[1]
            try:
                tcp = DNSServer(
                    resolver,
                    address="127.0.0.1",
                    port=port,
                    tcp=True,
                    logger=_Quiet(),
                    handler=_Handler,
                    server=_TCPServer,
                )
            except OSError as exc:  # the TCP port is taken: try another UDP port
                last_error = exc
                udp.server.server_close()
                continue
            break
        else:
            raise RuntimeError(f"no port free for both UDP and TCP: {last_error}")
        self._port = port
        self._servers = [udp, tcp]
        for server in self._servers:
            server.server.block_on_close = False  # a silent TCP handler must not hold up close()
            thread = threading.Thread(
                target=server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _shut(self) -> None:
        # `_closing` is set by now: TCP handlers holding a connection open in "drop" let go
        for server in self._servers:
            server.server.shutdown()
            server.server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads, self._port = [], [], None

    @property
    def mode(self) -> Mode:
        """ "normal", "nxdomain", "servfail", "wildcard" or "drop"; takes effect for the next
        query."""
        return self._mode

    @mode.setter
    def mode(self, mode: Mode) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r} (use {', '.join(MODES)})")
        self._mode = mode

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("DnsServer is not running; use it as a context manager")
        return self._port

    @property
    def spec(self) -> str:
        """`HOST:PORT`, the form chaingate's `--dns-server` takes."""
        return f"{self.host}:{self.port}"

    # -- content

    def add(
        self,
        domain: str,
        *,
        a: Iterable[str] | None = None,
        aaaa: Iterable[str] | None = None,
        mx: Iterable[str] | None = None,
        ns: Iterable[str] | None = None,
    ) -> None:
        """Make `domain` exist, with these records (MX as "10 mx.example.org.").

        Adding a domain again replaces the record types given and keeps the others; a domain
        added with no records exists but answers NODATA for every type.
        """
        given = {"A": a, "AAAA": aaaa, "MX": mx, "NS": ns}
        self._set(domain, {t: list(v) for t, v in given.items() if v is not None}, merge=True)

    def remove(self, domain: str) -> None:
        """Make `domain` not exist (NXDOMAIN), canaries included."""
        with self._lock:
            self._records.pop(_key(domain), None)

    def domains(self) -> list[str]:
        with self._lock:
            return sorted(self._records)

    def clear_log(self) -> None:
        """Forget `.queries` (e.g. between a cold and a warm run)."""
        with self._lock:
            self.queries.clear()

    def _set(self, domain: str, records: Mapping[str, list[str]], merge: bool = False) -> None:
        name = _key(domain)
        if not name:
            raise ValueError("empty domain name")
        built: dict[str, list[RR]] = {}
        for rtype, values in records.items():
            if rtype not in _TYPES:
                raise ValueError(f"unsupported record type {rtype!r} (use {', '.join(_TYPES)})")
            built[rtype] = [
                rr for value in values for rr in RR.fromZone(f"{name}. {TTL} IN {rtype} {value}")
            ]
        with self._lock:
            current = self._records.get(name, {}) if merge else {}
            self._records[name] = {**current, **built}

    # -- used by the resolver

    def _answer(self, request: DNSRecord) -> DNSRecord | None:
        qname = _key(str(request.q.qname))
        qtype = QTYPE.get(request.q.qtype, f"TYPE{request.q.qtype}")
        with self._lock:
            self.queries.append((qname, qtype))
            mode = self._mode
            records = self._records.get(qname)
        if mode == "drop":
            return None
        reply = request.reply()  # QR, AA and RA set; the question echoed as asked
        if mode == "servfail":
            reply.header.rcode = RCODE.SERVFAIL
        elif _under(qname, self.refused):
            reply.header.rcode = RCODE.REFUSED
        elif mode == "wildcard" and records is None and not _under(qname, self.wildcard_spares):
            if qtype in ("A", "ANY"):
                reply.add_answer(*RR.fromZone(f"{qname}. {TTL} IN A {WILDCARD_A}"))
        elif mode == "nxdomain" or records is None:
            reply.header.rcode = RCODE.NXDOMAIN
        else:
            wanted = list(records) if qtype == "ANY" else [qtype]
            for rtype in wanted:
                for rr in records.get(rtype, []):
                    reply.add_answer(rr)
        return reply


def _under(name: str, suffixes: Iterable[str]) -> bool:
    return any(name == s or name.endswith(f".{s}") for s in suffixes)


class _Resolver(BaseResolver):
    """dnslib's resolver interface: one instance, called from every handler thread."""

    def __init__(self, owner: DnsServer) -> None:
        self.owner = owner

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord | None:
        return self.owner._answer(request)


class _Handler(DNSHandler):
    """dnslib's handler, plus: no reply at all in "drop", and several queries per TCP
    connection (RFC 7766 6.2.1) instead of one."""

    def handle(self) -> None:
        resolver: _Resolver = self.server.resolver
        if self.server.socket_type == socket.SOCK_STREAM:
            self.protocol = "tcp"
            with contextlib.suppress(OSError):
                self._serve_tcp(resolver.owner._closing)
            return
        self.protocol = "udp"
        data, sock = self.request
        reply = self._reply(data)
        if reply is not None:
            with contextlib.suppress(OSError):
                sock.sendto(reply, self.client_address)

    def _reply(self, data: bytes) -> bytes | None:
        try:
            request = DNSRecord.parse(data)
        except DNSError:
            return None  # not DNS: ignore, as a real server may
        reply = self.server.resolver.resolve(request, self)
        return None if reply is None else bytes(reply.pack())

    def _serve_tcp(self, closing: threading.Event) -> None:
        sock: socket.socket = self.request
        sock.settimeout(0.1)
        while True:
            header = _recv_exact(sock, 2, closing)
            if header is None:
                return
            message = _recv_exact(sock, struct.unpack("!H", header)[0], closing)
            if message is None:
                return
            reply = self._reply(message)
            if reply is not None:
                sock.sendall(struct.pack("!H", len(reply)) + reply)


def _recv_exact(sock: socket.socket, size: int, closing: threading.Event) -> bytes | None:
    """`size` bytes, or None once the peer closes, the server closes, or it idles too long."""
    data = b""
    idle = 0.0
    while len(data) < size:
        if closing.is_set() or idle >= _TCP_IDLE:
            return None
        try:
            chunk = sock.recv(size - len(data))
        except TimeoutError:
            idle += 0.1
            continue
        if not chunk:
            return None
        data += chunk
        idle = 0.0
    return data
