"""Real DNS on loopback for the Graph emulator's domain verification: a test serves the records
it wants seen (the verification TXT a DNS host would publish) and the emulator queries them."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import dns.name
import dns.zone

from mailwright.dns.zone import build_zone
from mailwright.providers.base import RecordSpec
from mailwright.providers.sandbox.dns_server import SandboxDnsServer

NAMESERVERS = ("ns1.dns-host.test.", "ns2.dns-host.test.")


class ServedZones:
    """Zones served by name; `serve(domain, records)` replaces a zone's records, `drop` stops it."""

    def __init__(self) -> None:
        self._zones: dict[str, list[RecordSpec]] = {}
        self._lock = threading.Lock()
        self.server = SandboxDnsServer(self.zone_for)

    def start(self) -> tuple[str, int]:
        return ("127.0.0.1", self.server.start())

    def stop(self) -> None:
        self.server.stop()

    def serve(self, domain: str, records: Iterable[RecordSpec]) -> None:
        with self._lock:
            self._zones[domain.lower()] = list(records)

    def drop(self, domain: str) -> None:
        with self._lock:
            self._zones.pop(domain.lower(), None)

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        with self._lock:
            zones = dict(self._zones)
        for name, records in zones.items():
            if qname.is_subdomain(dns.name.from_text(name)):
                return build_zone(name, records, NAMESERVERS)
        return None
