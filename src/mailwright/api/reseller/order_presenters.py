"""Orders as this face shows them: camelCase, money as decimal strings, statuses in capitals."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.clock import iso
from mailwright.config import Settings
from mailwright.domains.models import Domain
from mailwright.mailboxes.models import Mailbox
from mailwright.money import Money
from mailwright.orders import service as orders
from mailwright.orders.models import Order, OrderStatus
from mailwright.orders.requests import OrderPlan

NOT_PROCESSED = "NOT_PROCESSED"  # an item of an order that has not been processed yet


def order_status(settings: Settings, order: Order) -> str:
    return orders.status_of(settings, order).upper()


def order_details(session: Session, settings: Settings, order: Order) -> dict[str, Any]:
    plan = OrderPlan.from_json(order.plan_json) if order.plan_json else None
    domains = {d.name: d for d in session.scalars(sa.select(Domain).where(Domain.order_id == order.id))}
    boxes = {m.ordered_email: m for m in session.scalars(sa.select(Mailbox).where(Mailbox.order_id == order.id))}
    exports = json.loads(order.export_settings) if order.export_settings else {}
    price = lambda minor: Money(minor, order.currency).decimal  # noqa: E731 - a local shorthand
    planned_domains = plan.domains if plan else []
    planned_boxes = plan.mailboxes if plan else []
    expires = order.created_at + dt.timedelta(hours=settings.unprocessed_order_hours)
    return {
        "orderId": order.id,
        "userId": order.user_id,
        "orderStatus": order_status(settings, order),
        "kind": order.kind,
        "totalPrice": price(order.total_minor),
        "currency": order.currency,
        "billingCycle": order.billing_cycle,
        "autoRenew": order.auto_renew,
        "serviceProvider": _provider(planned_domains, planned_boxes),
        "microsoftOauthRoute": exports.get("microsoftOauthRoute"),
        "google": exports.get("google"),
        "createdAt": iso(order.created_at),
        "expiresAt": iso(expires) if order.status == OrderStatus.CREATED else None,
        "processedAt": iso(order.processed_at),
        "completedAt": iso(order.completed_at),
        "domains": [
            {
                "domain": d.name,
                "domainId": domains[d.name].id if d.name in domains else None,
                "years": d.years,
                "price": price(d.price_minor),
                "forwardTo": d.forward_to,
                "maskForwarding": d.mask_forwarding,
                "status": domains[d.name].status.upper() if d.name in domains else NOT_PROCESSED,
                "failureReason": domains[d.name].failure_reason if d.name in domains else None,
            }
            for d in planned_domains
        ],
        "mailboxes": [
            {
                "email": m.email,
                "username": m.local_part,
                "domain": m.domain_name,
                "firstName": m.first_name,
                "lastName": m.last_name,
                "mailboxId": boxes[m.email].id if m.email in boxes else None,
                "price": price(m.price_minor),
                "status": boxes[m.email].status.upper() if m.email in boxes else NOT_PROCESSED,
                "failureReason": boxes[m.email].failure_reason if m.email in boxes else None,
                "hasProfilePicture": bool(m.email in boxes and boxes[m.email].profile_picture_id),
                "profilePictureError": boxes[m.email].profile_picture_error if m.email in boxes else None,
            }
            for m in planned_boxes
        ],
    }


def _provider(domains: list[Any], boxes: list[Any]) -> str | None:
    for item in [*domains, *boxes]:
        return item.provider
    return None
