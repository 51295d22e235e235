"""Which adapter serves which role: the sandbox by default; MAILWRIGHT_REGISTRAR and
MAILWRIGHT_DNS_HOST choose real ones (README "Real registrars and DNS hosts"). Each real adapter
adds one branch to `_registrar` or `_dns_host`; a name without a branch is a SettingProblem,
never a silent fall-back to the sandbox.

A real adapter's module is imported in its branch, when it is configured: every process (each
`mailwright` command, each worker) then loads only the adapters it uses and their libraries
(google-auth, defusedxml, dnspython's update support ...)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailwright.config import MAILBOX_PROVIDERS, SettingProblem, Settings
from mailwright.db import Database
from mailwright.providers.base import DnsHost, MailboxHost, NeedsActionError, Registrar
from mailwright.providers.sandbox import SandboxDnsHost, SandboxMailboxHost, SandboxRegistrar

SANDBOX = "sandbox"
OFF = "off"  # MAILWRIGHT_MAILBOX_HOSTS: the provider is withdrawn
# Roles as `mailwright providers check` and the start-up warning name them.
REGISTRAR_ROLE, DNS_HOST_ROLE, MAILBOX_HOST_ROLE = "registrar", "dns_host", "mailbox_host"


@dataclass(frozen=True)
class Role:
    """One configured role: who plays it (the setting's value, e.g. "porkbun") and its adapter."""

    role: str  # registrar, dns_host or mailbox_host
    provider: str  # the setting's value: sandbox, rfc2136, porkbun ...
    adapter: object
    mailbox_provider: str | None = None  # GOOGLE ... for a mailbox host

    @property
    def label(self) -> str:
        """For people: "registrar", "DNS host", "mailbox host GOOGLE"."""
        text = self.role.replace("_", " ").replace("dns", "DNS")
        return f"{text} {self.mailbox_provider}" if self.mailbox_provider else text

    @property
    def is_sandbox(self) -> bool:
        return self.provider == SANDBOX


@dataclass(frozen=True)
class Providers:
    registrar: Registrar
    dns_host: DnsHost
    mailbox_hosts: dict[str, MailboxHost]

    def mailbox_host(self, provider: str) -> MailboxHost:
        host = self.mailbox_hosts.get(provider)
        if host is None:
            # Withdrawn after some were sold: their steps wait for a person rather than crash.
            raise NeedsActionError(
                f"{provider} is withdrawn here (MAILWRIGHT_MAILBOX_HOSTS names it \"off\"); configure a host for it to act on its mailboxes"
            )
        return host

    # The sandbox's own connections (see build_providers); None when no adapter needs them.
    sandbox_db: Database | None = None
    # The settings' names of who plays each role (MAILWRIGHT_REGISTRAR, MAILWRIGHT_DNS_HOST).
    registrar_name: str = SANDBOX
    dns_host_name: str = SANDBOX
    # MAILWRIGHT_MAILBOX_HOSTS as applied: provider -> adapter name (sandbox, google_workspace ...).
    mailbox_host_names: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        """Stop what adapters run in this process (the sandbox's DNS server, HTTP clients, connections)."""
        for adapter in (self.dns_host, self.registrar, *self.mailbox_hosts.values()):
            close = getattr(adapter, "close", None)
            if close is not None:
                close()
        if self.sandbox_db is not None:
            self.sandbox_db.dispose()

    @property
    def registrar_is_sandbox(self) -> bool:
        """Made-up data (a sandbox registrant contact) may only ever reach the sandbox registrar."""
        return isinstance(self.registrar, SandboxRegistrar)

    @property
    def delegates(self) -> bool:
        """The registrar is not the DNS host: it delegates each domain to the DNS host's
        nameservers, and readiness waits until that delegation is seen (dns/verify.py)."""
        return self.registrar_name != self.dns_host_name

    @property
    def mailbox_provider_names(self) -> tuple[str, ...]:
        return tuple(p for p in MAILBOX_PROVIDERS if p in self.mailbox_hosts)

    def roles(self) -> list[Role]:
        """Every configured role, registrar first."""
        roles = [
            Role(REGISTRAR_ROLE, self.registrar_name, self.registrar),
            Role(DNS_HOST_ROLE, self.dns_host_name, self.dns_host),
        ]
        for name in self.mailbox_provider_names:
            host = self.mailbox_hosts[name]
            roles.append(Role(MAILBOX_HOST_ROLE, self.mailbox_host_names.get(name, SANDBOX), host, name))
        return roles

    @property
    def uses_real_provider(self) -> bool:
        """A real registrar, DNS host or mailbox host is configured (RFC 2136 counts: it changes a real server)."""
        return any(not role.is_sandbox for role in self.roles())

    def sandbox_roles(self) -> list[Role]:
        """The roles still played by the sandbox, which never sells or provisions anything real."""
        return [role for role in self.roles() if role.is_sandbox]


def build_providers(settings: Settings) -> Providers:
    # The sandbox stands in for outside services: its tables live in Mailwright's database, but
    # it has a pool of connections of its own, as a real provider would. A request that holds a
    # connection while it asks a provider (prices, availability) then never waits on its own
    # pool twice, which under load would starve every request of its second connection.
    db = Database(settings.resolved_database_url)
    try:
        registrar = _registrar(settings, db)
        dns_host = _dns_host(settings, db)
        mailbox_hosts = {
            provider: _mailbox_host(settings, db, provider, adapter)
            for provider, adapter in settings.mailbox_host_adapters.items()
            if adapter != OFF
        }
    except BaseException:
        db.dispose()
        raise
    return Providers(
        registrar=registrar,
        dns_host=dns_host,
        mailbox_hosts=mailbox_hosts,
        sandbox_db=db,
        registrar_name=settings.registrar,
        dns_host_name=settings.dns_host,
        mailbox_host_names={provider: adapter for provider, adapter in settings.mailbox_host_adapters.items() if adapter != OFF},
    )


def _registrar(settings: Settings, db: Database) -> Registrar:
    if settings.registrar == SANDBOX:
        return SandboxRegistrar(db, settings.sandbox_latency_ms, settings.sandbox_registrar_currency or None)
    if settings.registrar == "porkbun":
        from mailwright.providers.porkbun import PorkbunRegistrar

        return PorkbunRegistrar.from_settings(settings)
    if settings.registrar == "namecheap":
        from mailwright.providers.namecheap import NamecheapRegistrar

        return NamecheapRegistrar.from_settings(settings)
    raise SettingProblem("registrar", f"{settings.registrar!r} has no adapter here")


def _dns_host(settings: Settings, db: Database) -> DnsHost:
    if settings.dns_host == SANDBOX:
        return SandboxDnsHost(db, settings.sandbox_latency_ms, settings.sandbox_dns_port)
    if settings.dns_host == "rfc2136":
        from mailwright.providers.rfc2136 import Rfc2136DnsHost

        return Rfc2136DnsHost.from_settings(settings)
    if settings.dns_host == "porkbun":
        from mailwright.providers.porkbun import PorkbunDnsHost

        return PorkbunDnsHost.from_settings(settings)
    if settings.dns_host == "cloudflare":
        from mailwright.providers.cloudflare import CloudflareDnsHost

        return CloudflareDnsHost.from_settings(settings)
    if settings.dns_host == "namecheap":
        from mailwright.providers.namecheap import NamecheapDnsHost

        return NamecheapDnsHost.from_settings(settings)
    raise SettingProblem("dns_host", f"{settings.dns_host!r} has no adapter here")


def _mailbox_host(settings: Settings, db: Database, provider: str, adapter: str) -> MailboxHost:
    if adapter == SANDBOX:
        return SandboxMailboxHost(db, provider, settings.sandbox_latency_ms)
    if adapter == "google_workspace":
        from mailwright.providers.google_workspace import GoogleWorkspaceHost

        return GoogleWorkspaceHost.from_settings(settings, provider)
    if adapter == "microsoft365":
        from mailwright.providers.microsoft365 import Microsoft365Host

        return Microsoft365Host.from_settings(settings, provider)
    raise SettingProblem("mailbox_hosts", f"{provider}: {adapter!r} has no adapter here")
