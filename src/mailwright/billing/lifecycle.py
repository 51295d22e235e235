"""Where a subscription or a domain registration stands at a moment, computed from stored
timestamps (never stored itself), and the calendar arithmetic of billing periods."""

from __future__ import annotations

import calendar
import datetime as dt

import sqlalchemy as sa

from mailwright.billing.models import EndReason, Subscription, SubscriptionRecord
from mailwright.config import Settings
from mailwright.domains.models import Domain, DomainStatus


class SubscriptionStatus:
    ACTIVE = "ACTIVE"  # paid for the current period
    PAST_DUE = "PAST_DUE"  # period over, renewal unpaid: grace, mailboxes still work, retried daily
    SUSPENDED = "SUSPENDED"  # unpaid after grace: mailboxes suspended until paid or deleted
    CANCELLED = "CANCELLED"  # ended by the customer (cancelled, last mailbox or domain removed)
    EXPIRED = "EXPIRED"  # ended on its own: auto-renew off, unpaid, domain lapsed, no mailboxes
    ALL = (ACTIVE, PAST_DUE, SUSPENDED, CANCELLED, EXPIRED)


class RegistrationStatus:
    PENDING = "PENDING"  # not registered yet (being provisioned)
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"  # past expiry, within the registrar's grace: can still be renewed
    RELEASED = "RELEASED"  # removed, or lapsed after grace
    FAILED = "FAILED"  # never registered (refunded)


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Same day and time `months` later; the 31st becomes the last day of a shorter month."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def add_years(moment: dt.datetime, years: int) -> dt.datetime:
    return add_months(moment, 12 * years)


def next_period_end(anchor: dt.datetime, current_end: dt.datetime) -> dt.datetime:
    """The first whole month from the anchor after `current_end` (no drift after short months)."""
    months = (current_end.year - anchor.year) * 12 + current_end.month - anchor.month
    candidate = add_months(anchor, max(months, 0))
    while candidate <= current_end:
        months += 1
        candidate = add_months(anchor, months)
    return candidate


def subscription_status(sub: Subscription, now: dt.datetime, settings: Settings) -> str:
    if sub.status == SubscriptionRecord.ENDED:
        return SubscriptionStatus.CANCELLED if sub.end_reason in EndReason.BY_CUSTOMER else SubscriptionStatus.EXPIRED
    if now < sub.period_end:
        return SubscriptionStatus.ACTIVE
    if not sub.auto_renew:  # ends at its period end (the next run deletes it)
        return SubscriptionStatus.CANCELLED if sub.end_reason in EndReason.BY_CUSTOMER else SubscriptionStatus.EXPIRED
    grace_end = sub.period_end + dt.timedelta(days=settings.subscription_grace_days)
    if now >= grace_end + dt.timedelta(days=settings.subscription_suspension_days):
        return SubscriptionStatus.EXPIRED
    if sub.suspended_at is not None or now >= grace_end:
        return SubscriptionStatus.SUSPENDED
    return SubscriptionStatus.PAST_DUE


def subscription_status_sql(now: dt.datetime, settings: Settings) -> sa.ColumnElement[str]:
    """subscription_status above as one SQL expression over the same stored columns, branch for
    branch (so listings filter and page in the database); tests check both agree on every branch
    and at every boundary."""
    grace = dt.timedelta(days=settings.subscription_grace_days)
    deleted = grace + dt.timedelta(days=settings.subscription_suspension_days)
    ended_as = sa.case(
        (Subscription.end_reason.in_(EndReason.BY_CUSTOMER), SubscriptionStatus.CANCELLED), else_=SubscriptionStatus.EXPIRED
    )
    return sa.case(
        (Subscription.status == SubscriptionRecord.ENDED, ended_as),
        (Subscription.period_end > now, SubscriptionStatus.ACTIVE),
        (sa.not_(Subscription.auto_renew), ended_as),
        (Subscription.period_end <= now - deleted, SubscriptionStatus.EXPIRED),
        (sa.or_(Subscription.suspended_at.is_not(None), Subscription.period_end <= now - grace), SubscriptionStatus.SUSPENDED),
        else_=SubscriptionStatus.PAST_DUE,
    )


def registration_status(domain: Domain, now: dt.datetime, settings: Settings) -> str:
    if domain.status == DomainStatus.RELEASED:
        return RegistrationStatus.RELEASED
    if domain.status == DomainStatus.FAILED:
        return RegistrationStatus.FAILED
    if domain.expires_at is None:
        return RegistrationStatus.PENDING
    if now < domain.expires_at:
        return RegistrationStatus.ACTIVE
    if now < domain.expires_at + dt.timedelta(days=settings.domain_grace_days):
        return RegistrationStatus.EXPIRED
    return RegistrationStatus.RELEASED
