"""A DnsHost for any authoritative server that accepts RFC 2136 dynamic updates signed with TSIG
(RFC 8945): BIND, Knot DNS, PowerDNS.

Zones are not created here: dynamic updates change records inside an existing zone, and none of
these servers creates a zone from an update. The operator creates each zone (or a catalog/
template mechanism does) with updates allowed for the key; `ensure_zone` checks that the server
is authoritative for it and otherwise parks the domain with that instruction. See
docs/dns-rfc2136.md."""

from __future__ import annotations

from collections import defaultdict

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.update

from mailwright.config import Settings
from mailwright.dns.zone import origin_of, owner_name, to_rdata
from mailwright.providers.base import (
    Capability,
    NeedsActionError,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)


class Rfc2136DnsHost:
    # Zones are the operator's to create (module docstring); a redirect needs RFC2136_REDIRECT_ADDRESS.
    SUPPORTS = frozenset({Capability.DNS_RECORDS, Capability.WEB_REDIRECT})

    def __init__(
        self,
        server: str,
        port: int = 53,
        *,
        key_name: str = "",
        secret: str = "",
        algorithm: str = "hmac-sha256",
        nameservers: tuple[str, ...] = (),
        redirect_address: str = "",
        timeout: float = 5.0,
    ) -> None:
        self.server = server
        self.port = port
        self.key = dns.tsig.Key(key_name, secret, algorithm) if key_name else None
        self.configured_nameservers = nameservers
        self.redirect_address = redirect_address
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> Rfc2136DnsHost:
        return cls(
            settings.rfc2136_server,
            settings.rfc2136_port,
            key_name=settings.rfc2136_tsig_key_name,
            secret=settings.rfc2136_tsig_secret,
            algorithm=settings.rfc2136_tsig_algorithm,
            nameservers=tuple(ns.strip() for ns in settings.rfc2136_nameservers.split(",") if ns.strip()),
            redirect_address=settings.rfc2136_redirect_address,
            timeout=settings.dns_query_timeout_seconds,
        )

    # ------------------------------------------------------------------ DnsHost

    def check(self) -> str:
        """An SOA query of the root over TCP, signed with the TSIG key when one is set: any answer
        shows the server is there, and a signed answer that our key verifies shows the server
        knows the key (a wrong key or secret comes back as a TSIG error: NeedsActionError)."""
        query = dns.message.make_query(dns.name.root, dns.rdatatype.SOA)
        if self.key is not None:
            query.use_tsig(self.key)
        try:
            response = self._send(query, ".")
        except RetriableError as exc:
            if self.key is None or not isinstance(exc.__cause__, dns.exception.FormError):
                raise
            response = None  # an unsigned answer to a signed query (dnspython refuses to read it)
        if self.key is None:
            return f"{self.server}:{self.port} answers DNS; no TSIG key is set, so updates go unsigned"
        if response is None or not response.had_tsig:
            raise NeedsActionError(
                f"The DNS server {self.server} answered without signing with Mailwright's TSIG key: check "
                "MAILWRIGHT_RFC2136_TSIG_KEY_NAME and that the server has a key statement for it"
            )
        return f"{self.server}:{self.port} answers DNS and accepts the TSIG key {self.key.name.to_text(omit_final_dot=True)}"

    def ensure_zone(self, domain: str) -> tuple[str, ...]:
        answer = self._send(dns.message.make_query(domain, dns.rdatatype.SOA), domain)
        soa = answer.get_rrset(answer.answer, origin_of(domain), dns.rdataclass.IN, dns.rdatatype.SOA)
        if answer.rcode() != dns.rcode.NOERROR or not answer.flags & dns.flags.AA or soa is None:
            raise NeedsActionError(
                f"The DNS server {self.server}:{self.port} does not host the zone {domain}: create it there "
                "(allowing dynamic updates with Mailwright's TSIG key)"
            )
        return self.nameservers(domain)

    def replace_records(self, domain: str, records: list[RecordSpec]) -> None:
        """One update message, applied by the server atomically: each (name, type) mentioned is
        replaced as a whole, so running it twice publishes nothing twice."""
        origin = origin_of(domain)
        grouped: dict[tuple[dns.name.Name, str], list[RecordSpec]] = defaultdict(list)
        for spec in records:
            grouped[(owner_name(spec.name, origin), spec.type.upper())].append(spec)
        update = self._update(domain)
        for (name, _), specs in grouped.items():
            rdataset = dns.rdataset.from_rdata_list(min(s.ttl for s in specs), [to_rdata(s) for s in specs])
            update.replace(name, rdataset)
        self._send(update, domain)

    def remove_records(self, domain: str, name: str, type: str) -> None:
        """Deletes the whole (name, type) set; deleting what is not there is a no-op on the server."""
        update = self._update(domain)
        update.delete(owner_name(name, origin_of(domain)), type.upper())
        self._send(update, domain)

    def set_web_redirect(self, domain: str, url: str | None, *, masked: bool = False) -> None:
        """Points the apex at the redirect web server, which maps the host to its URL (plain or
        masked) by itself: DNS only says where that server is."""
        if url and not self.redirect_address:
            raise NeedsActionError(
                "Redirects need a web server: set MAILWRIGHT_RFC2136_REDIRECT_ADDRESS to its IPv4 address"
            )
        if not self.redirect_address:
            return
        update = self._update(domain)
        if url:
            update.replace(origin_of(domain), 3600, dns.rdatatype.A, self.redirect_address)
        else:
            update.delete(origin_of(domain), dns.rdatatype.A)
        self._send(update, domain)

    def nameservers(self, domain: str) -> tuple[str, ...]:
        if self.configured_nameservers:
            return self.configured_nameservers
        answer = self._send(dns.message.make_query(domain, dns.rdatatype.NS), domain)
        rrset = answer.get_rrset(answer.answer, origin_of(domain), dns.rdataclass.IN, dns.rdatatype.NS)
        return tuple(sorted(r.target.to_text() for r in rrset or ()))  # type: ignore[attr-defined]

    def query_servers(self, domain: str) -> tuple[tuple[str, int], ...]:
        return ((self.server, self.port),)

    # ------------------------------------------------------------------ wire

    def _update(self, domain: str) -> dns.update.UpdateMessage:
        if self.key is None:
            return dns.update.UpdateMessage(domain)
        return dns.update.UpdateMessage(domain, keyring=self.key, keyname=self.key.name, keyalgorithm=self.key.algorithm)

    def _send(self, message: dns.message.Message, domain: str) -> dns.message.Message:
        """Over TCP (updates and DKIM-sized answers both fit), errors mapped to their kind."""
        try:
            response = dns.query.tcp(message, self.server, timeout=self.timeout, port=self.port)
        except dns.tsig.PeerError as exc:
            raise NeedsActionError(
                f"The DNS server {self.server} rejected Mailwright's TSIG key ({type(exc).__name__}): "
                "check MAILWRIGHT_RFC2136_TSIG_KEY_NAME, _SECRET and _ALGORITHM against the server's key"
            ) from exc
        except (dns.exception.Timeout, ConnectionError, OSError) as exc:
            raise ProviderUnavailable(f"The DNS server {self.server}:{self.port} cannot be reached: {exc}") from exc
        except dns.exception.DNSException as exc:
            raise RetriableError(f"Bad answer from the DNS server {self.server}: {exc}") from exc
        rcode = response.rcode()
        if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) or not isinstance(message, dns.update.UpdateMessage):
            return response
        if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH, dns.rcode.NOTZONE):
            raise NeedsActionError(
                f"The DNS server {self.server} refused the update of {domain} ({dns.rcode.to_text(rcode)}): the zone "
                "must exist there and allow updates with Mailwright's TSIG key"
            )
        if rcode == dns.rcode.SERVFAIL:
            raise RetriableError(f"The DNS server {self.server} failed to apply the update of {domain} (SERVFAIL)")
        raise TerminalError(f"The DNS server {self.server} rejected the update of {domain} ({dns.rcode.to_text(rcode)})")
