"""Is the zone really serving what we expect? Real DNS queries to the domain's authoritative
servers (the DNS host's, the sandbox's included), compared record by record.

`verify_dns` is the provisioning step between publishing the records and calling the domain
ready: it checks until every record is served as expected, with a bound and a growing pause."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from mailwright.dns import service
from mailwright.dns.checks import is_spf
from mailwright.dns.zone import origin_of, owner_name, rdata_text, to_rdata
from mailwright.domains.models import Domain, DomainStatus
from mailwright.providers.base import ProviderError, RecordSpec
from mailwright.runtime import Runtime, current

Servers = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Observation:
    observed: str | None  # what the servers answered, as text; None: nothing
    valid: bool


def query(servers: Servers, name: dns.name.Name, rdtype: int, timeout: float) -> list[dns.rdata.Rdata] | None:
    """The records the first answering authoritative server serves at name/type ([] for none);
    None when no server gave an authoritative answer."""
    rrset = query_rrset(servers, name, rdtype, timeout)
    return list(rrset) if rrset is not None else None


def query_rrset(servers: Servers, name: dns.name.Name, rdtype: int, timeout: float) -> dns.rrset.RRset | None:
    """As `query`, with the TTL: an empty set for none; None when no server gave an authoritative answer."""
    message = dns.message.make_query(name, rdtype)
    message.flags &= ~dns.flags.RD  # ask the authority itself, not for recursion
    for address, port in servers:
        try:
            response, _ = dns.query.udp_with_fallback(message, address, timeout=timeout, port=port)
        except (dns.exception.DNSException, OSError):
            continue
        if not response.flags & dns.flags.AA or response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            continue
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        return rrset if rrset is not None else dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
    return None


def served_soa(rt: Runtime, domain: str) -> dns.rrset.RRset | None:
    """The SOA the domain's authoritative servers answer with now; None when they serve none."""
    try:
        servers = rt.providers.dns_host.query_servers(domain)
    except ProviderError:
        return None
    soa = query_rrset(servers, origin_of(domain), dns.rdatatype.SOA, rt.settings.dns_query_timeout_seconds)
    return soa or None


def compare(spec: RecordSpec, served: list[dns.rdata.Rdata] | None) -> Observation:
    if not served:
        return Observation(None, False)
    expected = to_rdata(spec)
    want = rdata_text(expected)
    texts = [rdata_text(r) for r in served]
    if expected.rdtype == dns.rdatatype.TXT and is_spf(want):
        # Exactly one SPF record: a second one makes receivers treat SPF as broken.
        spf = [t for t in texts if is_spf(t)]
        return Observation(" | ".join(spf) or None, spf == [want])
    if expected.rdtype == dns.rdatatype.TXT:
        matched = want in texts  # the same text, however the server split its strings
    else:
        matched = expected in served
    return Observation(want if matched else " | ".join(texts), matched)


def observe(domain: str, specs: list[RecordSpec], servers: Servers, timeout: float) -> list[Observation]:
    """One query per distinct name and type, then each record compared with the answer."""
    origin = origin_of(domain)
    answers: dict[tuple[dns.name.Name, int], list[dns.rdata.Rdata] | None] = {}
    results = []
    for spec in specs:
        key = (owner_name(spec.name, origin), dns.rdatatype.from_text(spec.type))
        if key not in answers:
            answers[key] = query(servers, *key, timeout)
        results.append(compare(spec, answers[key]))
    return results


def check_records(rt: Runtime, domain_id: str, domain: str) -> list[dict[str, Any]]:
    """Query every record the domain should serve, store what was seen, return the records."""
    with rt.db.read() as session:
        specs = [(row.id, service.spec_of(row)) for row in service.records_of(session, domain_id)]
    if specs:
        try:
            servers = rt.providers.dns_host.query_servers(domain)
        except ProviderError:
            servers = ()
        seen = observe(domain, [s for _, s in specs], servers, rt.settings.dns_query_timeout_seconds)
        with rt.db.write() as session:
            service.save_observations(session, {record_id: (o.observed, o.valid) for (record_id, _), o in zip(specs, seen)})
    with rt.db.read() as session:
        return [service.record_view(domain, row) for row in service.records_of(session, domain_id)]


def verify_dns(domain_id: str) -> dict[str, Any]:
    """Provisioning step: ok once every record is served as expected; otherwise, after the
    configured number of checks, a failure whose reason names each wrong record."""
    rt = current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status != DomainStatus.DNS_CONFIGURED:
            return {"ok": True}
        name = domain.name
    settings = rt.settings
    pause = settings.dns_verify_retry_seconds
    for attempt in range(1, settings.dns_verify_attempts + 1):
        wrong = [r for r in check_records(rt, domain_id, name) if not r["valid"]]
        if not wrong:
            return {"ok": True}
        if attempt < settings.dns_verify_attempts:
            time.sleep(pause)
            pause = min(pause * 2, settings.dns_verify_max_wait_seconds)
    details = "; ".join(
        f"{r['type']} {r['fqdn']} " + (f"serves {_short(r['observed_value'])}" if r["observed_value"] else "not served")
        for r in wrong
    )
    reason = (
        f"The DNS records of {name} were not served as expected after {settings.dns_verify_attempts} checks "
        f"(the domain's DNS check shows what each record should be; fix them at the DNS host, then retry): {details}"
    )
    return {"ok": False, "reason": reason[:500]}


def _short(text: str | None, limit: int = 40) -> str:
    text = text or ""
    return repr(text if len(text) <= limit else text[:limit] + "...")
