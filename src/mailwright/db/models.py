"""Imports every model so the metadata (and Alembic) sees all tables."""

from mailwright.accounts.models import Account, ApiKey
from mailwright.billing.models import BillingNotice, RenewalAction, Subscription
from mailwright.catalog.models import DomainPrice, ExchangeRate, MailboxPrice
from mailwright.dashboard.models import DashboardSession
from mailwright.db.base import Base
from mailwright.dns.models import DnsRecord
from mailwright.domains.models import Domain
from mailwright.events.models import Event
from mailwright.key_check.models import SecretKeyCheck
from mailwright.exports.models import Export, ExportedMailbox, ExportItem, ExportPlatform
from mailwright.mailboxes.models import Mailbox, ProfilePicture
from mailwright.operators.models import OperatorKey
from mailwright.orders.models import IdempotencyRecord, Order, OrderPicture
from mailwright.owners.models import DefaultRegistrant, DomainOwner
from mailwright.provisioning.models import ProviderSlot, WorkerBeat
from mailwright.providers.sandbox.models import (
    SandboxAttempt,
    SandboxCall,
    SandboxDnsRecord,
    SandboxDomain,
    SandboxHostKey,
    SandboxMailbox,
    SandboxZone,
)
from mailwright.users.models import ResellerUser
from mailwright.wallet.models import LedgerEntry
from mailwright.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

metadata = Base.metadata

__all__ = [
    "Account", "ApiKey", "BillingNotice", "DefaultRegistrant", "DnsRecord", "Domain", "DomainOwner", "DomainPrice", "ExchangeRate", "MailboxPrice", "IdempotencyRecord", "LedgerEntry", "Mailbox",
    "Order", "OrderPicture", "ProfilePicture", "RenewalAction", "ResellerUser", "SandboxAttempt", "SandboxCall", "SandboxDnsRecord", "SandboxDomain",
    "ProviderSlot", "SandboxHostKey", "SandboxMailbox", "SandboxZone", "Subscription", "WorkerBeat", "metadata",
    "Event", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "Export", "ExportedMailbox", "ExportItem", "ExportPlatform",
    "DashboardSession", "OperatorKey",
    "SecretKeyCheck",
]
