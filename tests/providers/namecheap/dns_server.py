"""Real DNS on loopback answering from the Namecheap emulator's host records, as Namecheap's
BasicDNS serves the domains that use it (URL redirect records are its web servers, not DNS)."""

from __future__ import annotations

import dns.name
import dns.zone

from mailwright.dns.zone import build_zone
from mailwright.providers.base import RecordSpec
from mailwright.providers.namecheap import DEFAULT_NAMESERVERS
from mailwright.providers.sandbox.dns_server import SandboxDnsServer
from tests.providers.namecheap.emulator import NamecheapEmulator

SERVED_TYPES = ("A", "AAAA", "CNAME", "MX", "TXT", "NS", "CAA")  # URL redirects are Namecheap's web servers


class BasicDns:
    """Real DNS on loopback answering from the emulator's host records, as BasicDNS would."""

    def __init__(self, emulator: NamecheapEmulator) -> None:
        self.emulator = emulator
        self.server = SandboxDnsServer(self.zone_for)

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        with self.emulator._lock:
            for name, domain in self.emulator.domains.items():
                if domain.uses_our_dns and qname.is_subdomain(dns.name.from_text(name)):
                    specs = [
                        RecordSpec(h["Type"], h["Name"], h["Address"], h["TTL"], h.get("MXPref") if h["Type"] == "MX" else None)
                        for h in domain.hosts
                        if h["Type"] in SERVED_TYPES
                    ]
                    return build_zone(name, specs, DEFAULT_NAMESERVERS)
        return None
