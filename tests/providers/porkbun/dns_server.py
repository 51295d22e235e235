"""Porkbun's nameservers, as far as tests need them: the zones Porkbun serves for the domains in
the emulated account, built from the emulator's records (`EmulatedZones.zone_for`), and real DNS
on loopback answering from them (`EmulatedZones.server`, the sandbox's DNS server)."""

from __future__ import annotations

import dns.name
import dns.zone

from mailwright.dns.zone import build_zone
from mailwright.providers.base import RecordSpec
from mailwright.providers.sandbox.dns_server import SandboxDnsServer
from tests.providers.porkbun.emulator import NAMESERVERS, PorkbunEmulator


class EmulatedZones:
    """Real DNS on loopback answering from the emulator's records, as Porkbun's nameservers would."""

    def __init__(self, emulator: PorkbunEmulator) -> None:
        self.emulator = emulator
        self.queried: list[str] = []
        self.server = SandboxDnsServer(self.zone_for)

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        self.queried.append(qname.to_text())
        with self.emulator.lock:
            for name, domain in self.emulator.domains.items():
                if qname.is_subdomain(dns.name.from_text(name)):
                    specs = [self.spec(name, r.name, r.type, r.content, r.ttl, r.prio) for r in domain.records]
                    return build_zone(name, [s for s in specs if s is not None], NAMESERVERS)
        return None

    @staticmethod
    def spec(domain: str, full: str, rtype: str, content: str, ttl: int, prio: int) -> RecordSpec | None:
        if rtype not in ("A", "AAAA", "MX", "TXT", "CNAME") or full.startswith("*"):
            return None  # ALIAS is Porkbun's flattening, served as A records; wildcards are not emulated
        name = "@" if full == domain else full.removesuffix("." + domain)
        value = content + "." if rtype in ("MX", "CNAME") else content
        return RecordSpec(rtype, name, value, ttl, prio if rtype == "MX" else None)
