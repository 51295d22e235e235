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
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock, pagination
from mailwright.ids import new_id
from mailwright.billing import lifecycle, repository, workspace
from mailwright.billing.lifecycle import SubscriptionStatus
from mailwright.billing.models import MONTHLY, EndReason, Subscription, SubscriptionRecord
from mailwright.catalog import prices
from mailwright.clock import iso
from mailwright.config import Settings
from mailwright.db.cas import transition
from mailwright.domains.models import Domain, DomainStatus
from mailwright.errors import FieldIssue, NotFound, RuleViolation
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.money import Money
from mailwright.pagination import Page, PageRequest
from mailwright.providers.registry import Providers

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

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
    # What the next renewal costs at today's price book price (None when it will not renew).
    next_charge: Money | None

    @property
    def id(self) -> str:
        return self.subscription.id


def record_order(session: Session, order_id: str, *, auto_renew: bool | None = None) -> None:
    """Open a subscription for each domain the order puts mailboxes on, or join the running one.

    Called by orders.service.place_order in the order's transaction, after its mailboxes are
    added. `auto_renew` None: new subscriptions renew automatically, running ones keep theirs.
    New ones are inserted in bulk: an order may open a thousand."""
    rows = session.execute(
        sa.select(Mailbox.domain_id, sa.func.min(Mailbox.price_minor), sa.func.min(Mailbox.currency))
        .where(Mailbox.order_id == order_id)
        .group_by(Mailbox.domain_id)
        .order_by(Mailbox.domain_id)
    ).all()
    running = repository.running_subscriptions(session, [domain_id for domain_id, _, _ in rows])
    if auto_renew is not None:
        for sub in running.values():
            sub.auto_renew = auto_renew
    opened = [(domain_id, price, currency) for domain_id, price, currency in rows if domain_id not in running]
    if opened:
        owned = sa.select(Domain.id, Domain.account_id, Domain.provider).where(Domain.id.in_([domain_id for domain_id, _, _ in opened]))
        domains = {domain_id: (account_id, provider) for domain_id, account_id, provider in session.execute(owned)}
        now = clock.now()
        session.execute(
            sa.insert(Subscription.__table__),
            [
                {
                    "id": new_id(),
                    "account_id": domains[domain_id][0],
                    "domain_id": domain_id,
                    "domain_claim": domain_id,
                    "provider": domains[domain_id][1],
                    "billing_cycle": MONTHLY,
                    "price_per_mailbox_minor": price_minor,
                    "currency": currency,
                    "anchor_at": now,
                    "period_start": now,
                    "period_end": lifecycle.add_months(now, 1),
                    "auto_renew": True if auto_renew is None else auto_renew,
                }
                for domain_id, price_minor, currency in opened
            ],
        )
    session.flush()


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


def subscriptions_page(
    session: Session,
    settings: Settings,
    providers: Providers,
    account_id: str,
    page: PageRequest,
    *,
    user_id: str | None = None,
    domain_name: str | None = None,
    status: str | None = None,
    at: dt.datetime | None = None,
) -> Page[SubscriptionView]:
    """One page of the account's subscriptions, newest first, filtered and counted in the database
    (the status by lifecycle.subscription_status_sql, the same rules the views are shown with)."""
    at = at or clock.now()
    conditions = []
    if user_id is not None:
        conditions.append(Domain.user_id == user_id)
    if domain_name is not None:
        conditions.append(Domain.name == domain_name)
    if status is not None:
        conditions.append(lifecycle.subscription_status_sql(at, settings) == status)
    found = pagination.fetch(session, repository.subscriptions_query(account_id, *conditions), page)
    return Page(_views(session, settings, providers, found.items, at), found.total, page)


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


def mailbox_price(session: Session, provider: str, currency: str) -> Money | None:
    """The price book's monthly price of one mailbox today: what a renewal will charge per mailbox
    (None: the price book sells none of this provider in this currency)."""
    return prices.mailbox_price(session, provider, currency)


def _views(
    session: Session, settings: Settings, providers: Providers, rows: list[Subscription], at: dt.datetime
) -> list[SubscriptionView]:
    domain_ids = [s.domain_id for s in rows]
    names = repository.domain_names(session, domain_ids)
    counts = repository.billable_counts(session, [s.domain_id for s in rows if s.domain_claim is not None])
    views = []
    unit_prices: dict[tuple[str, str], Money | None] = {}  # read once per provider and currency, not per row
    for sub in rows:
        status = lifecycle.subscription_status(sub, at, settings)
        quantity = counts.get(sub.domain_id, 0) if sub.domain_claim is not None else 0
        renews = status in RENEWING and sub.auto_renew and quantity > 0
        if renews and (sub.provider, sub.currency) not in unit_prices:
            unit_prices[sub.provider, sub.currency] = mailbox_price(session, sub.provider, sub.currency)
        unit = unit_prices[sub.provider, sub.currency] if renews else None
        next_charge = unit * quantity if unit is not None else None
        views.append(
            SubscriptionView(
                sub, names.get(sub.domain_id, ""), status, quantity, Money(sub.price_per_mailbox_minor, sub.currency), next_charge
            )
        )
    return views


@dataclass(frozen=True)
class DomainRenewalView:
    """A domain's registration as both faces show it, computed as of `at`."""

    domain: Domain
    status: str  # lifecycle.RegistrationStatus
    # What one year's renewal is sold at today (None: the registrar quotes no renewal cost, or the
    # price book has no renewal price covering it; see catalog.prices.renewal_price).
    renewal_price: Money | None
    # When the wallet will be charged (None when it will not renew automatically).
    renews_at: dt.datetime | None


def domain_renewal(
    session: Session, settings: Settings, providers: Providers, domain: Domain, *, at: dt.datetime | None = None
) -> DomainRenewalView:
    status = lifecycle.registration_status(domain, at or clock.now(), settings)
    held = status in (lifecycle.RegistrationStatus.ACTIVE, lifecycle.RegistrationStatus.EXPIRED)
    price = domain_renewal_price(session, providers, domain) if held else None
    renews_at = None
    if held and domain.auto_renew and domain.expires_at is not None:
        renews_at = domain.expires_at - dt.timedelta(days=settings.domain_renew_days_before)
    return DomainRenewalView(domain, status, price, renews_at)


def domain_renewal_price(session: Session, providers: Providers, domain: Domain) -> Money | None:
    """What renewing the domain for one year is sold at today: the price book's renewal price,
    checked against the registrar's renewal cost (catalog.prices.renewal_price)."""
    cost = providers.registrar.renewal_price(domain.name, domain.currency)
    return prices.renewal_price(session, domain.name, domain.currency, cost)


def set_subscription_auto_renew(
    session: Session, account_id: str, subscription_id: str, value: bool, *, field: str = "auto_renew"
) -> Subscription:
    """Turning it back on also withdraws a cancellation planned for the period end. `field` names
    the subscription in the caller's request when it has ended."""
    sub = running_subscription(session, account_id, subscription_id, field)
    sub.auto_renew = value
    sub.end_reason = None if value else sub.end_reason
    session.flush()
    return sub


def set_domain_auto_renew(session: Session, domain: Domain, value: bool, *, field: str = "auto_renew") -> Domain:
    if domain.status in (DomainStatus.RELEASED, DomainStatus.FAILED):
        raise RuleViolation(
            "domain_not_held",
            "The domain is no longer held by this account",
            [FieldIssue(field, f"Auto-renew cannot change on a {domain.status} domain", value)],
        )
    domain.auto_renew = value
    session.flush()
    return domain


def cancel_subscription(
    session: Session,
    runtime: Runtime,
    account_id: str,
    subscription_id: str,
    *,
    immediately: bool,
    at: dt.datetime | None = None,
    field: str = "subscription_id",
) -> Subscription:
    """Stop renewing. At the period end (default) the mailboxes work until the paid period ends,
    then they and the workspace are deleted; `immediately` deletes them now. Nothing is refunded
    either way: the current period was paid in full and is never charged again."""
    at = at or clock.now()
    sub = running_subscription(session, account_id, subscription_id, field)
    if immediately or at >= sub.period_end:
        workspace.end_subscription(session, runtime, sub.id, at, EndReason.CANCELLED)
    else:
        sub.auto_renew, sub.end_reason = False, EndReason.CANCELLED
    session.flush()
    session.refresh(sub)
    return sub


def remove_mailbox(session: Session, runtime: Runtime, mailbox: Mailbox, *, at: dt.datetime | None = None, field: str = "mailbox") -> Subscription | None:
    """Delete one mailbox: its subscription bills one fewer from the next renewal (nothing is
    refunded for the current period). Refused in the last hours before the period end, when the
    renewal may already be under way. The last mailbox ends the subscription."""
    at = at or clock.now()
    if mailbox.status not in (MailboxStatus.LIVE, MailboxStatus.SUSPENDED):
        reason = "it is still being set up" if mailbox.status == MailboxStatus.ORDERED else f"it is {mailbox.status}"
        raise RuleViolation("mailbox_not_removable", "The mailbox cannot be removed", [FieldIssue(field, f"The mailbox cannot be removed: {reason}", mailbox.email)])
    sub = repository.running_subscription(session, mailbox.domain_id)
    if sub is not None:
        cutoff = sub.period_end - dt.timedelta(hours=runtime.settings.mailbox_removal_cutoff_hours)
        if cutoff <= at < sub.period_end:
            raise RuleViolation(
                "removal_too_close_to_renewal",
                f"Mailboxes cannot be removed within {runtime.settings.mailbox_removal_cutoff_hours} hours of the "
                f"subscription's period end ({iso(sub.period_end)}); remove it after the renewal",
                [FieldIssue(field, f"Removal closed from {iso(cutoff)} until {iso(sub.period_end)}", mailbox.email)],
            )
    if not workspace.delete_mailbox(session, mailbox, at):
        raise NotFound("mailbox")
    if sub is None:
        return None
    if not repository.billable_counts(session, [sub.domain_id]):
        workspace.end_subscription(session, runtime, sub.id, at, EndReason.LAST_MAILBOX_REMOVED)
    else:
        workspace.request_sync(session, runtime, sub.id)
    session.flush()
    session.refresh(sub)
    return sub


def remove_domain(session: Session, runtime: Runtime, domain: Domain, *, at: dt.datetime | None = None, field: str = "domain") -> None:
    """Stop managing the domain: its subscription ends now (mailboxes and workspace deleted), it
    is never renewed, and its name is free again here. The registration simply runs out at the
    registrar; nothing is refunded."""
    at = at or clock.now()
    if domain.status != DomainStatus.READY:
        raise RuleViolation(
            "domain_not_removable",
            "The domain cannot be removed",
            [FieldIssue(field, f"Only a ready domain can be removed; this one is {domain.status}", domain.name)],
        )
    if not transition(session, Domain, domain.id, DomainStatus.READY, status=DomainStatus.RELEASED, name_claim=None, released_at=at, auto_renew=False):
        raise NotFound("domain")
    sub = repository.running_subscription(session, domain.id)
    if sub is not None:
        workspace.end_subscription(session, runtime, sub.id, at, EndReason.DOMAIN_REMOVED)
    session.flush()
    session.refresh(domain)


def running_subscription(
    session: Session, account_id: str, subscription_id: str, field: str, message: str = "The subscription has ended"
) -> Subscription:
    """The account's subscription if it still runs: NotFound, or `subscription_ended` naming `field`."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.account_id != account_id:
        raise NotFound("subscription")
    if sub.status != SubscriptionRecord.RUNNING:
        raise RuleViolation(
            "subscription_ended",
            message,
            [FieldIssue(field, f"The subscription ended ({sub.end_reason}) at {iso(sub.ended_at)}", subscription_id)],
        )
    return sub
