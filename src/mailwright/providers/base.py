"""What Mailwright needs from the outside world: a registrar, a DNS host and mailbox hosts.

Adapters implement these protocols and raise only the typed errors below, so the provisioning
workflow can tell a hiccup (retry) from a refusal (fail the item) from a human's job (park it).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Protocol

from mailwright.money import Money

# The mailbox providers sold, in the order they are shown (their hosts: MAILWRIGHT_MAILBOX_HOSTS).
MAILBOX_PROVIDERS = ("MAILDOSO", "MAILFORGE", "GOOGLE", "MICROSOFT")


class ProviderError(Exception):
    """Base of every error an adapter may raise."""


class RetriableError(ProviderError):
    """Temporary: try again later (timeouts, rate limits, 5xx)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnavailable(RetriableError):
    """The provider cannot be reached at all; a request waiting on it answers 503."""


class TerminalError(ProviderError):
    """The provider refused for good (name not allowed, domain taken meanwhile ...)."""


class NeedsActionError(ProviderError):
    """A person must act (verify an account, raise a quota) before a retry can succeed."""


class Capability(enum.StrEnum):
    """What an adapter can do. Each adapter class declares the set it has as `SUPPORTS` (as
    octodns' providers do), `mailwright providers check` shows it, and an operation outside it is
    refused with an error that says what the provider's API lacks, never faked."""

    PRICING = "pricing"  # prices of registration and renewal
    AVAILABILITY = "availability"
    REGISTRATION = "registration"
    RENEWAL = "renewal"
    NAMESERVERS = "nameservers"  # delegation to another DNS host
    ZONES = "zones"  # creates zones itself
    DNS_RECORDS = "dns_records"
    WEB_REDIRECT = "web_redirect"
    # Mailbox hosts
    HOST_DOMAINS = "host_domains"  # adds and verifies each domain before its users can exist
    MAILBOXES = "mailboxes"  # creates, renames, suspends, restores and deletes users
    PROFILE_PHOTOS = "profile_photos"
    FORWARDING = "forwarding"  # domain-wide email forwarding through the API
    ONE_TIME_CODES = "one_time_codes"  # enrols the authenticator seed Mailwright generates
    PASSWORD_SIGN_IN = "password_sign_in"  # SMTP and IMAP accept the mailbox password


@dataclass(frozen=True)
class Availability:
    domain: str
    available: bool
    # From a registrar: its COST of one year's registration, in whatever currency it bills in
    # (None when unavailable or it does not sell the name). From catalog.check_domains: the
    # SELLING price from the operator's price book (None: not sold, domain_price_unavailable).
    price: Money | None
    # The registry prices this name above the TLD's standard price (Porkbun `premium`, Namecheap
    # `IsPremiumName`): sold only when the price book allows premiums for the TLD (premium_max).
    premium: bool = False


@dataclass(frozen=True)
class Contact:
    email: str
    first_name: str
    last_name: str
    company_name: str | None
    address: str
    city: str
    state: str
    country: str
    zip_code: str
    phone: str


@dataclass(frozen=True)
class Registration:
    domain: str
    registrar_ref: str
    expires_at: dt.datetime
    nameservers: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordSpec:
    """One DNS record, its name relative to the zone ("@" for the apex)."""

    type: str
    name: str
    value: str
    ttl: int = 3600
    priority: int | None = None


@dataclass(frozen=True)
class MailboxAccess:
    provider_ref: str
    smtp_host: str
    smtp_port: int
    imap_host: str
    imap_port: int
    # What a client must know to sign in, where the password alone is not enough everywhere
    # (Microsoft 365: SMTP AUTH off by default, IMAP only with OAuth 2.0); None: it is.
    sign_in_note: str | None = None


@dataclass(frozen=True)
class MailSetup:
    """What a mailbox host needs published in a domain's zone for sending and receiving."""

    mx: tuple[RecordSpec, ...]
    spf_includes: tuple[str, ...]
    # Supplied by hosts that sign with their own key (Google, Microsoft); None for hosts that
    # sign with a key Mailwright generates per domain.
    dkim: RecordSpec | None = None
    extra: tuple[RecordSpec, ...] = field(default_factory=tuple)
    # A DKIM key only a person can have the host generate (Google's Admin console): the operator
    # supplies its published value (`mailwright dns set-dkim`); until then the domain waits.
    dkim_by_operator: OperatorDkim | None = None
    # The DKIM records are in `extra` as the host gives them, but signing is switched on only by
    # a person (Microsoft 365's Defender portal): these steps, confirmed by `mailwright dns
    # confirm-dkim`; until then the domain waits.
    dkim_confirmation: str | None = None


@dataclass(frozen=True)
class OperatorDkim:
    selector: str  # e.g. "google": published at google._domainkey
    steps: str  # what the person does, in one paragraph, naming the domain


class AccountCheck(Protocol):
    """What `mailwright providers check` calls on every configured adapter."""

    def probe(self) -> str:
        """Call the provider's cheapest authenticated endpoint (Porkbun /ping, Cloudflare's token
        verify, a Namecheap balance call, an SOA query signed with the TSIG key) and say in one
        short sentence what it confirmed, e.g. "API key valid for account 1234". Never a secret.
        Raises NeedsActionError for bad credentials (saying what to fix), ProviderUnavailable or
        RetriableError when the provider cannot be reached."""
        ...


class Registrar(Protocol):
    def tlds(self) -> tuple[str, ...]:
        """The top-level domains it sells, most popular first."""
        ...

    def probe(self) -> str:
        """The account check (AccountCheck)."""
        ...

    def check(self, domains: list[str], currency: str) -> list[Availability]:
        """Availability and price of each domain."""
        ...

    def find_registration(self, domain: str) -> Registration | None: ...

    def register(
        self, domain: str, years: int, contact: Contact, idempotency_key: str
    ) -> Registration: ...

    def set_nameservers(self, domain: str, nameservers: tuple[str, ...]) -> None: ...

    def renewal_price(self, domain: str, currency: str) -> Money | None:
        """The registrar's COST of renewing one year (the selling price comes from the price
        book); None when the registrar does not say (cannot be renewed)."""
        ...

    def renew(self, domain: str, years: int, expected_expires_at: dt.datetime, idempotency_key: str) -> Registration:
        """Extend the registration by `years` from `expected_expires_at`, the expiry the caller saw.
        A repeat with the same key answers the renewal already made; an expiry that is not the
        expected one (renewed elsewhere, or by another request) is refused (TerminalError)."""
        ...


class DnsHost(Protocol):
    def probe(self) -> str:
        """The account check (AccountCheck)."""
        ...

    def ensure_zone(self, domain: str) -> tuple[str, ...]:
        """Create the zone if missing; returns its nameservers."""
        ...

    def replace_records(self, domain: str, records: list[RecordSpec]) -> None:
        """Make the zone serve exactly these records for each (name, type) they mention."""
        ...

    def remove_records(self, domain: str, name: str, type: str) -> None:
        """Stop serving every record of this (name, type); nothing to remove is not an error."""
        ...

    def set_web_redirect(self, domain: str, url: str | None, *, masked: bool = False) -> None:
        """Forward the domain's web site to `url` (None: stop); masked keeps the domain in the
        address bar. Callers pass `masked` only when true."""
        ...

    def nameservers(self, domain: str) -> tuple[str, ...]:
        """The host names of the zone's nameservers (its NS records)."""
        ...

    def query_servers(self, domain: str) -> tuple[tuple[str, int], ...]:
        """(IP address, port) of servers answering authoritatively for the zone: DNS
        verification sends its real queries there."""
        ...


class MailboxHost(Protocol):
    provider: str

    def probe(self) -> str:
        """The account check (AccountCheck)."""
        ...

    def add_domain(self, domain: str) -> tuple[RecordSpec, ...]:
        """Hosts with HOST_DOMAINS: add the domain to the host's tenant if it is not there yet
        (idempotent) and return the records that prove ownership (a TXT at the apex), which are
        served before `verify_domain`. Hosts without it return (). TerminalError when the host
        refuses the domain for good (another tenant holds it)."""
        ...

    def verify_domain(self, domain: str) -> None:
        """Hosts with HOST_DOMAINS: have the host verify ownership (verified already is fine).
        RetriableError while the host does not see the records yet. Hosts without it: nothing."""
        ...

    def mail_setup(self, domain: str) -> MailSetup:
        """What to publish for mail, once the domain is verified at the host."""
        ...

    def find_mailbox(self, email: str) -> MailboxAccess | None: ...

    def create_mailbox(
        self, email: str, first_name: str, last_name: str, password: str, idempotency_key: str
    ) -> MailboxAccess: ...

    def set_profile_picture(self, email: str, image: bytes, content_type: str) -> None: ...

    def set_names(self, email: str, first_name: str, last_name: str) -> None:
        """The display name of an existing mailbox (idempotent: sets, never appends)."""
        ...

    def rename_mailbox(self, old_email: str, new_email: str) -> MailboxAccess:
        """Give an existing mailbox a new address on a domain of the same workspace (Google Workspace:
        the user's primaryEmail; Microsoft 365: its userPrincipalName). Password, one-time-code seed
        and settings stay. Idempotent: `old_email` gone and `new_email` present means the rename
        already happened. Refused (TerminalError) when neither exists, or when `new_email` belongs
        to another mailbox."""
        ...

    def set_forwarding(self, domain: str, forward_to: str | None) -> None: ...

    # Billing. Each is idempotent: suspending a suspended mailbox or deleting a missing one succeeds.
    def suspend_mailbox(self, email: str) -> None: ...

    def restore_mailbox(self, email: str) -> None: ...

    def delete_mailbox(self, email: str) -> None: ...

    def delete_workspace(self, domain: str) -> None:
        """Delete the domain's workspace at this host, with any mailboxes still in it."""
        ...
