"""Every event type Mailwright emits, in one place. Subscriptions name one of these (or `*`)."""

from __future__ import annotations

# Provisioning (an order's items reaching their final state).
DOMAIN_ORDER_SUCCESS = "domain.order.success"
DOMAIN_ORDER_FAILED = "domain.order.failed"
MAILBOX_ORDER_SUCCESS = "mailbox.order.success"
MAILBOX_ORDER_FAILED = "mailbox.order.failed"
MAILBOX_CREATED = "mailbox.created"  # carries the mailbox's SMTP/IMAP credentials
MAILBOX_UPDATED = "mailbox.updated"
ORDER_COMPLETED = "order.completed"  # the order settled: completed, partially_completed or failed

# Exports to sending platforms (Instantly, Smartlead, Woodpecker).
MAILBOX_EXPORTED = "mailbox.exported"  # the platform has the mailbox as an email account
MAILBOX_EXPORT_FAILED = "mailbox.export.failed"  # carries the platform's own message (error)

# Billing (subscriptions and domain registrations over time).
SUBSCRIPTION_RENEWAL_SUCCESS = "subscription.renewal.success"
SUBSCRIPTION_RENEWAL_FAILED = "subscription.renewal.failed"
SUBSCRIPTION_SUSPENDED = "subscription.suspended"
SUBSCRIPTION_CANCELLED = "subscription.cancelled"
SUBSCRIPTION_EXPIRING = "subscription.expiring"  # will end (auto-renew off or cancelled) in N days
DOMAIN_RENEWAL_SUCCESS = "domain.renewal.success"
DOMAIN_RENEWAL_FAILED = "domain.renewal.failed"
DOMAIN_EXPIRING = "domain.expiring"

EVENT_TYPES: tuple[str, ...] = (
    DOMAIN_ORDER_SUCCESS,
    DOMAIN_ORDER_FAILED,
    MAILBOX_ORDER_SUCCESS,
    MAILBOX_ORDER_FAILED,
    MAILBOX_CREATED,
    MAILBOX_UPDATED,
    ORDER_COMPLETED,
    MAILBOX_EXPORTED,
    MAILBOX_EXPORT_FAILED,
    SUBSCRIPTION_RENEWAL_SUCCESS,
    SUBSCRIPTION_RENEWAL_FAILED,
    SUBSCRIPTION_SUSPENDED,
    SUBSCRIPTION_CANCELLED,
    SUBSCRIPTION_EXPIRING,
    DOMAIN_RENEWAL_SUCCESS,
    DOMAIN_RENEWAL_FAILED,
    DOMAIN_EXPIRING,
)

# A subscription to every event type.
ALL_EVENTS = "*"
