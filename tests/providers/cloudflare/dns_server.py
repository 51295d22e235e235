"""An authoritative DNS server on loopback (UDP and TCP) answering from the Cloudflare emulator's
records, as Cloudflare's nameservers serve what its API holds: TXT content's quoted strings
become the character-strings, MX and SRV get their priority, hostnames are absolute. Lets a test
query published records with the same code that verifies readiness (dns/verify.py)."""

from __future__ import annotations

import socketserver
import struct
import threading
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

from tests.providers.cloudflare.emulator import CloudflareEmulator, txt_strings_of


def rdata_of(record: dict[str, Any]) -> dns.rdata.Rdata:
    rtype = record["type"]
    rdtype = dns.rdatatype.from_text(rtype)
    content = record["content"]
    if rtype == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, [s.encode() for s in txt_strings_of(content)])
    if rtype == "MX":
        text = f"{record['priority']} {content}."
    elif rtype == "SRV":
        data = record["data"]
        text = f"{data['priority']} {data['weight']} {data['port']} {data['target']}."
    elif rtype in ("CNAME", "NS"):
        text = content + "."
    else:
        text = content
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, text)


class EmulatorDns:
    def __init__(self, emulator: CloudflareEmulator) -> None:
        self.emulator = emulator
        handler = self._handlers()
        self.udp = socketserver.ThreadingUDPServer(("127.0.0.1", 0), handler[0])
        self.port = self.udp.server_address[1]
        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), handler[1])
        for server in (self.udp, self.tcp):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in (self.udp, self.tcp):
            server.shutdown()
            server.server_close()

    def answer(self, wire: bytes, limit: int | None) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        question = query.question[0]
        zone = self._zone_of(question.name)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response.to_wire()
        response.flags |= dns.flags.AA
        wanted = question.name.to_text(omit_final_dot=True).lower()
        with self.emulator.lock:
            records = [r for r in self.emulator.records[zone["id"]].values() if r["name"] == wanted]
        matching = [r for r in records if dns.rdatatype.from_text(r["type"]) == question.rdtype]
        if matching:
            rrset = dns.rrset.RRset(question.name, dns.rdataclass.IN, question.rdtype)
            for record in matching:
                rrset.add(rdata_of(record), record["ttl"] if record["ttl"] > 1 else 300)
            response.answer.append(rrset)
        elif not records and question.name != dns.name.from_text(zone["name"]):
            response.set_rcode(dns.rcode.NXDOMAIN)
        wire_out = response.to_wire()
        if limit is not None and len(wire_out) > limit:
            response.answer.clear()
            response.flags |= dns.flags.TC
            wire_out = response.to_wire()
        return wire_out

    def _zone_of(self, name: dns.name.Name) -> dict[str, Any] | None:
        with self.emulator.lock:
            zones = list(self.emulator.zones.values())
        best = [z for z in zones if name.is_subdomain(dns.name.from_text(z["name"]))]
        return max(best, key=lambda z: len(z["name"]), default=None)

    def _handlers(self) -> tuple[type[socketserver.BaseRequestHandler], type[socketserver.BaseRequestHandler]]:
        server = self

        class Udp(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                sock.sendto(server.answer(data, 512), self.client_address)

        class Tcp(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                size = self.rfile.read(2)
                if len(size) < 2:
                    return
                out = server.answer(self.rfile.read(struct.unpack("!H", size)[0]), None)
                self.wfile.write(struct.pack("!H", len(out)) + out)

        return Udp, Tcp
