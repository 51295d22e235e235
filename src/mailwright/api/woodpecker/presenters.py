"""Rows to Woodpecker-style response bodies, field names exactly as the family documents them."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.clock import iso
from mailwright.domains.models import Domain, DomainStatus
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.money import Money
from mailwright.orders.models import Order
from mailwright.owners.models import DomainOwner
from mailwright.owners.service import CONTACT_FIELDS
from mailwright.runtime import Runtime

# The family knows ORDERED and PAID; a parked mailbox (needs_action) is still ORDERED there.
MAILBOX_STATUS = {
    MailboxStatus.ORDERED: "ORDERED",
    MailboxStatus.NEEDS_ACTION: "ORDERED",
    MailboxStatus.LIVE: "PAID",
    MailboxStatus.FAILED: "FAILED",
    MailboxStatus.SUSPENDED: "SUSPENDED",
    MailboxStatus.DELETED: "DELETED",
}
PICTURES_PATH = "/media/profile-pictures"


def owner_body(owner: DomainOwner | None) -> dict[str, Any]:
    body: dict[str, Any] = {name: getattr(owner, name) if owner else None for name in CONTACT_FIELDS}
    body["configuration"] = {
        "default_domain_redirect_url": owner.default_domain_redirect_url if owner else None,
        "default_email_forward_address": owner.default_email_forward_address if owner else None,
    }
    return body


def accepted_body(order: Order) -> dict[str, Any]:
    return {"order_id": order.id, "status": order.status, "total": Money(order.total_minor, order.currency).as_price()}


def domain_item(domain: Domain | sa.Row, counts: tuple[int, int]) -> dict[str, Any]:
    """A domain in a list: a `Domain`, or a row of the same attributes (domains.list_domains)."""
    return {
        "domain": domain.name,
        "mailboxes_count": counts[0],
        "provider": domain.provider,
        "is_custom_domain": domain.is_custom_domain,
        "is_ready": domain.status == DomainStatus.READY,
        "expires": iso(domain.expires_at),
        "created": iso(domain.created_at),
    }


def domain_detail(domain: Domain, counts: tuple[int, int]) -> dict[str, Any]:
    held, live = counts
    return domain_item(domain, counts) | {
        "owner": json.loads(domain.owner_snapshot),
        "email_forward_address": domain.email_forward_address,
        "domain_redirect_url": domain.domain_redirect_url,
        "max_mailboxes": domain.max_mailboxes,
        "all_mailboxes_are_ready": domain.status == DomainStatus.READY and held == live,
        "status": domain.status,
        "failure_reason": domain.failure_reason,
    }


def mailbox_item(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "first_name": mailbox.first_name,
        "last_name": mailbox.last_name,
        "email": mailbox.email,
        "provider": mailbox.provider,
        "status": MAILBOX_STATUS[mailbox.status],
    }


def mailbox_detail(runtime: Runtime, mailbox: Mailbox, public_base: str) -> dict[str, Any]:
    live = mailbox.status == MailboxStatus.LIVE
    password = runtime.secrets.decrypt(mailbox.password_enc) if live else None
    picture = f"{public_base}{PICTURES_PATH}/{mailbox.profile_picture_id}" if mailbox.profile_picture_id else None
    return {
        "login": mailbox.email,
        "authenticator": mailboxes.one_time_code(runtime, mailbox),
        "smtp_server": mailbox.smtp_host if live else None,
        "smtp_password": password,
        "smtp_port": mailbox.smtp_port if live else None,
        "imap_server": mailbox.imap_host if live else None,
        "imap_email": mailbox.email,
        "imap_password": password,
        "imap_port": mailbox.imap_port if live else None,
        "sign_in_note": mailbox.sign_in_note if live else None,
        "created": iso(mailbox.created_at),
        "profile_picture": picture,
        "email": mailbox.email,
        "first_name": mailbox.first_name,
        "last_name": mailbox.last_name,
        "status": MAILBOX_STATUS[mailbox.status],
        "failure_reason": mailbox.failure_reason,
    }


def order_status(session: Session, order: Order) -> dict[str, Any]:
    domains = session.scalars(sa.select(Domain).where(Domain.order_id == order.id).order_by(Domain.name))
    boxes = session.scalars(sa.select(Mailbox).where(Mailbox.order_id == order.id).order_by(Mailbox.email))
    return {
        "order_id": order.id,
        "kind": order.kind,
        "status": order.status,
        "total": Money(order.total_minor, order.currency).as_price(),
        "created": iso(order.created_at),
        "completed": iso(order.completed_at),
        "domains": [{"name": d.name, "status": d.status, "failure_reason": d.failure_reason} for d in domains],
        "mailboxes": [{"name": m.email, "status": m.status, "failure_reason": m.failure_reason} for m in boxes],
    }
