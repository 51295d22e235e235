"""Which adapter serves which role: the sandbox by default; DNS may be an RFC 2136 server
(MAILWRIGHT_DNS_HOST=rfc2136). Further real adapters plug in here."""

from __future__ import annotations

from dataclasses import dataclass

from mailwright.config import MAILBOX_PROVIDERS, Settings
from mailwright.db import Database
from mailwright.providers.base import DnsHost, MailboxHost, Registrar
from mailwright.providers.rfc2136 import Rfc2136DnsHost
from mailwright.providers.sandbox import SandboxDnsHost, SandboxMailboxHost, SandboxRegistrar


@dataclass(frozen=True)
class Providers:
    registrar: Registrar
    dns_host: DnsHost
    mailbox_hosts: dict[str, MailboxHost]

    def mailbox_host(self, provider: str) -> MailboxHost:
        return self.mailbox_hosts[provider]

    def close(self) -> None:
        """Stop what adapters run in this process (the sandbox's DNS server)."""
        close = getattr(self.dns_host, "close", None)
        if close is not None:
            close()

    @property
    def mailbox_provider_names(self) -> tuple[str, ...]:
        return tuple(p for p in MAILBOX_PROVIDERS if p in self.mailbox_hosts)


def build_providers(settings: Settings, db: Database) -> Providers:
    latency = settings.sandbox_latency_ms
    return Providers(
        registrar=SandboxRegistrar(db, latency),
        dns_host=_dns_host(settings, db),
        mailbox_hosts={name: SandboxMailboxHost(db, name, latency) for name in MAILBOX_PROVIDERS},
    )


def _dns_host(settings: Settings, db: Database) -> DnsHost:
    if settings.dns_host == "rfc2136":
        return Rfc2136DnsHost.from_settings(settings)
    return SandboxDnsHost(db, settings.sandbox_latency_ms, settings.sandbox_dns_port)
