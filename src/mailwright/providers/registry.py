"""Which adapter serves which role: the sandbox by default; DNS may be an RFC 2136 server
(MAILWRIGHT_DNS_HOST=rfc2136); Namecheap may be registrar and DNS host
(MAILWRIGHT_REGISTRAR / MAILWRIGHT_DNS_HOST = namecheap). Further real adapters plug in here."""

from __future__ import annotations

from dataclasses import dataclass

from mailwright.config import MAILBOX_PROVIDERS, Settings
from mailwright.db import Database
from mailwright.providers.base import DnsHost, MailboxHost, Registrar
from mailwright.providers.namecheap import NamecheapDnsHost, NamecheapRegistrar
from mailwright.providers.rfc2136 import Rfc2136DnsHost
from mailwright.providers.sandbox import SandboxDnsHost, SandboxMailboxHost, SandboxRegistrar


@dataclass(frozen=True)
class Providers:
    registrar: Registrar
    dns_host: DnsHost
    mailbox_hosts: dict[str, MailboxHost]

    def mailbox_host(self, provider: str) -> MailboxHost:
        return self.mailbox_hosts[provider]

    # The sandbox's own connections (see build_providers); None when no adapter needs them.
    sandbox_db: Database | None = None

    def close(self) -> None:
        """Stop what adapters run in this process (the sandbox's DNS server and connections,
        real adapters' HTTP clients)."""
        for adapter in (self.registrar, self.dns_host):
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
    def mailbox_provider_names(self) -> tuple[str, ...]:
        return tuple(p for p in MAILBOX_PROVIDERS if p in self.mailbox_hosts)


def build_providers(settings: Settings) -> Providers:
    # The sandbox stands in for outside services: its tables live in Mailwright's database, but
    # it has a pool of connections of its own, as a real provider would. A request that holds a
    # connection while it asks a provider (prices, availability) then never waits on its own
    # pool twice, which under load would starve every request of its second connection.
    db = Database(settings.resolved_database_url)
    latency = settings.sandbox_latency_ms
    return Providers(
        registrar=_registrar(settings, db),
        dns_host=_dns_host(settings, db),
        mailbox_hosts={name: SandboxMailboxHost(db, name, latency) for name in MAILBOX_PROVIDERS},
        sandbox_db=db,
    )


def _registrar(settings: Settings, db: Database) -> Registrar:
    if settings.registrar == "namecheap":
        return NamecheapRegistrar.from_settings(settings)
    return SandboxRegistrar(db, settings.sandbox_latency_ms)


def _dns_host(settings: Settings, db: Database) -> DnsHost:
    if settings.dns_host == "rfc2136":
        return Rfc2136DnsHost.from_settings(settings)
    if settings.dns_host == "namecheap":
        return NamecheapDnsHost.from_settings(settings)
    return SandboxDnsHost(db, settings.sandbox_latency_ms, settings.sandbox_dns_port)
