"""The sandbox DNS host's authoritative server: real DNS over UDP and TCP on loopback, answering
from the sandbox tables, so verification (and `dig`) sees exactly what a real host would serve.

Every process that needs it runs its own, answering from its own database. When the configured
port is taken (by another Mailwright process, perhaps on another database, or by anything else),
this process answers on a free port instead and says which (`port`, `wanted_port_taken`)."""

from __future__ import annotations

import errno
import logging
import socket
import socketserver
import struct
import threading
from collections.abc import Callable

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

log = logging.getLogger(__name__)

# Looks up the zone that holds a name: None when we are not authoritative for it.
ZoneLookup = Callable[[dns.name.Name], "dns.zone.Zone | None"]


def answer(query: dns.message.Message, find_zone: ZoneLookup) -> dns.message.Message:
    """The authoritative answer to one query (pure apart from `find_zone`)."""
    response = dns.message.make_response(query)
    if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
        response.set_rcode(dns.rcode.NOTIMP if query.opcode() != dns.opcode.QUERY else dns.rcode.FORMERR)
        return response
    question = query.question[0]
    zone = find_zone(question.name) if question.rdclass == dns.rdataclass.IN else None
    if zone is None:
        response.set_rcode(dns.rcode.REFUSED)
        return response
    response.flags |= dns.flags.AA
    _resolve(response, zone, question.name, question.rdtype)
    return response


def _resolve(response: dns.message.Message, zone: dns.zone.Zone, qname: dns.name.Name, qtype: int) -> None:
    relative = qname.relativize(zone.origin)
    node = zone.get_node(relative)
    if node is None:
        below = any(name.derelativize(zone.origin).is_subdomain(qname) for name in zone.nodes)
        if not below:  # an empty non-terminal (like _domainkey) exists: NOERROR with no data
            response.set_rcode(dns.rcode.NXDOMAIN)
        _add_soa(response, zone)
        return
    cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
    if cname is not None and qtype not in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
        response.answer.append(_rrset(qname, cname))
        target = cname[0].target  # type: ignore[attr-defined]
        if target.is_subdomain(zone.origin) and target != qname:
            _resolve_in_zone(response, zone, target, qtype)
        return
    rdatasets = node.rdatasets if qtype == dns.rdatatype.ANY else [r for r in node.rdatasets if r.rdtype == qtype]
    for rdataset in rdatasets:
        response.answer.append(_rrset(qname, rdataset))
    if not rdatasets:
        _add_soa(response, zone)


def _resolve_in_zone(response: dns.message.Message, zone: dns.zone.Zone, name: dns.name.Name, qtype: int) -> None:
    node = zone.get_node(name.relativize(zone.origin))
    rdataset = node.get_rdataset(dns.rdataclass.IN, qtype) if node is not None else None
    if rdataset is not None:
        response.answer.append(_rrset(name, rdataset))


def _add_soa(response: dns.message.Message, zone: dns.zone.Zone) -> None:
    soa = zone.get_rdataset(dns.name.empty, dns.rdatatype.SOA)
    if soa is not None:
        response.authority.append(_rrset(zone.origin, soa))


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
    rrset.update(rdataset)
    return rrset


def wire_answer(wire: bytes, find_zone: ZoneLookup, max_size: int | None) -> bytes | None:
    """Bytes in, bytes out; None for garbage we cannot even answer with an error."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    try:
        response = answer(query, find_zone)
    except Exception:  # the database went away, a record we cannot render ...
        log.exception("sandbox DNS could not answer")
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.SERVFAIL)
    limit = max_size or 65535
    if max_size is not None and query.edns >= 0:
        limit = max(512, query.payload)
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:  # over UDP: say so, the client retries over TCP
        truncated = dns.message.make_response(query)
        truncated.flags |= dns.flags.TC | (response.flags & dns.flags.AA)
        return truncated.to_wire()


class SandboxDnsServer:
    """UDP and TCP listeners on one loopback port, each request in its own thread."""

    def __init__(self, find_zone: ZoneLookup, host: str = "127.0.0.1", port: int = 0) -> None:
        self.find_zone = find_zone
        self.host = host
        self.wanted_port = port
        self.wanted_port_taken = False
        self.port = 0
        self._servers: list[socketserver.BaseServer] = []

    def start(self) -> int:
        try:
            self._bind(self.wanted_port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or self.wanted_port == 0:
                raise
            self._bind(0)
            self.wanted_port_taken = True
            log.info("sandbox DNS port %s is taken by another process; this one answers on port %s", self.wanted_port, self.port)
        for server in self._servers:
            threading.Thread(target=server.serve_forever, name=f"sandbox-dns-{self.port}", daemon=True).start()
        return self.port

    def _bind(self, port: int) -> None:
        for _ in range(20):  # with port 0, the free UDP port may be taken for TCP: try another
            udp = _UdpServer((self.host, port), self)
            try:
                tcp = _TcpServer((self.host, udp.server_address[1]), self)
            except OSError as exc:
                udp.server_close()
                if port != 0 or exc.errno != errno.EADDRINUSE:
                    raise
                continue
            self._servers = [udp, tcp]
            self.port = udp.server_address[1]
            return
        raise OSError(errno.EADDRINUSE, "no free port for the sandbox DNS server")

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []


class _UdpHandler(socketserver.BaseRequestHandler):
    server: _UdpServer

    def handle(self) -> None:
        data, sock = self.request
        reply = wire_answer(data, self.server.owner.find_zone, max_size=512)
        if reply is not None:
            sock.sendto(reply, self.client_address)


class _TcpHandler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        try:
            while (header := _read_exactly(sock, 2)) is not None:
                data = _read_exactly(sock, struct.unpack("!H", header)[0])
                reply = wire_answer(data or b"", self.server.owner.find_zone, max_size=None)
                if reply is None:
                    return
                sock.sendall(struct.pack("!H", len(reply)) + reply)
        except OSError:
            return


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _UdpServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, address: tuple[str, int], owner: SandboxDnsServer) -> None:
        self.owner = owner
        super().__init__(address, _UdpHandler)


class _TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True  # a restart must not wait for TIME_WAIT

    def __init__(self, address: tuple[str, int], owner: SandboxDnsServer) -> None:
        self.owner = owner
        super().__init__(address, _TcpHandler)
