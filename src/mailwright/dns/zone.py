"""Records as dnspython objects: rdata for one record, a whole zone (SOA, NS and the records),
its standard zone-file text. Shared by the CLI, the sandbox DNS server, the RFC 2136 adapter
and verification, so all of them mean the same bytes by a record."""

from __future__ import annotations

from collections.abc import Iterable

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
import dns.zone

from mailwright.dns.checks import cname_conflicts, zone_problems
from mailwright.dns.records import absolute, txt_strings
from mailwright.providers.base import RecordSpec, TerminalError

SOA_TIMERS = "3600 600 1209600 300"  # refresh retry expire minimum (negative-answer TTL)
SOA_TTL = 3600


class ZoneRejected(TerminalError):
    """The records break a zone rule; publishing them would hurt deliverability."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def origin_of(domain: str) -> dns.name.Name:
    return dns.name.from_text(domain)


def owner_name(spec_name: str, origin: dns.name.Name) -> dns.name.Name:
    """A record's absolute owner name ("@" is the apex)."""
    return origin if spec_name in ("@", "") else dns.name.from_text(spec_name, origin)


def to_rdata(spec: RecordSpec) -> dns.rdata.Rdata:
    rdtype = dns.rdatatype.from_text(spec.type)
    if rdtype == dns.rdatatype.TXT:
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, txt_strings(spec.value))
    if rdtype == dns.rdatatype.MX:
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, f"{spec.priority or 0} {absolute(spec.value)}")
    if rdtype == dns.rdatatype.SRV:  # value "weight port target", priority apart as for MX
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, f"{spec.priority or 0} {spec.value}")
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS):
        return dns.rdata.from_text(dns.rdataclass.IN, rdtype, absolute(spec.value))
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, spec.value)


def rdata_text(rdata: dns.rdata.Rdata) -> str:
    """How a served record reads in the API: TXT strings joined, names absolute."""
    if rdata.rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode(errors="replace")  # type: ignore[attr-defined]
    return rdata.to_text()


def spec_text(spec: RecordSpec) -> str:
    return rdata_text(to_rdata(spec))


def build_zone(
    domain: str, records: Iterable[RecordSpec], nameservers: Iterable[str], serial: int = 1
) -> dns.zone.Zone:
    origin = origin_of(domain)
    zone = dns.zone.Zone(origin, relativize=True)
    nameservers = [absolute(ns) for ns in nameservers]
    primary = nameservers[0] if nameservers else f"ns.{domain}."
    soa = f"{primary} hostmaster.{domain}. {serial} {SOA_TIMERS}"
    _add(zone, RecordSpec("SOA", "@", soa, ttl=SOA_TTL))
    for ns in nameservers:
        _add(zone, RecordSpec("NS", "@", ns, ttl=SOA_TTL))
    for spec in records:
        _add(zone, spec)
    return zone


def _add(zone: dns.zone.Zone, spec: RecordSpec) -> None:
    rdata = to_rdata(spec)
    name = owner_name(spec.name, zone.origin).relativize(zone.origin)
    rdataset = zone.find_rdataset(name, rdata.rdtype, create=True)
    rdataset.add(rdata, spec.ttl)


def checked_zone(domain: str, records: Iterable[RecordSpec], nameservers: Iterable[str], serial: int = 1) -> dns.zone.Zone:
    """The zone, or ZoneRejected naming every problem (two SPF records, a bad DKIM key ...)."""
    records = list(records)
    problems = cname_conflicts([(spec.name, spec.type) for spec in records] + [("@", "SOA"), ("@", "NS")])
    zone = build_zone(domain, records, nameservers, serial)
    problems += zone_problems(zone)
    if problems:
        raise ZoneRejected(problems)
    return zone


def with_soa(zone: dns.zone.Zone, soa: dns.rrset.RRset | None) -> dns.zone.Zone:
    """The zone under the SOA its servers answer with (None: they serve none, so none is shown)."""
    zone.delete_rdataset(dns.name.empty, dns.rdatatype.SOA)
    if soa is not None:
        zone.replace_rdataset(dns.name.empty, soa.to_rdataset())
    return zone


def zone_text(zone: dns.zone.Zone) -> str:
    """Zone-file text, the SOA first and every name absolute, as DNS tools (dig) show what is served."""
    lines = [f"$ORIGIN {zone.origin.to_text()}"]
    for name in sorted(zone.nodes):
        owner = name.derelativize(zone.origin)
        for rdataset in sorted(zone.nodes[name].rdatasets, key=lambda r: r.rdtype != dns.rdatatype.SOA):
            lines.append(rdataset.to_text(owner, origin=zone.origin, relativize=False))
    return "\n".join(lines) + "\n"
