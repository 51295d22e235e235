"""The billing events, recorded in the transaction of the change they report."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.billing.models import Subscription
from mailwright.clock import iso
from mailwright.domains.models import Domain
from mailwright.events.service import record
from mailwright.money import Money


def subscription_data(sub: Subscription, domain_name: str, **extra: Any) -> dict[str, Any]:
    return {
        "subscription_id": sub.id,
        "domain_id": sub.domain_id,
        "domain": domain_name,
        "provider": sub.provider,
        "billing_cycle": sub.billing_cycle,
        "period_start": iso(sub.period_start),
        "period_end": iso(sub.period_end),
        "auto_renew": sub.auto_renew,
    } | extra


def domain_data(domain: Domain, **extra: Any) -> dict[str, Any]:
    return {
        "domain_id": domain.id,
        "domain": domain.name,
        "expires_at": iso(domain.expires_at),
        "auto_renew": domain.auto_renew,
    } | extra


def price(amount: Money) -> dict[str, str]:
    return amount.as_price()


def subscription_event(session: Session, type_: str, sub: Subscription, domain_name: str, **extra: Any) -> None:
    # A subscription belongs to whoever its domain belongs to (a reseller's end customer, or none).
    user_id = session.scalar(sa.select(Domain.user_id).where(Domain.id == sub.domain_id))
    record(session, account_id=sub.account_id, type=type_, data=subscription_data(sub, domain_name, **extra), user_id=user_id)


def domain_event(session: Session, type_: str, domain: Domain, **extra: Any) -> None:
    record(session, account_id=domain.account_id, type=type_, data=domain_data(domain, **extra), user_id=domain.user_id)

