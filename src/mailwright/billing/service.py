"""Subscriptions: opened or extended when mailboxes are ordered, read with their status computed
at read time, quoted, and changed by the customer (auto-renew, cancel, remove).

Mailboxes added to a running subscription are charged by the order a full month's price and
that payment covers the subscription's CURRENT period (up to its period end, however near);
from the next renewal on they are billed with the others. No proration: what an order
quotes is exactly what it charges, and a refund can never exceed what was paid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.billing import lifecycle, repository
from mailwright.billing.lifecycle import SubscriptionStatus
from mailwright.billing.models import MONTHLY, Subscription
from mailwright.config import Settings
from mailwright.domains.models import Domain
from mailwright.errors import NotFound
from mailwright.mailboxes.models import Mailbox
from mailwright.money import Money
from mailwright.providers.registry import Providers

# Statuses in which a subscription will be charged again at its period end.
RENEWING = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE, SubscriptionStatus.SUSPENDED)


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as both API faces show it, computed as of `at`."""

    subscription: Subscription
    domain_name: str
    status: str
    quantity: int
    price_per_mailbox: Money
    # What the next renewal costs at today's catalog price (None when it will not renew).
    next_charge: Money | None

    @property
    def id(self) -> str:
        return self.subscription.id


def record_order(session: Session, order_id: str, *, auto_renew: bool | None = None) -> list[Subscription]:
    """Open a subscription for each domain the order puts mailboxes on, or join the running one.

    Called by orders.service.place_order in the order's transaction, after its mailboxes are
    added. `auto_renew` None: new subscriptions renew automatically, running ones keep theirs."""
    rows = session.execute(
        sa.select(Mailbox.domain_id, sa.func.min(Mailbox.price_minor), sa.func.min(Mailbox.currency))
        .where(Mailbox.order_id == order_id)
        .group_by(Mailbox.domain_id)
        .order_by(Mailbox.domain_id)
    ).all()
    subscriptions = []
    for domain_id, price_minor, currency in rows:
        sub = repository.running_subscription(session, domain_id)
        if sub is None:
            sub = _open(session, domain_id, price_minor, currency, auto_renew=True if auto_renew is None else auto_renew)
        elif auto_renew is not None:
            sub.auto_renew = auto_renew
        subscriptions.append(sub)
    session.flush()
    return subscriptions


def _open(session: Session, domain_id: str, price_minor: int, currency: str, *, auto_renew: bool) -> Subscription:
    domain = session.get(Domain, domain_id)
    assert domain is not None
    now = clock.now()
    sub = Subscription(
        account_id=domain.account_id,
        domain_id=domain_id,
        domain_claim=domain_id,
        provider=domain.provider,
        billing_cycle=MONTHLY,
        price_per_mailbox_minor=price_minor,
        currency=currency,
        anchor_at=now,
        period_start=now,
        period_end=lifecycle.add_months(now, 1),
        auto_renew=auto_renew,
    )
    session.add(sub)
    return sub


def list_subscriptions(
    session: Session,
    settings: Settings,
    providers: Providers,
    account_id: str,
    *,
    domain_ids: Collection[str] | None = None,
    at: dt.datetime | None = None,
) -> list[SubscriptionView]:
    """The account's subscriptions, newest first (`domain_ids` narrows them, e.g. to one user's)."""
    rows = repository.subscriptions_of(session, account_id, domain_ids)
    return _views(session, settings, providers, rows, at or clock.now())


def get_subscription(
    session: Session, settings: Settings, providers: Providers, account_id: str, subscription_id: str, *, at: dt.datetime | None = None
) -> SubscriptionView:
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.account_id != account_id:
        raise NotFound("subscription")
    return _views(session, settings, providers, [sub], at or clock.now())[0]


def subscription_for_domain(session: Session, domain_id: str) -> Subscription | None:
    """The running subscription of a domain, if any (the one its mailboxes belong to)."""
    return repository.running_subscription(session, domain_id)


def mailbox_price(providers: Providers, provider: str, currency: str) -> Money:
    """The catalog's monthly price of one mailbox today: what a renewal will charge per mailbox."""
    return providers.mailbox_host(provider).monthly_price(currency)


def _views(
    session: Session, settings: Settings, providers: Providers, rows: list[Subscription], at: dt.datetime
) -> list[SubscriptionView]:
    domain_ids = [s.domain_id for s in rows]
    names = repository.domain_names(session, domain_ids)
    counts = repository.billable_counts(session, [s.domain_id for s in rows if s.domain_claim is not None])
    views = []
    for sub in rows:
        status = lifecycle.subscription_status(sub, at, settings)
        quantity = counts.get(sub.domain_id, 0) if sub.domain_claim is not None else 0
        renews = status in RENEWING and sub.auto_renew and quantity > 0
        next_charge = mailbox_price(providers, sub.provider, sub.currency) * quantity if renews else None
        views.append(
            SubscriptionView(
                sub, names.get(sub.domain_id, ""), status, quantity, Money(sub.price_per_mailbox_minor, sub.currency), next_charge
            )
        )
    return views
