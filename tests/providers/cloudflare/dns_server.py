"""An authoritative DNS server on loopback (UDP and TCP) answering from the Cloudflare emulator's
records, as Cloudflare's nameservers serve what its API holds: TXT content's quoted strings
become the character-strings, MX and SRV get their priority, hostnames are absolute. Lets a test
query published records with the same code that verifies readiness (dns/verify.py). The serving is
the sandbox's DNS server; only the zones come from the emulator."""

from __future__ import annotations

from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.zone

from mailwright.providers.sandbox.dns_server import SandboxDnsServer

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


def zone_of(emulator: CloudflareEmulator, qname: dns.name.Name) -> dns.zone.Zone | None:
    """The emulated zone holding `qname` (the longest match), with the records its API holds."""
    with emulator.lock:
        zones = [z for z in emulator.zones.values() if qname.is_subdomain(dns.name.from_text(z["name"]))]
        if not zones:
            return None
        found = max(zones, key=lambda z: len(z["name"]))
        records = list(emulator.records[found["id"]].values())
    origin = dns.name.from_text(found["name"])
    zone = dns.zone.Zone(origin)
    for record in records:
        rdataset = zone.find_rdataset(dns.name.from_text(record["name"]), dns.rdatatype.from_text(record["type"]), create=True)
        rdataset.add(rdata_of(record), record["ttl"] if record["ttl"] > 1 else 300)
    return zone


class EmulatorDns:
    def __init__(self, emulator: CloudflareEmulator) -> None:
        self.emulator = emulator
        self.server = SandboxDnsServer(self.zone_for)
        self.port = self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        return zone_of(self.emulator, qname)
