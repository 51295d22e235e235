"""Is the zone really serving what we expect? Real DNS queries to the domain's authoritative
servers (the DNS host's, the sandbox's included), compared record by record; or, when
MAILWRIGHT_DNS_VERIFY_SERVER is set, the same queries to that server (recursion desired, as a
split-horizon resolver or a test's server answers them).

When the registrar is not the DNS host, the domain must also be delegated to the DNS host's
nameservers (`observe_delegation`): the parent zone's NS for the domain, as the parent's servers
answer (or the verify server, when set); with the sandbox registrar, whose table is its registry,
as that table says. Where the parent cannot be asked (no resolver), the delegation is not checked.

`verify_dns` is the provisioning step between publishing the records and calling the domain
ready: it checks until the delegation is seen and every record is served as expected, with a
bound and a growing pause."""

from __future__ import annotations

import logging
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
import dns.resolver
import dns.rrset

from mailwright.dns import service
from mailwright.dns.checks import is_spf
from mailwright.dns.zone import origin_of, owner_name, rdata_text, to_rdata
from mailwright.domains.models import Domain, DomainStatus
from mailwright.providers.base import ProviderError, RecordSpec
from mailwright.runtime import Runtime, current

Servers = tuple[tuple[str, int], ...]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Observation:
    observed: str | None  # what the servers answered, as text; None: nothing
    valid: bool


@dataclass(frozen=True)
class Target:
    """Where readiness queries go: the zone's authoritative servers, or the verify server."""

    servers: Servers
    # False for MAILWRIGHT_DNS_VERIFY_SERVER: asked with recursion desired, its answers need not be authoritative.
    authoritative: bool = True


def target(rt: Runtime, domain: str) -> Target:
    """MAILWRIGHT_DNS_VERIFY_SERVER when set; otherwise the DNS host's servers for the zone (none
    when the DNS host cannot say)."""
    override = rt.settings.verify_server
    if override is not None:
        return Target((override,), authoritative=False)
    try:
        return Target(rt.providers.dns_host.query_servers(domain))
    except ProviderError:
        return Target(())


def query(
    servers: Servers, name: dns.name.Name, rdtype: int, timeout: float, *, authoritative: bool = True
) -> list[dns.rdata.Rdata] | None:
    """The records the first answering authoritative server serves at name/type ([] for none);
    None when no server gave an authoritative answer. `authoritative=False` asks with recursion
    desired and takes any server's NOERROR or NXDOMAIN answer (a resolver's)."""
    rrset = query_rrset(servers, name, rdtype, timeout, authoritative=authoritative)
    return list(rrset) if rrset is not None else None


def query_rrset(
    servers: Servers, name: dns.name.Name, rdtype: int, timeout: float, *, authoritative: bool = True
) -> dns.rrset.RRset | None:
    """As `query`, with the TTL: an empty set for none; None when no server gave an authoritative answer."""
    message = dns.message.make_query(name, rdtype)
    if authoritative:
        message.flags &= ~dns.flags.RD  # ask the authority itself, not for recursion
    for address, port in servers:
        try:
            response, _ = dns.query.udp_with_fallback(message, address, timeout=timeout, port=port)
        except (dns.exception.DNSException, OSError):
            continue
        if authoritative and not response.flags & dns.flags.AA:
            continue
        if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            continue
        rrset = response.get_rrset(response.answer, name, dns.rdataclass.IN, rdtype)
        return rrset if rrset is not None else dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
    return None


def served_soa(rt: Runtime, domain: str) -> dns.rrset.RRset | None:
    """The SOA the domain's authoritative servers (or the verify server) answer with now; None
    when they serve none."""
    where = target(rt, domain)
    soa = query_rrset(
        where.servers, origin_of(domain), dns.rdatatype.SOA, rt.settings.dns_query_timeout_seconds, authoritative=where.authoritative
    )
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


def observe(
    domain: str, specs: list[RecordSpec], servers: Servers, timeout: float, *, authoritative: bool = True
) -> list[Observation]:
    """One query per distinct name and type, then each record compared with the answer."""
    origin = origin_of(domain)
    answers: dict[tuple[dns.name.Name, int], list[dns.rdata.Rdata] | None] = {}
    results = []
    for spec in specs:
        key = (owner_name(spec.name, origin), dns.rdatatype.from_text(spec.type))
        if key not in answers:
            answers[key] = query(servers, *key, timeout, authoritative=authoritative)
        results.append(compare(spec, answers[key]))
    return results


def check_records(rt: Runtime, domain_id: str, domain: str, purposes: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Query every record the domain should serve (of these purposes, when given), store what was
    seen, return the records."""
    with rt.db.read() as session:
        rows = [row for row in service.records_of(session, domain_id) if purposes is None or row.purpose in purposes]
        specs = [(row.id, service.spec_of(row)) for row in rows]
    if specs:
        where = target(rt, domain)
        seen = observe(
            domain, [s for _, s in specs], where.servers, rt.settings.dns_query_timeout_seconds, authoritative=where.authoritative
        )
        with rt.db.write() as session:
            service.save_observations(session, {record_id: (o.observed, o.valid) for (record_id, _), o in zip(specs, seen)})
    with rt.db.read() as session:
        return [
            service.record_view(domain, row) for row in service.records_of(session, domain_id) if purposes is None or row.purpose in purposes
        ]


@dataclass(frozen=True)
class Delegation:
    """The nameservers the domain should be delegated to, and those the parent was seen to hold."""

    expected: tuple[str, ...]
    observed: tuple[str, ...] | None  # None: not observable here (the delegation is not checked)
    source: str  # who was asked, for people

    @property
    def ok(self) -> bool:
        return self.observed is None or set(self.observed) == set(self.expected)

    @property
    def observed_text(self) -> str:
        return ", ".join(self.observed) if self.observed else "no nameservers"

    def view(self) -> dict[str, Any]:
        return {"expected": list(self.expected), "observed": list(self.observed) if self.observed is not None else None,
                "source": self.source, "valid": self.ok}


def _host_names(names: Any) -> tuple[str, ...]:
    return tuple(sorted({str(n).lower().rstrip(".") for n in names if str(n).strip()}))


def observe_delegation(rt: Runtime, domain: str) -> Delegation | None:
    """None when the registrar is the DNS host (nothing to delegate); otherwise the delegation
    as the parent holds it now (module docstring)."""
    providers = rt.providers
    if not providers.delegates:
        return None
    try:
        expected = _host_names(providers.dns_host.nameservers(domain))
    except ProviderError as exc:
        return Delegation((), None, f"the DNS host could not name the zone's nameservers ({exc})")
    if not expected:
        return Delegation((), None, "the DNS host names no nameservers for the zone")
    timeout = rt.settings.dns_query_timeout_seconds
    if providers.registrar_is_sandbox:
        try:
            registration = providers.registrar.find_registration(domain)
        except ProviderError:
            return Delegation(expected, None, "the sandbox registrar (not answering)")
        return Delegation(expected, _host_names(registration.nameservers if registration else ()), "the sandbox registrar")
    override = rt.settings.verify_server
    if override is not None:
        where = f"{override[0]}:{override[1]} (MAILWRIGHT_DNS_VERIFY_SERVER)"
        return Delegation(expected, delegated_nameservers((override,), domain, timeout, recursive=True), where)
    parent = dns.name.from_text(domain).parent()
    servers = parent_servers(parent, timeout)
    where = f"the servers of the {parent.to_text(omit_final_dot=True)} zone"
    if not servers:
        log.warning("delegation of %s not checked: the parent zone's servers cannot be found from here", domain)
        return Delegation(expected, None, where + " (not found from here)")
    return Delegation(expected, delegated_nameservers(servers, domain, timeout, recursive=False), where)


def delegated_nameservers(servers: Servers, domain: str, timeout: float, *, recursive: bool) -> tuple[str, ...] | None:
    """The NS the first answering server gives for the domain, from a referral (a parent's
    authority section) or an answer (a resolver's, or an authority's); () when it says the
    domain has none (NXDOMAIN, or no NS); None when no server answered."""
    name = origin_of(domain)
    message = dns.message.make_query(name, dns.rdatatype.NS)
    if not recursive:
        message.flags &= ~dns.flags.RD
    for address, port in servers:
        try:
            response, _ = dns.query.udp_with_fallback(message, address, timeout=timeout, port=port)
        except (dns.exception.DNSException, OSError):
            continue
        if response.rcode() == dns.rcode.NXDOMAIN:
            return ()
        if response.rcode() != dns.rcode.NOERROR:
            continue
        for section in (response.answer, response.authority):
            rrset = response.get_rrset(section, name, dns.rdataclass.IN, dns.rdatatype.NS)
            if rrset is not None:
                return _host_names(r.target.to_text() for r in rrset)  # type: ignore[attr-defined]
        return ()
    return None


def parent_servers(parent: dns.name.Name, timeout: float) -> Servers:
    """Addresses of the parent zone's authoritative servers, found through this machine's
    resolver; () when they cannot be found (no resolver, no network)."""
    try:
        resolver = dns.resolver.Resolver()
        resolver.lifetime = timeout * 2
        zone = dns.resolver.zone_for_name(parent, resolver=resolver, lifetime=timeout * 2)
        addresses: list[tuple[str, int]] = []
        for ns in list(resolver.resolve(zone, dns.rdatatype.NS))[:4]:
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                try:
                    addresses += [(r.address, 53) for r in resolver.resolve(ns.target, rdtype)]  # type: ignore[attr-defined]
                except dns.exception.DNSException:
                    continue
        return tuple(addresses)
    except (dns.exception.DNSException, OSError):
        return ()


def verify_dns(
    domain_id: str, rt: Runtime | None = None, *, status: str = DomainStatus.DNS_CONFIGURED, purposes: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Provisioning step: ok once the delegation is seen (when the registrar is not the DNS host)
    and every record (of these purposes, when given) is served as expected; otherwise, after the
    configured number of checks, a reason: a delegation never seen parks the domain for a person
    (`needs_action`: the domain is bought), records never served fail it, naming each wrong
    record. Nothing to check unless the domain is in `status`. `rt`: the current runtime unless given."""
    rt = rt or current()
    with rt.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status != status:
            return {"ok": True}
        name = domain.name
    settings = rt.settings
    pause = settings.dns_verify_retry_seconds
    delegation: Delegation | None = None
    for attempt in range(1, settings.dns_verify_attempts + 1):
        delegation = observe_delegation(rt, name)
        wrong = [r for r in check_records(rt, domain_id, name, purposes) if not r["valid"]]
        if (delegation is None or delegation.ok) and not wrong:
            return {"ok": True}
        if delegation is not None and not delegation.ok:
            log.info(
                "%s: waiting for the delegation to %s (%s answers %s); check %s of %s",
                name, ", ".join(delegation.expected), delegation.source, delegation.observed_text, attempt, settings.dns_verify_attempts,
            )
        if attempt < settings.dns_verify_attempts:
            time.sleep(pause)
            pause = min(pause * 2, settings.dns_verify_max_wait_seconds)
    if delegation is not None and not delegation.ok:
        reason = (
            f"{name} is not delegated to the DNS host's nameservers ({', '.join(delegation.expected)}) after "
            f"{settings.dns_verify_attempts} checks: {delegation.source} answers {delegation.observed_text}. The registrar "
            f"({rt.providers.registrar_name}) was asked to set them; check the domain's nameservers there, or wait for the registry"
        )
        return {"ok": False, "needs_action": True, "reason": reason[:400]}
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
