"""Webhook bodies of the ColdMailReseller-style face: the envelope {event, eventId, data} with data
in the family's names. For an order the events come in the documented order (recorded that way
by provisioning): domain.order.success|failed, then, only if the domain succeeded,
mailbox.order.success|failed, then one mailbox.created per mailbox with its full credentials.

Rendered when a delivery is attempted, from the stored event; it reads the user's email and the
domain's subscription, which the stored event does not carry."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from mailwright.events import types
from mailwright.runtime import current
from mailwright.webhooks.formats import EventView

# Events of the other face only; endpoints registered here do not receive them.
NOT_IN_THIS_FACE = {types.ORDER_COMPLETED}


def render(event: EventView) -> dict[str, Any] | None:
    if event.type in NOT_IN_THIS_FACE:
        return None
    data = event.data
    if event.type in (types.DOMAIN_ORDER_SUCCESS, types.DOMAIN_ORDER_FAILED):
        body = _domain_order(event)
    elif event.type in (types.MAILBOX_ORDER_SUCCESS, types.MAILBOX_ORDER_FAILED):
        body = _mailbox_order(event)
    elif event.type in (types.MAILBOX_CREATED, types.MAILBOX_UPDATED):
        body = _mailbox(event)
    else:
        body = _camel(data) | {"userId": event.user_id}
    return {"event": event.type, "eventId": event.id, "data": body}


def _context(event: EventView) -> dict[str, Any]:
    user_email, subscription_id = _lookups(event.user_id, event.data.get("domain_id"))
    return {
        "orderId": event.data.get("order_id"),
        "domainId": event.data.get("domain_id"),
        "domainName": event.data.get("domain"),
        "userId": event.user_id,
        "userEmail": user_email,
        "subscriptionId": subscription_id,
    }


def _domain_order(event: EventView) -> dict[str, Any]:
    d = event.data
    body = _context(event) | {
        "status": "SUCCESS" if event.type == types.DOMAIN_ORDER_SUCCESS else "FAILED",
        "workspaceType": d.get("provider"),
        "price": _amount(d.get("price")),
        "creationTime": d.get("created_at"),
        "registrationTime": d.get("registered_at"),
        "expiryDate": d.get("expires_at"),
        "failureReason": d.get("failure_reason"),
    }
    if event.type == types.DOMAIN_ORDER_FAILED:
        body["refunded"] = _amount(d.get("refunded"))
        body["mailboxes"] = d.get("mailboxes", [])
    return body


def _mailbox_order(event: EventView) -> dict[str, Any]:
    d = event.data
    body = _context(event) | {
        "workspaceType": d.get("provider"),
        "creationTime": event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expiryDate": d.get("expires_at"),
        "price": _amount(d.get("price")),
        "quantity": d.get("quantity"),
    }
    body["mailboxes"] = [
        {
            "mailboxId": m.get("mailbox_id"),
            "email": m.get("email"),
            "status": str(m.get("status", "")).upper(),
            "failureReason": m.get("failure_reason"),
            "price": _amount(m.get("price")),
        }
        for m in d.get("mailboxes", [])
    ]
    return body


def _mailbox(event: EventView) -> dict[str, Any]:
    d = event.data
    body = _context(event) | {
        "mailboxId": d.get("mailbox_id"),
        "email": d.get("email"),
        "username": str(d.get("email", "")).split("@")[0] or None,
        "firstName": d.get("first_name"),
        "lastName": d.get("last_name"),
        "workspaceType": d.get("provider"),
        "status": str(d.get("status", "")).upper(),
        "price": _amount(d.get("price")),
        "creationTime": d.get("created_at"),
        "liveTime": d.get("live_at"),
        "expiryDate": d.get("expires_at"),
    }
    if event.type == types.MAILBOX_CREATED:
        body |= {
            "password": d.get("password"),
            "smtpHost": d.get("smtp_host"),
            "smtpPort": d.get("smtp_port"),
            "smtpUsername": d.get("smtp_username"),
            "smtpPassword": d.get("smtp_password"),
            "imapHost": d.get("imap_host"),
            "imapPort": d.get("imap_port"),
            "imapUsername": d.get("imap_username"),
            "imapPassword": d.get("imap_password"),
        }
    else:
        body["changed"] = [_camel_name(name) for name in d.get("changed", [])]
        if d.get("previous_email"):  # a change of address: the mailbox was known by this one until now
            body["previousEmail"] = d["previous_email"]
            body["previousUsername"] = d["previous_email"].split("@")[0]
    return body


def _amount(price: Any) -> str | None:
    """The family writes prices as decimal strings ("14.50"); ours are {amount, currency}."""
    return price.get("amount") if isinstance(price, dict) else price


def _camel_name(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), name)


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_camel_name(k): _camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _lookups(user_id: str | None, domain_id: str | None) -> tuple[str | None, str | None]:
    """The user's email and the domain's most recent subscription, if any."""
    from mailwright.billing.models import Subscription
    from mailwright.users.models import ResellerUser

    with current().db.read() as session:
        email = session.scalar(sa.select(ResellerUser.email).where(ResellerUser.id == user_id)) if user_id else None
        subscription = (
            session.scalar(
                sa.select(Subscription.id)
                .where(Subscription.domain_id == domain_id)
                .order_by(Subscription.created_at.desc())
                .limit(1)
            )
            if domain_id
            else None
        )
    return email, subscription
