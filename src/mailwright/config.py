"""Settings, read once from MAILWRIGHT_* environment variables."""

from __future__ import annotations

import ipaddress
import json
import re
from functools import cached_property
from typing import Literal
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mailwright.providers.base import MAILBOX_PROVIDERS
from mailwright.validation import ascii_digits

_HOST_NAME = re.compile(r"^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILWRIGHT_", extra="ignore")

    data_dir: Path = Path("./mailwright-data")
    # Empty means a SQLite file inside data_dir.
    database_url: str = ""
    # Base URL clients reach this service at (for links such as profile pictures); empty: as requested.
    public_url: str = ""
    # Fernet keys (or any long passphrases), comma-separated, newest first.
    # Empty: the first start on a new database generates data_dir/secret.key. Every process on one
    # database must hold the same key, or it refuses to start (mailwright.key_check).
    secret_key: str = ""

    # API protection.
    rate_limit_per_minute: int = Field(600, ge=1)
    rate_limit_burst: int = Field(60, ge=1)
    # Failed authentication (an unknown or revoked key), per client address (an IPv6 one's /64):
    # `auth_failures_burst` at once, then `auth_failures_per_minute`. Past that, any key from the
    # address is answered 429 without being checked, until the allowance refills.
    auth_failures_per_minute: int = Field(10, ge=1)
    auth_failures_burst: int = Field(20, ge=1)
    max_body_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    # Slow clients: a request's headers must arrive within this long of the connection (or of the
    # previous answer on a kept-alive one), its body within this long of its headers; otherwise
    # the connection is closed, after a 408 when the body was being read. See api/server.py.
    request_headers_timeout_seconds: float = Field(20.0, gt=0)
    request_body_timeout_seconds: float = Field(120.0, gt=0)

    # Catalogue limits.
    max_mailboxes_per_domain: int = Field(5, ge=1)
    # JSON object overriding the maximum per provider, e.g. {"MICROSOFT": 10}.
    max_mailboxes_by_provider: str = "{}"
    max_domains_per_order: int = Field(50, ge=1)
    max_mailboxes_per_order: int = Field(250, ge=1)
    # An order created without being processed keeps its price this long, then expires.
    unprocessed_order_hours: int = Field(72, ge=1)

    # Calls to URLs customers give (picture URLs, webhook targets) go to public addresses only
    # (see net/outbound.py). True also allows loopback, private, link-local and reserved ones,
    # and plain-http picture URLs: for tests and closed networks only.
    outbound_allow_private: bool = False

    # Profile pictures given as a URL: fetched by the provisioning workflow.
    picture_fetch_timeout_seconds: float = Field(10.0, gt=0)
    # Decoded pixels that pictures being checked may hold at once, in MiB, process-wide (a
    # 4096x4096 picture takes 64); a picture needing more than this alone is refused.
    picture_decode_budget_mb: int = Field(128, ge=1)

    # First start on an empty database.
    demo_account: bool = True
    demo_credit: str = "500.00"

    # Provisioning.
    queue_poll_seconds: float = Field(1.0, gt=0)
    # Transient provider errors: attempts per step, first pause (doubling each time).
    step_max_attempts: int = Field(6, ge=1)
    step_retry_seconds: float = Field(1.0, ge=0)
    # How long mailboxes ordered on a domain that is still being set up wait for it.
    domain_wait_max_seconds: int = Field(48 * 3600, ge=1)
    # Per-provider queues: JSON object of queue role -> limits, roles being "orders",
    # "registrar", "dns" and each mailbox provider (e.g. "GOOGLE"); limits are
    # "concurrency" (calls in flight across all workers), "worker_concurrency" (per worker)
    # "limit"/"period" (at most `limit` calls started per `period` seconds) and "poll_seconds"
    # (how often workers look for work there; default queue_poll_seconds), e.g.
    # {"registrar": {"concurrency": 1, "limit": 1, "period": 10}}. See provisioning/queues.py.
    queue_limits: str = "{}"
    # Workers write a heartbeat this often; one silent for worker_dead_after_seconds is taken
    # for dead and its unfinished workflows are handed to the living.
    worker_heartbeat_seconds: float = Field(5.0, gt=0)
    worker_dead_after_seconds: float = Field(60.0, gt=0)
    sandbox_latency_ms: int = Field(0, ge=0)
    # The currency the sandbox registrar quotes its costs in; empty: whichever it is asked for.
    # USD makes it bill as real registrars do, so the price book's exchange rates come into play.
    sandbox_registrar_currency: Literal["", "USD", "EUR"] = ""

    # DNS for sending (see README "DNS for sending").
    # Where DMARC aggregate reports go: comma-separated addresses; empty publishes no rua=.
    dmarc_rua: str = ""
    # Optional open/click tracking CNAME: <label>.<domain> -> target; off while the target is empty.
    tracking_cname_label: str = "track"
    tracking_cname_target: str = ""
    # Who registers the domains (README "Real registrars and DNS hosts"). Only names with an
    # adapter in this build are accepted: each real registrar's adapter adds its name here.
    registrar: Literal["sandbox", "porkbun", "namecheap"] = "sandbox"
    # Who hosts the zones: the sandbox (answers real DNS on loopback) or an RFC 2136 server; each
    # real DNS host's adapter adds its name here. A registrar other than the DNS host delegates
    # each domain to the DNS host's nameservers, and readiness waits for that delegation.
    dns_host: Literal["sandbox", "rfc2136", "porkbun", "cloudflare", "namecheap"] = "sandbox"
    # The sandbox DNS server's UDP+TCP port on 127.0.0.1 (`dig @127.0.0.1 -p 10053 ...`);
    # 0 picks a free one. A process finding it taken answers on a free port of its own.
    sandbox_dns_port: int = Field(10053, ge=0, le=65535)
    # Verification before a domain is ready: checks of every record against the authoritative
    # servers, the pause after the first failed check (doubling, at most dns_verify_max_wait_seconds).
    dns_verify_attempts: int = Field(10, ge=1)
    dns_verify_retry_seconds: float = Field(2.0, ge=0)
    dns_verify_max_wait_seconds: float = Field(120.0, ge=0)
    # One DNS query's timeout (UDP, then TCP if truncated).
    dns_query_timeout_seconds: float = Field(3.0, gt=0)
    # host:port (an IP address; IPv6 in brackets, e.g. [::1]:53) of a DNS server that readiness
    # checks ask instead of the zones' authoritative servers (split-horizon setups, tests);
    # empty: the authoritative servers, and the delegation as the parent zone's servers answer it.
    dns_verify_server: str = ""
    # RFC 2136 dynamic updates (BIND, Knot, PowerDNS); zones must already exist on the server.
    rfc2136_server: str = "127.0.0.1"
    rfc2136_port: int = Field(53, ge=1, le=65535)
    rfc2136_tsig_key_name: str = ""
    rfc2136_tsig_secret: str = ""  # base64, as in the server's key statement
    rfc2136_tsig_algorithm: str = "hmac-sha256"
    # The zones' NS host names, as the registrar should delegate to them (comma-separated).
    rfc2136_nameservers: str = ""
    # IPv4 address of a web server that performs domain redirects; empty: redirects refused.
    rfc2136_redirect_address: str = ""
    # Cloudflare (MAILWRIGHT_DNS_HOST = cloudflare)
    # An API token with Zone → Zone → Edit and Zone → DNS → Edit, and the account its zones go in.
    cloudflare_api_token: str = ""
    cloudflare_account_id: str = ""
    cloudflare_base_url: str = "https://api.cloudflare.com/client/v4"
    # Namecheap (MAILWRIGHT_REGISTRAR / MAILWRIGHT_DNS_HOST = namecheap)
    namecheap_api_user: str = ""
    namecheap_api_key: str = Field("", repr=False)
    namecheap_username: str = ""
    # The public IPv4 address Mailwright calls from, whitelisted for the API at Namecheap.
    namecheap_client_ip: str = ""
    # Namecheap's sandbox: https://api.sandbox.namecheap.com/xml.response
    namecheap_base_url: str = "https://api.namecheap.com/xml.response"
    # The workflows' version (DBOS application_version): a worker resumes only workflows of its
    # own. Raised whenever the steps a workflow takes change (2: provider calls hold slots
    # instead of running as queued workflows; 3: a mailbox goes live in its creation's step, a
    # domain ready in its verification's), so no worker replays a workflow with other steps.
    app_version: str = "mailwright-3"

    # Porkbun (MAILWRIGHT_REGISTRAR / MAILWRIGHT_DNS_HOST = porkbun)
    # API keys from porkbun.com/account/api; required when either role names porkbun.
    porkbun_api_key: str = ""
    porkbun_secret_api_key: str = ""
    porkbun_base_url: str = "https://api.porkbun.com/api/json/v3"

    # Mailbox hosts (README "Real mailbox hosts"): JSON object of provider to adapter, e.g.
    # {"GOOGLE": "google_workspace", "MICROSOFT": "microsoft365"}; a provider not named stays on
    # the sandbox, "off" withdraws it (not listed, not sold).
    mailbox_hosts: str = ""
    # Google Workspace: a service account's JSON key with domain-wide delegation, and the admin it acts as.
    google_service_account_file: str = ""
    google_admin_email: str = ""
    google_customer_id: str = "my_customer"
    google_directory_base: str = "https://admin.googleapis.com"
    google_site_verification_base: str = "https://www.googleapis.com/siteVerification/v1"
    google_gmail_base: str = "https://gmail.googleapis.com"
    # Microsoft 365: an app registration with Graph application permissions (client credentials).
    microsoft_tenant_id: str = ""
    microsoft_client_id: str = ""
    microsoft_client_secret: str = Field("", repr=False)
    microsoft_login_base: str = "https://login.microsoftonline.com"
    microsoft_graph_base: str = "https://graph.microsoft.com/v1.0"
    microsoft_license_sku: str = "O365_BUSINESS_ESSENTIALS"  # a skuPartNumber of subscribedSkus
    microsoft_usage_location: str = "US"  # ISO 3166 two letters, required by Graph to license a user

    # Webhooks: attempts per delivery, first pause between them (doubling up to the maximum),
    # and how long one request may take.
    webhook_max_attempts: int = Field(12, ge=1)
    webhook_retry_seconds: float = Field(5.0, ge=0)
    webhook_retry_max_seconds: float = Field(3600.0, ge=0)
    webhook_timeout_seconds: float = Field(10.0, gt=0)

    # Billing (see README "Billing"). Renewals run on this DBOS cron schedule (seconds first);
    # empty disables it, e.g. where `mailwright billing run-due` runs from cron instead.
    billing_schedule: str = "0 */10 * * * *"
    # Unpaid mailbox subscription: days of grace (service continues, retried daily), then days
    # suspended at the provider, after which its mailboxes and workspace are deleted.
    subscription_grace_days: int = Field(7, ge=0)
    subscription_suspension_days: int = Field(30, ge=0)
    # Domains renew this many days before they expire; an unpaid or not-renewed domain is kept
    # this many days after expiry (the registrar's grace) before it is released.
    domain_renew_days_before: int = Field(30, ge=0)
    domain_grace_days: int = Field(30, ge=0)
    # How often a renewal that failed for want of funds is retried with a new event (hours).
    renewal_retry_hours: int = Field(24, ge=1)
    # Notices before something ends without renewal (days before, comma-separated).
    expiry_notice_days: str = "7,1"
    # A mailbox cannot be removed this close to its subscription's period end (hours).
    mailbox_removal_cutoff_hours: int = Field(24, ge=0)

    # Exports to sending platforms (README "Export to your sending platform"): the sends a day
    # and the warm-up choice every exported mailbox starts with, by API or in a CSV file.
    export_daily_limit: int = Field(30, ge=1, le=10_000)
    export_warmup: bool = True

    log_level: str = "INFO"
    log_format: str = "json"

    @field_validator("dmarc_rua")
    @classmethod
    def _valid_dmarc_rua(cls, value: str) -> str:
        if not value.strip():  # no rua= at all: nothing to check, and no DNS library to load
            return value
        from mailwright.dns.checks import dmarc_problems
        from mailwright.dns.records import dmarc_value

        problems = dmarc_problems(dmarc_value(value))
        if problems:  # otherwise every domain's zone would be rejected
            raise ValueError("; ".join(problems))
        return value

    @field_validator("tracking_cname_label", "tracking_cname_target")
    @classmethod
    def _valid_host_name(cls, value: str) -> str:
        if value and not _HOST_NAME.match(value):
            raise ValueError("must be a DNS host name like track or open.tracker.example")
        return value

    @field_validator("billing_schedule")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if value.strip() in ("", cls.model_fields["billing_schedule"].default):  # every process starts without croniter
            return value
        from croniter import croniter  # DBOS's own cron parser: what it accepts, and only that

        if value.strip() and not croniter.is_valid(value.strip(), second_at_beginning=True):
            raise ValueError("must be a cron schedule with seconds first (e.g. '0 */10 * * * *'), or empty for none")
        return value

    @field_validator("dns_verify_server")
    @classmethod
    def _valid_server_address(cls, value: str) -> str:
        value = value.strip()
        if value:
            server_address(value)
        return value

    @property
    def verify_server(self) -> tuple[str, int] | None:
        """(address, port) of MAILWRIGHT_DNS_VERIFY_SERVER; None when readiness asks the authorities."""
        return server_address(self.dns_verify_server) if self.dns_verify_server else None

    @field_validator("max_mailboxes_by_provider")
    @classmethod
    def _valid_json_map(cls, value: str) -> str:
        parsed = json.loads(value or "{}")
        if not isinstance(parsed, dict) or not all(
            isinstance(v, int) and v > 0 for v in parsed.values()
        ):
            raise ValueError("must be a JSON object of provider name to positive integer")
        return value

    @field_validator("expiry_notice_days")
    @classmethod
    def _valid_day_list(cls, value: str) -> str:
        days = [part.strip() for part in value.split(",") if part.strip()]
        if not all(ascii_digits(d) and int(d) > 0 for d in days):
            raise ValueError("must be positive whole days, comma-separated, e.g. 7,1")
        return value

    @property
    def notice_days(self) -> tuple[int, ...]:
        """Days before an ending at which to warn, largest first."""
        return tuple(sorted({int(d) for d in self.expiry_notice_days.split(",") if d.strip()}, reverse=True))

    @field_validator("mailbox_hosts")
    @classmethod
    def _valid_mailbox_hosts(cls, value: str) -> str:
        parse_mailbox_hosts(value)
        return value

    @property
    def mailbox_host_adapters(self) -> dict[str, str]:
        """Every mailbox provider's adapter name: sandbox unless MAILWRIGHT_MAILBOX_HOSTS says."""
        return {provider: "sandbox" for provider in MAILBOX_PROVIDERS} | parse_mailbox_hosts(self.mailbox_hosts)

    @property
    def names_a_real_provider(self) -> bool:
        """Some role is played by a real adapter, whose own settings (keys, servers) are checked when it is made."""
        return bool({self.registrar, self.dns_host, *self.mailbox_host_adapters.values()} - {"sandbox", "off"})

    @field_validator("queue_limits")
    @classmethod
    def _valid_queue_limits(cls, value: str) -> str:
        from mailwright.provisioning.queues import parse_queue_limits

        parse_queue_limits(value)
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mailwright.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def max_mailboxes_for(self, provider: str) -> int:
        overrides = json.loads(self.max_mailboxes_by_provider or "{}")
        return int(overrides.get(provider, self.max_mailboxes_per_domain))


# Which adapters may serve which mailbox provider ("off" withdraws the provider).
MAILBOX_HOST_ADAPTERS = {
    "GOOGLE": ("sandbox", "google_workspace", "off"),
    "MICROSOFT": ("sandbox", "microsoft365", "off"),
    "MAILDOSO": ("sandbox", "off"),
    "MAILFORGE": ("sandbox", "off"),
}


def parse_mailbox_hosts(text: str) -> dict[str, str]:
    """MAILWRIGHT_MAILBOX_HOSTS as {provider: adapter}; ValueError naming what is wrong."""
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError(f"must be a JSON object, e.g. {{\"GOOGLE\": \"google_workspace\"}}: {exc.msg}") from exc
    if not isinstance(raw, dict):
        raise ValueError('must be a JSON object, e.g. {"GOOGLE": "google_workspace"}')
    for provider, adapter in raw.items():
        if provider not in MAILBOX_HOST_ADAPTERS:
            raise ValueError(f"{provider!r} is not a mailbox provider; providers are {', '.join(MAILBOX_HOST_ADAPTERS)}")
        if adapter not in MAILBOX_HOST_ADAPTERS[provider]:
            raise ValueError(f"{provider} can be served by {', '.join(MAILBOX_HOST_ADAPTERS[provider])}, not {adapter!r}")
    return dict(raw)


def server_address(text: str) -> tuple[str, int]:
    """(IP address, port) from "host:port" ("[v6]:port" for IPv6); ValueError saying the form."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        host = ""  # an IPv6 address without brackets: its port cannot be told apart
    try:
        ipaddress.ip_address(host)
        valid = bool(sep) and ascii_digits(port) and 1 <= int(port) <= 65535
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(f"{text!r} is not host:port with an IP address, e.g. 127.0.0.1:5353 or [::1]:53")
    return host, int(port)


class SettingProblem(ValueError):
    """A setting that is missing or wrong for what the other settings chose (e.g. a registrar's
    API key when MAILWRIGHT_REGISTRAR names it). Raised while the runtime is built, so `serve`
    and every command stop at start with one line naming the variable (cli.main)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.setting = "MAILWRIGHT_" + field.upper()
        self.message = message


def required(settings: Settings, field: str, why: str) -> str:
    """The value of a text setting that `why` needs (e.g. "MAILWRIGHT_REGISTRAR=porkbun"); a
    SettingProblem when it is empty."""
    value = str(getattr(settings, field) or "").strip()
    if not value:
        raise SettingProblem(field, f"must be set for {why}")
    return value


def load_settings() -> Settings:
    return Settings()
