"""Subscriptions and the notices already sent about them.

What is stored is what happened (periods paid, suspension, end); where a subscription stands
NOW is computed from those timestamps at read time (see lifecycle.py), so a status can never
go stale because a job did not run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id

MONTHLY = "MONTHLY"


class SubscriptionRecord:
    """Stored status: a subscription runs until it ends; everything in between is derived."""

    RUNNING = "running"
    ENDED = "ended"


class EndReason:
    CANCELLED = "cancelled"  # the customer cancelled it
    AUTO_RENEW_OFF = "auto_renew_off"  # reached the end of its period with auto-renew off
    UNPAID = "unpaid"  # grace and suspension passed without payment
    LAST_MAILBOX_REMOVED = "last_mailbox_removed"
    NO_MAILBOXES = "no_mailboxes"  # every mailbox failed or was removed before renewal
    DOMAIN_REMOVED = "domain_removed"
    DOMAIN_RELEASED = "domain_released"  # its domain's registration lapsed
    # Ended by the customer's own decision (shown as CANCELLED rather than EXPIRED).
    BY_CUSTOMER = (CANCELLED, LAST_MAILBOX_REMOVED, DOMAIN_REMOVED)


class Subscription(Base):
    """The mailboxes of one domain: one workspace at the mailbox provider, billed monthly."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_status_period_end", "status", "period_end"),)

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id"), index=True)
    # Equal to domain_id while running, NULL once ended: one running subscription per domain.
    domain_claim: Mapped[str | None] = mapped_column(String(28), unique=True, nullable=True)
    provider: Mapped[str] = mapped_column(String(20))
    billing_cycle: Mapped[str] = mapped_column(String(10), default=MONTHLY)
    # The price per mailbox of the current period (the price book's price when it was paid).
    price_per_mailbox_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Periods are whole calendar months counted from the anchor (day clamped to short months).
    anchor_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default=SubscriptionRecord.RUNNING)
    # The last renewal attempt that failed for want of funds (retried daily, one event a day).
    renewal_failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the mailboxes were suspended at the provider for non-payment.
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Why it ended; on a running subscription, why it will end at its period end (cancelled).
    end_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class BillingNotice(Base):
    """A notice sent once (e.g. "expires in 7 days" for one expiry): the unique key is the proof."""

    __tablename__ = "billing_notices"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class RenewalKind:
    SUBSCRIPTIONS = "subscriptions"
    DOMAINS = "domains"


class RenewalAction(Base):
    """One renewal on request (a batch of subscriptions or of domains, paid all or nothing),
    written in the transaction that charged and extended them; its id is the `actionId`."""

    __tablename__ = "renewal_actions"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The reseller's user whose items these were, when they all belong to one (kept after the
    # user is deleted, so no foreign key).
    user_id: Mapped[str | None] = mapped_column(String(28), nullable=True)
    kind: Mapped[str] = mapped_column(String(20))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # JSON list of {"id", "name", "endsAt", "amountMinor"}: each item with its new period end or expiry.
    items_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
