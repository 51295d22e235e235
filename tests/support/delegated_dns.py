"""Real DNS on loopback answering for the domains an emulated registrar holds as the internet
answers a resolver, for MAILWRIGHT_DNS_VERIFY_SERVER in end-to-end tests with a real registrar:

- the domain's NS: the nameservers the registrar holds for it (what the parent zone says),
  read from the registrar emulator's state (`delegation`);
- every other name and type: what the DNS host the delegation points at serves — the first of
  `authorities` whose nameservers for the zone include a delegated one (Cloudflare's emulator,
  a BIND, the registrar's own DNS ...). A domain delegated nowhere that serves it has no records
  here, as a lame delegation has none on the internet. Names the registrar does not hold are
  refused.

The serving is the sandbox's DNS server (SandboxDnsServer, UDP and TCP); only the zones are
assembled here, afresh for each query, so every answer shows the emulators' state of the moment."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from mailwright.providers.sandbox.dns_server import SandboxDnsServer, ZoneLookup

NS_TTL = 300


def host_name(name: str) -> str:
    return name.strip().lower().rstrip(".")


@dataclass(frozen=True)
class Authority:
    """A DNS host as resolvers reach it: the nameservers it answers as for a zone (none: it does
    not host the zone), and the zone it serves for a name (`zones`, a SandboxDnsServer lookup)."""

    name: str
    nameservers: Callable[[str], Collection[str]]
    zones: ZoneLookup


class DelegatedDns:
    def __init__(self, delegation: Callable[[str], Sequence[str] | None], authorities: Sequence[Authority]) -> None:
        """`delegation(domain)`: the nameservers the registrar holds for `domain`; None when it does
        not hold the domain."""
        self.delegation = delegation
        self.authorities = list(authorities)
        self.server = SandboxDnsServer(self.zone_for)
        self.port = 0

    @property
    def address(self) -> str:
        """host:port, as MAILWRIGHT_DNS_VERIFY_SERVER takes it."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> DelegatedDns:
        self.port = self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def serving(self, domain: str) -> Authority | None:
        """The DNS host that resolvers reach for `domain` now (None: none serves it, or not held)."""
        delegated = self.delegation(domain)
        if not delegated:
            return None
        wanted = {host_name(n) for n in delegated}
        return next((a for a in self.authorities if wanted & {host_name(n) for n in a.nameservers(domain)}), None)

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        found = self._held(qname)
        if found is None:
            return None
        origin, delegated = found
        domain = origin.to_text(omit_final_dot=True)
        authority = self.serving(domain)
        zone = authority.zones(qname) if authority is not None else None
        if zone is None or zone.origin != origin:
            zone = dns.zone.Zone(origin)  # lame: the parent's NS only
        # The domain's NS as the parent zone has them, whatever the DNS host's own NS records say.
        if delegated:
            ns = dns.rdataset.from_text(dns.rdataclass.IN, dns.rdatatype.NS, NS_TTL, *(host_name(n) + "." for n in delegated))
            zone.replace_rdataset(dns.name.empty, ns)
        else:
            zone.delete_rdataset(dns.name.empty, dns.rdatatype.NS)
        return zone

    def _held(self, qname: dns.name.Name) -> tuple[dns.name.Name, Sequence[str]] | None:
        """The registered domain holding `qname` (itself or a parent, never a TLD) and its delegation."""
        name = qname
        while len(name.labels) > 2:  # "example.com." is three labels, the root's included
            delegated = self.delegation(name.to_text(omit_final_dot=True))
            if delegated is not None:
                return name, delegated
            name = name.parent()
        return None
