"""The sandbox: a deterministic registrar, DNS host and mailbox hosts for every provider.

Test values (documented in the README):
- a domain whose first label starts with `taken` is unavailable;
- checking a domain whose first label starts with `unreachable` fails as if the registrar were
  down (the API answers 503);
- the registrar's COST per year (registration and renewal): com 13.00, net 15.00, org 12.00,
  io 45.00, co 28.00, ai 80.00 (in the currency asked for, USD or EUR: the same figures); it sells
  no other TLD. What customers pay comes from the operator's price book (catalog/prices.py),
  which a new database gets filled with these same figures and the mailbox hosts' monthly
  prices below (MONTHLY_MAILBOX_PRICES), so the sandbox sells at cost out of the box;
- a domain whose first label starts with `premium-` is a premium name: available, flagged
  premium, and its registration and renewal cost 10 times the TLD's (premium-x.com: 130.00), so
  it is sold only when the price book allows premiums for the TLD (`--premium-max`);
- a domain whose first label starts with `fail-register` is refused by the registry;
- a mailbox whose local part starts with `fail-` is refused by the mailbox host;
- a domain or mailbox whose name starts with `flaky-` fails transiently twice, then succeeds;
- a domain whose first label starts with `fail-dns` gets its zone, but the sandbox DNS server
  never serves its records, so DNS verification fails;
- a domain whose first label, or a mailbox whose local part, starts with `action-` needs a
  person the first time (NeedsActionError: the item is parked), and succeeds when retried;
- MAILWRIGHT_SANDBOX_LATENCY_MS adds latency to every call;
- MAILWRIGHT_SANDBOX_REGISTRAR_CURRENCY=USD makes the registrar quote its costs in USD whatever
  the account's currency, as real registrars do (then an EUR price needs `prices set-rate EUR ...`).

The DNS host answers real DNS queries (see dns_server.py) on 127.0.0.1, port
MAILWRIGHT_SANDBOX_DNS_PORT.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import time

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.zone

import sqlalchemy as sa

from mailwright import clock
from mailwright.db import Database
from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from mailwright.dns.zone import build_zone
from mailwright.money import Money
from mailwright.providers.base import (
    Availability,
    Capability,
    Contact,
    MailboxAccess,
    MailSetup,
    OperatorDkim,
    RecordSpec,
    Registration,
    NeedsActionError,
    ProviderUnavailable,
    RetriableError,
    TerminalError,
)
from mailwright.providers.sandbox.dns_server import SandboxDnsServer
from mailwright.providers.sandbox.models import (
    SandboxAttempt,
    SandboxCall,
    SandboxDnsRecord,
    SandboxDomain,
    SandboxHostKey,
    SandboxMailbox,
    SandboxZone,
)

# The registrar's yearly cost per TLD, and the mailbox prices the price book starts with
# (the migration 2026_12_01_0100 writes the same figures out; a test holds them equal).
YEARLY_PRICES = {"com": 1300, "net": 1500, "org": 1200, "io": 4500, "co": 2800, "ai": 8000}
MONTHLY_MAILBOX_PRICES = {"GOOGLE": 600, "MICROSOFT": 600, "MAILDOSO": 400, "MAILFORGE": 400}
PREMIUM_PREFIX = "premium-"
PREMIUM_FACTOR = 10
SANDBOX_NAMESERVERS = ("ns1.sandbox.mailwright.test", "ns2.sandbox.mailwright.test")
FLAKY_FAILURES = 2
# Where the sandbox "hosts" web redirects: the apex A record of a domain with a redirect URL.
REDIRECT_ADDRESS = "192.0.2.80"  # TEST-NET-1, never routed
UNSERVED_DNS_PREFIX = "fail-dns"
NEEDS_ACTION_PREFIX = "action-"

# Connection settings and DNS needs that mirror each real host.
_ACCESS = {
    "GOOGLE": ("smtp.gmail.com", 587, "imap.gmail.com", 993),
    "MICROSOFT": ("smtp.office365.com", 587, "outlook.office365.com", 993),
    "MAILDOSO": ("smtp.maildoso.com", 587, "imap.maildoso.com", 993),
    "MAILFORGE": ("smtp.mailforge.ai", 587, "imap.mailforge.ai", 993),
}


def _is_premium(domain: str) -> bool:
    return domain.split(".")[0].startswith(PREMIUM_PREFIX)


def _yearly_cost(domain: str, currency: str) -> Money | None:
    """The sandbox registrar's cost of one year (registration or renewal); None: a TLD it does not sell."""
    minor = YEARLY_PRICES.get(domain.rsplit(".", 1)[-1])
    if minor is None:
        return None
    return Money(minor * PREMIUM_FACTOR if _is_premium(domain) else minor, currency)


class _SandboxBase:
    def __init__(self, db: Database, latency_ms: int = 0) -> None:
        self.db = db
        self.latency_ms = latency_ms
        # When the current thread's call arrived: the log says when a call came in, not when
        # its row could be written (SQLite may make a writer wait for the lock).
        self._arrival = threading.local()

    def _arrive(self, operation: str, subject: str, flaky_name: str | None = None) -> None:
        """Simulate the network, then the `flaky-` and `action-` failures (counted across restarts)."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        self._arrival.at = clock.now()
        if flaky_name is None:
            return
        if flaky_name.startswith("flaky-"):
            if self._count_attempt(operation, subject, FLAKY_FAILURES, "retriable"):
                raise RetriableError(f"sandbox: {operation} of {subject} timed out (flaky-)", retry_after=0.2)
        elif flaky_name.startswith(NEEDS_ACTION_PREFIX):
            if self._count_attempt(operation, subject, 1, "needs_action"):
                raise NeedsActionError(
                    f"verify {subject} there by hand (sandbox test value `action-`: there is nothing to verify, "
                    "retrying is enough)"
                )

    def _count_attempt(self, operation: str, subject: str, failing_attempts: int, outcome: str) -> bool:
        """Count this attempt; True (and logged as `outcome`) while within the first `failing_attempts`."""
        with self.db.write() as session:
            attempt = session.get(SandboxAttempt, (operation, subject))
            if attempt is None:
                attempt = SandboxAttempt(operation=operation, subject=subject, count=0)
                session.add(attempt)
            attempt.count += 1
            failing = attempt.count <= failing_attempts
            if failing:
                self._log(session, operation, subject, outcome)
        return failing

    def _refusal(self, operation: str, subject: str, message: str) -> TerminalError:
        """A terminal refusal, logged in its own transaction (the caller's would roll back with the raise)."""
        with self.db.write() as session:
            self._log(session, operation, subject, "terminal")
        return TerminalError(message)

    def _log(self, session: sa.orm.Session, operation: str, subject: str, outcome: str) -> None:
        at = getattr(self._arrival, "at", None) or clock.now()
        session.add(SandboxCall(operation=operation, subject=subject, outcome=outcome, at=at))


class SandboxRegistrar(_SandboxBase):
    SUPPORTS = frozenset({Capability.PRICING, Capability.AVAILABILITY, Capability.REGISTRATION, Capability.RENEWAL, Capability.NAMESERVERS})

    def __init__(self, db: Database, latency_ms: int = 0, billing_currency: str | None = None) -> None:
        super().__init__(db, latency_ms)
        # MAILWRIGHT_SANDBOX_REGISTRAR_CURRENCY: costs always in this currency, as a real
        # registrar's; None: in the currency asked for.
        self.billing_currency = billing_currency

    def tlds(self) -> tuple[str, ...]:
        return tuple(YEARLY_PRICES)

    def check(self, domains: list[str], currency: str) -> list[Availability]:
        self._arrive("check", ",".join(domains)[:254])
        if any(d.startswith("unreachable") for d in domains):
            raise ProviderUnavailable("sandbox: the registrar cannot be reached (unreachable)")
        with self.db.read() as session:
            registered = set(
                session.scalars(sa.select(SandboxDomain.domain).where(SandboxDomain.domain.in_(domains)))
            )
        results = []
        for domain in domains:
            available = not domain.split(".")[0].startswith("taken") and domain not in registered
            cost = _yearly_cost(domain, self.billing_currency or currency)
            premium = available and cost is not None and _is_premium(domain)
            results.append(Availability(domain=domain, available=available, price=cost if available else None, premium=premium))
        return results

    def probe(self) -> str:
        self._arrive("check_account", "")
        with self.db.read() as session:
            count = session.scalar(sa.select(sa.func.count()).select_from(SandboxDomain))
        return f"Sandbox: {count} domains in this database; registers nothing for real"

    def find_registration(self, domain: str) -> Registration | None:
        self._arrive("find_registration", domain)
        with self.db.read() as session:
            row = session.get(SandboxDomain, domain)
            return None if row is None else _registration(row)

    def register(self, domain: str, years: int, contact: Contact, idempotency_key: str) -> Registration:
        self._arrive("register", domain, flaky_name=domain)
        if domain.startswith("fail-register") or domain.split(".")[0].startswith("taken"):
            raise self._refusal("register", domain, f"The registry refused to register {domain} (sandbox: fail-register)")
        with self.db.write() as session:
            row = session.get(SandboxDomain, domain)
            if row is None:
                now = clock.now()
                row = SandboxDomain(
                    domain=domain,
                    registrar_ref="SBX-" + hashlib.sha256(domain.encode()).hexdigest()[:12].upper(),
                    idempotency_key=idempotency_key,
                    registered_at=now,
                    expires_at=_add_years(now, years),
                    nameservers="",
                )
                session.add(row)
                self._log(session, "register", domain, "ok")
                return _registration(row)
            if row.idempotency_key == idempotency_key:
                self._log(session, "register", domain, "existing")
                return _registration(row)
        raise self._refusal("register", domain, f"{domain} is already registered to someone else")

    def set_nameservers(self, domain: str, nameservers: tuple[str, ...]) -> None:
        self._arrive("set_nameservers", domain)
        with self.db.write() as session:
            row = session.get(SandboxDomain, domain)
            if row is None:
                raise TerminalError(f"{domain} is not registered here")
            row.nameservers = ",".join(nameservers)
            self._log(session, "set_nameservers", domain, "ok")


    def renewal_price(self, domain: str, currency: str) -> Money | None:
        return _yearly_cost(domain, self.billing_currency or currency)

    def renew(self, domain: str, years: int, expected_expires_at: dt.datetime, idempotency_key: str) -> Registration:
        self._arrive("renew", domain, flaky_name=domain)
        with self.db.write() as session:
            row = session.get(SandboxDomain, domain)
            if row is None:
                self._log(session, "renew", domain, "terminal")
                raise TerminalError(f"{domain} is not registered here")
            if row.renew_key == idempotency_key:
                self._log(session, "renew", domain, "existing")
                return _registration(row)
            if row.expires_at != expected_expires_at:
                self._log(session, "renew", domain, "terminal")
                raise TerminalError(
                    f"{domain} expires at {clock.iso(row.expires_at)}, not at {clock.iso(expected_expires_at)} as expected"
                )
            row.expires_at = _add_years(row.expires_at, years)
            row.renew_key = idempotency_key
            self._log(session, "renew", domain, "ok")
            return _registration(row)


class SandboxDnsHost(_SandboxBase):
    SUPPORTS = frozenset({Capability.ZONES, Capability.DNS_RECORDS, Capability.WEB_REDIRECT})

    def __init__(self, db: Database, latency_ms: int = 0, dns_port: int = 0) -> None:
        super().__init__(db, latency_ms)
        self.dns_port = dns_port
        self._server: SandboxDnsServer | None = None
        self._server_lock = threading.Lock()

    def probe(self) -> str:
        """Asks this process's sandbox DNS server a real query over TCP (it refuses names it does
        not host); the timeout is generous: the answer waits on a database read."""
        self._arrive("check_account", "")
        port = self.start_server()
        query = dns.message.make_query(SANDBOX_NAMESERVERS[0], dns.rdatatype.SOA)
        try:
            dns.query.tcp(query, "127.0.0.1", timeout=15.0, port=port)
        except (dns.exception.DNSException, OSError) as exc:
            raise ProviderUnavailable(f"The sandbox DNS server on 127.0.0.1 port {port} does not answer: {exc}") from exc
        with self.db.read() as session:
            zones = session.scalar(sa.select(sa.func.count()).select_from(SandboxZone))
        return f"Sandbox DNS on 127.0.0.1 port {port}, {zones} zones; seen by no one else"

    def nameservers(self, domain: str) -> tuple[str, ...]:
        return SANDBOX_NAMESERVERS

    def query_servers(self, domain: str) -> tuple[tuple[str, int], ...]:
        return (("127.0.0.1", self.start_server()),)

    def start_server(self) -> int:
        """Start this process's DNS server (once); returns the port it answers on."""
        with self._server_lock:
            if self._server is None:
                server = SandboxDnsServer(self.zone_for, port=self.dns_port)
                server.start()
                self._server = server
            return self._server.port

    @property
    def taken_port(self) -> int | None:
        """The configured port, when another process held it and this one answers elsewhere."""
        server = self._server
        return server.wanted_port if server is not None and server.wanted_port_taken else None

    def close(self) -> None:
        with self._server_lock:
            if self._server is not None:
                self._server.stop()
                self._server = None

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        """The served zone holding `qname` (the longest matching sandbox zone), or None."""
        labels = qname.to_text(omit_final_dot=True).lower().split(".")
        candidates = [".".join(labels[i:]) for i in range(len(labels))]
        with self.db.read() as session:
            zone = session.scalar(
                sa.select(SandboxZone.zone)
                .where(SandboxZone.zone.in_(candidates))
                .order_by(sa.func.length(SandboxZone.zone).desc())
                .limit(1)
            )
            if zone is None:
                return None
            rows = session.scalars(sa.select(SandboxDnsRecord).where(SandboxDnsRecord.zone == zone)).all()
            redirect = session.scalar(sa.select(SandboxDomain.web_redirect).where(SandboxDomain.domain == zone))
        specs = [] if zone.startswith(UNSERVED_DNS_PREFIX) else [
            RecordSpec(r.type, r.name, r.value, r.ttl, r.priority) for r in rows
        ]
        if redirect:
            specs.append(RecordSpec("A", "@", REDIRECT_ADDRESS))
        # The serial moves whenever the records change (their ids only grow).
        serial = max((r.id for r in rows), default=0) + 1
        return _served_zone(zone, tuple(specs), serial)

    def ensure_zone(self, domain: str) -> tuple[str, ...]:
        self._arrive("ensure_zone", domain)
        with self.db.write() as session:
            if session.get(SandboxZone, domain) is None:
                session.add(SandboxZone(zone=domain))
                self._log(session, "ensure_zone", domain, "ok")
            else:
                self._log(session, "ensure_zone", domain, "existing")
        return SANDBOX_NAMESERVERS

    def replace_records(self, domain: str, records: list[RecordSpec]) -> None:
        self._arrive("replace_records", domain)
        with self.db.write() as session:
            if session.get(SandboxZone, domain) is None:
                raise TerminalError(f"no zone for {domain}")
            for name, rtype in {(r.name, r.type) for r in records}:
                session.execute(
                    sa.delete(SandboxDnsRecord).where(
                        SandboxDnsRecord.zone == domain,
                        SandboxDnsRecord.name == name,
                        SandboxDnsRecord.type == rtype,
                    )
                )
            for r in records:
                session.add(
                    SandboxDnsRecord(
                        zone=domain, name=r.name, type=r.type, value=r.value, ttl=r.ttl, priority=r.priority
                    )
                )
            self._log(session, "replace_records", domain, "ok")

    def remove_records(self, domain: str, name: str, type: str) -> None:
        self._arrive("remove_records", domain)
        with self.db.write() as session:
            if session.get(SandboxZone, domain) is None:
                raise TerminalError(f"no zone for {domain}")
            session.execute(
                sa.delete(SandboxDnsRecord).where(
                    SandboxDnsRecord.zone == domain, SandboxDnsRecord.name == name, SandboxDnsRecord.type == type
                )
            )
            self._log(session, "remove_records", domain, "ok")

    def set_web_redirect(self, domain: str, url: str | None, *, masked: bool = False) -> None:
        self._arrive("set_web_redirect", domain)
        with self.db.write() as session:
            row = session.get(SandboxDomain, domain)
            if row is not None:
                row.web_redirect = url
                row.web_redirect_masked = masked and url is not None
            self._log(session, "set_web_redirect", domain, "ok")


class SandboxMailboxHost(_SandboxBase):
    SUPPORTS = frozenset({
        Capability.MAILBOXES, Capability.PROFILE_PHOTOS, Capability.FORWARDING, Capability.ONE_TIME_CODES,
        Capability.PASSWORD_SIGN_IN,
    })

    def __init__(self, db: Database, provider: str, latency_ms: int = 0) -> None:
        super().__init__(db, latency_ms)
        self.provider = provider
        self._new_key_lock = threading.Lock()
        self._new_key: str | None = None

    def probe(self) -> str:
        self._arrive("check_account", "")
        with self.db.read() as session:
            count = session.scalar(
                sa.select(sa.func.count()).select_from(SandboxMailbox).where(SandboxMailbox.provider == self.provider)
            )
        return f"Sandbox: {count} {self.provider} mailboxes in this database; creates none for real"

    def add_domain(self, domain: str) -> tuple[RecordSpec, ...]:
        return ()  # the sandbox hosts any domain without proof of ownership

    def verify_domain(self, domain: str) -> None:
        return None

    def mail_setup(self, domain: str) -> MailSetup:
        self._arrive("mail_setup", domain)
        # `dkim-` domains: DKIM a person handles, as Google Workspace and Microsoft 365 ask.
        by_person = domain.split(".", 1)[0].startswith("dkim-")
        if self.provider == "GOOGLE":
            if by_person:
                return MailSetup(
                    mx=(RecordSpec("MX", "@", "smtp.google.com.", priority=1),),
                    spf_includes=("_spf.google.com",),
                    dkim_by_operator=OperatorDkim("google", f"(sandbox) generate the DKIM key of {domain} in the Google Admin console"),
                )
            return MailSetup(
                mx=(RecordSpec("MX", "@", "smtp.google.com.", priority=1),),
                spf_includes=("_spf.google.com",),
                dkim=RecordSpec("TXT", "google._domainkey", dkim_txt_value(self._host_key(domain))),
            )
        if self.provider == "MICROSOFT":
            tenant = domain.replace(".", "-")
            return MailSetup(
                mx=(RecordSpec("MX", "@", f"{tenant}.mail.protection.outlook.com.", priority=0),),
                spf_includes=("spf.protection.outlook.com",),
                dkim=RecordSpec("TXT", "selector1._domainkey", dkim_txt_value(self._host_key(domain))),
                extra=(RecordSpec("CNAME", "autodiscover", "autodiscover.outlook.com."),),
                dkim_confirmation=f"(sandbox) enable DKIM signing of {domain} in the Microsoft Defender portal" if by_person else None,
            )
        host = _ACCESS[self.provider][0].split(".", 1)[1]
        return MailSetup(
            mx=(RecordSpec("MX", "@", f"mx1.{host}.", priority=10), RecordSpec("MX", "@", f"mx2.{host}.", priority=20)),
            spf_includes=(f"_spf.{host}",),
        )

    def _host_key(self, domain: str) -> str:
        with self.db.write() as session:
            row = session.get(SandboxHostKey, (domain, self.provider))
            if row is None:
                row = SandboxHostKey(domain=domain, provider=self.provider, private_key_pem=self._key_for_new_domains())
                session.add(row)
            return row.private_key_pem

    def _key_for_new_domains(self) -> str:
        """The key this host gives the domains it takes on. A real host generates one per domain,
        on its own machines; the sandbox runs on ours, where generating a 2048-bit key is 70 ms
        of CPU per domain that every provisioning run would count as Mailwright's: it generates
        one per host and process, and each domain keeps the one it got (its row)."""
        with self._new_key_lock:
            if self._new_key is None:
                self._new_key = generate_private_key_pem()
            return self._new_key

    def find_mailbox(self, email: str) -> MailboxAccess | None:
        self._arrive("find_mailbox", email)
        with self.db.read() as session:
            row = session.get(SandboxMailbox, email)
            return None if row is None else self._access(row.provider_ref)

    def create_mailbox(
        self, email: str, first_name: str, last_name: str, password: str, idempotency_key: str
    ) -> MailboxAccess:
        local_part = email.split("@")[0]
        self._arrive("create_mailbox", email, flaky_name=local_part)
        if local_part.startswith("fail-"):
            raise self._refusal("create_mailbox", email, f"{self.provider} refused to create {email} (sandbox: fail-)")
        with self.db.write() as session:
            row = session.get(SandboxMailbox, email)
            if row is None:
                ref = f"{self.provider[:3]}-" + hashlib.sha256(email.encode()).hexdigest()[:16]
                session.add(
                    SandboxMailbox(
                        email=email,
                        provider=self.provider,
                        provider_ref=ref,
                        idempotency_key=idempotency_key,
                        first_name=first_name,
                        last_name=last_name,
                    )
                )
                self._log(session, "create_mailbox", email, "ok")
                return self._access(ref)
            if row.idempotency_key == idempotency_key:
                self._log(session, "create_mailbox", email, "existing")
                return self._access(row.provider_ref)
        raise self._refusal("create_mailbox", email, f"{email} already exists at {self.provider}")

    def set_profile_picture(self, email: str, image: bytes, content_type: str) -> None:
        self._arrive("set_profile_picture", email)
        with self.db.write() as session:
            row = session.get(SandboxMailbox, email)
            if row is None:
                raise TerminalError(f"{email} does not exist at {self.provider}")
            row.picture_sha256 = hashlib.sha256(image).hexdigest()
            self._log(session, "set_profile_picture", email, "ok")

    def set_names(self, email: str, first_name: str, last_name: str) -> None:
        self._arrive("set_names", email)
        with self.db.write() as session:
            row = session.get(SandboxMailbox, email)
            if row is None:
                raise TerminalError(f"{email} does not exist at {self.provider}")
            row.first_name, row.last_name = first_name, last_name
            self._log(session, "set_names", email, "ok")

    def rename_mailbox(self, old_email: str, new_email: str) -> MailboxAccess:
        self._arrive("rename_mailbox", old_email)
        with self.db.write() as session:
            old, new = session.get(SandboxMailbox, old_email), session.get(SandboxMailbox, new_email)
            if new is not None and (old is None or old is new):
                self._log(session, "rename_mailbox", old_email, "existing")
                return self._access(new.provider_ref)
            if old is not None and new is None:
                # Same row: its provider_ref, names, picture and status stay.
                session.execute(sa.update(SandboxMailbox).where(SandboxMailbox.email == old_email).values(email=new_email))
                self._log(session, "rename_mailbox", old_email, "ok")
                return self._access(old.provider_ref)
        if old is None:
            raise self._refusal("rename_mailbox", old_email, f"{old_email} does not exist at {self.provider}")
        raise self._refusal("rename_mailbox", old_email, f"{new_email} already belongs to another mailbox at {self.provider}")

    def set_forwarding(self, domain: str, forward_to: str | None) -> None:
        self._arrive("set_forwarding", domain)
        with self.db.write() as session:
            row = session.get(SandboxDomain, domain)
            if row is not None:
                row.forward_to = forward_to
            self._log(session, "set_forwarding", domain, "ok")

    def suspend_mailbox(self, email: str) -> None:
        self._set_mailbox_status(email, "suspended")

    def restore_mailbox(self, email: str) -> None:
        self._set_mailbox_status(email, "active")

    def _set_mailbox_status(self, email: str, status: str) -> None:
        operation = "suspend_mailbox" if status == "suspended" else "restore_mailbox"
        self._arrive(operation, email)
        with self.db.write() as session:
            row = session.get(SandboxMailbox, email)
            if row is None:
                self._log(session, operation, email, "terminal")
                raise TerminalError(f"{email} does not exist at {self.provider}")
            outcome = "existing" if row.status == status else "ok"
            row.status = status
            self._log(session, operation, email, outcome)

    def delete_mailbox(self, email: str) -> None:
        self._arrive("delete_mailbox", email)
        with self.db.write() as session:
            row = session.get(SandboxMailbox, email)
            if row is not None:
                session.delete(row)
            self._log(session, "delete_mailbox", email, "existing" if row is None else "ok")

    def delete_workspace(self, domain: str) -> None:
        self._arrive("delete_workspace", domain)
        with self.db.write() as session:
            session.execute(
                sa.delete(SandboxMailbox).where(
                    SandboxMailbox.provider == self.provider, SandboxMailbox.email.like(f"%@{domain}")
                )
            )
            key = session.get(SandboxHostKey, (domain, self.provider))
            if key is not None:
                session.delete(key)
            self._log(session, "delete_workspace", domain, "ok")

    def _access(self, ref: str) -> MailboxAccess:
        smtp_host, smtp_port, imap_host, imap_port = _ACCESS[self.provider]
        return MailboxAccess(ref, smtp_host, smtp_port, imap_host, imap_port)


@functools.lru_cache(maxsize=256)
def _served_zone(zone: str, specs: tuple[RecordSpec, ...], serial: int) -> dns.zone.Zone:
    """The zone built from its records, once per version of them: a readiness check asks for a
    zone's records several times in a row, and building a zone parses every record's text.
    Zones are only read once built (dns_server.answer)."""
    return build_zone(zone, specs, SANDBOX_NAMESERVERS, serial)


def _registration(row: SandboxDomain) -> Registration:
    nameservers = tuple(ns for ns in row.nameservers.split(",") if ns)
    return Registration(row.domain, row.registrar_ref, row.expires_at, nameservers)


def _add_years(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)
