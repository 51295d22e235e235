"""Every query of the billing area."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.billing.models import Subscription, SubscriptionRecord
from mailwright.domains.models import Domain, DomainStatus
from mailwright.mailboxes.models import Mailbox, MailboxStatus

# Mailboxes a subscription bills for: everything not failed (refunded) or deleted.
BILLABLE = (MailboxStatus.ORDERED, MailboxStatus.LIVE, MailboxStatus.SUSPENDED)


def running_subscription(session: Session, domain_id: str) -> Subscription | None:
    return session.scalar(sa.select(Subscription).where(Subscription.domain_claim == domain_id))


def running_subscriptions(session: Session, domain_ids: Collection[str]) -> dict[str, Subscription]:
    """The running subscription of each of these domains that has one, by domain id."""
    query = sa.select(Subscription).where(Subscription.domain_claim.in_(list(domain_ids)))
    return {sub.domain_claim: sub for sub in session.scalars(query) if sub.domain_claim}


def subscriptions_of(session: Session, account_id: str, domain_ids: Collection[str] | None = None) -> list[Subscription]:
    query = sa.select(Subscription).where(Subscription.account_id == account_id)
    if domain_ids is not None:
        query = query.where(Subscription.domain_id.in_(list(domain_ids)))
    return list(session.scalars(query.order_by(Subscription.created_at.desc(), Subscription.id.desc())))


def subscriptions_query(account_id: str, *conditions: sa.ColumnElement[bool]) -> sa.Select[tuple[Subscription]]:
    """The account's subscriptions matching `conditions` (on Subscription or its Domain), newest first."""
    return (
        sa.select(Subscription)
        .join(Domain, Domain.id == Subscription.domain_id)
        .where(Subscription.account_id == account_id, *conditions)
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
    )


def domain_users(session: Session, domain_ids: Collection[str]) -> dict[str, str | None]:
    """domain id -> the reseller's user holding it."""
    if not domain_ids:
        return {}
    return dict(session.execute(sa.select(Domain.id, Domain.user_id).where(Domain.id.in_(list(domain_ids)))).all())


def billable_counts(session: Session, domain_ids: Collection[str]) -> dict[str, int]:
    if not domain_ids:
        return {}
    rows = session.execute(
        sa.select(Mailbox.domain_id, sa.func.count())
        .where(Mailbox.domain_id.in_(list(domain_ids)), Mailbox.status.in_(BILLABLE))
        .group_by(Mailbox.domain_id)
    )
    return {domain_id: int(count) for domain_id, count in rows}


def billable_mailboxes(session: Session, domain_id: str) -> list[Mailbox]:
    return list(
        session.scalars(
            sa.select(Mailbox).where(Mailbox.domain_id == domain_id, Mailbox.status.in_(BILLABLE)).order_by(Mailbox.email)
        )
    )


def mailboxes_with_status(session: Session, domain_id: str, status: str) -> list[Mailbox]:
    return list(session.scalars(sa.select(Mailbox).where(Mailbox.domain_id == domain_id, Mailbox.status == status)))


def domain_names(session: Session, domain_ids: Collection[str]) -> dict[str, str]:
    if not domain_ids:
        return {}
    return dict(session.execute(sa.select(Domain.id, Domain.name).where(Domain.id.in_(list(domain_ids)))).all())


def running_subscriptions_to_check(session: Session, at: dt.datetime, horizon: dt.timedelta, account_id: str | None) -> list[str]:
    """Running subscriptions whose period ends before `at + horizon` (due, or due for a notice)."""
    query = sa.select(Subscription.id).where(
        Subscription.status == SubscriptionRecord.RUNNING, Subscription.period_end <= at + horizon
    )
    if account_id is not None:
        query = query.where(Subscription.account_id == account_id)
    return list(session.scalars(query.order_by(Subscription.period_end, Subscription.id)))


def registered_domains_to_check(session: Session, at: dt.datetime, horizon: dt.timedelta, account_id: str | None) -> list[str]:
    """Domains we still hold whose expiry falls before `at + horizon`."""
    query = sa.select(Domain.id).where(
        Domain.status.not_in((DomainStatus.RELEASED, DomainStatus.FAILED)),
        Domain.expires_at.is_not(None),
        Domain.expires_at <= at + horizon,
    )
    if account_id is not None:
        query = query.where(Domain.account_id == account_id)
    return list(session.scalars(query.order_by(Domain.expires_at, Domain.id)))
