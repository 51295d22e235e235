"""The events of an order's progress, recorded by the provisioning steps in the same
transaction as the status change that causes them.

For one order, per domain: `domain.order.success|failed`; then, only if the domain succeeded,
`mailbox.order.success` (the mailboxes that went live) and/or `mailbox.order.failed` (those that
did not) once every mailbox of that domain in the order is settled, followed by one
`mailbox.created` per live mailbox; and finally `order.completed`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.clock import iso
from mailwright.domains.models import Domain, DomainStatus
from mailwright.events import types
from mailwright.events.service import record
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.money import Money
from mailwright.orders.models import Order
from mailwright.runtime import current


def _fresh(session: Session, model: Any, row_id: str) -> Any:
    """The row as the transaction sees it now (compare-and-set updates bypass loaded objects)."""
    return session.scalars(sa.select(model).where(model.id == row_id).execution_options(populate_existing=True)).one()


def _price(minor: int, currency: str) -> dict[str, str]:
    return Money(minor, currency).as_price()


def domain_data(domain: Domain) -> dict[str, Any]:
    return {
        "order_id": domain.order_id,
        "domain_id": domain.id,
        "domain": domain.name,
        "provider": domain.provider,
        "status": domain.status,
        "failure_reason": domain.failure_reason,
        "price": _price(domain.price_minor, domain.currency),
        "registered_at": iso(domain.registered_at),
        "expires_at": iso(domain.expires_at),
        "ready_at": iso(domain.ready_at),
        "created_at": iso(domain.created_at),
    }


def mailbox_data(mailbox: Mailbox, domain: Domain) -> dict[str, Any]:
    return {
        "order_id": mailbox.order_id,
        "mailbox_id": mailbox.id,
        "email": mailbox.email,
        "first_name": mailbox.first_name,
        "last_name": mailbox.last_name,
        "domain_id": domain.id,
        "domain": domain.name,
        "provider": mailbox.provider,
        "status": mailbox.status,
        "failure_reason": mailbox.failure_reason,
        "price": _price(mailbox.price_minor, mailbox.currency),
        "created_at": iso(mailbox.created_at),
        "live_at": iso(mailbox.live_at),
        "expires_at": iso(domain.expires_at),
    }


def domain_ready(session: Session, domain_id: str) -> None:
    domain = _fresh(session, Domain, domain_id)
    if domain.order_id is not None:
        record(session, account_id=domain.account_id, user_id=domain.user_id, type=types.DOMAIN_ORDER_SUCCESS, data=domain_data(domain))


def domain_failed(session: Session, domain_id: str) -> None:
    domain = _fresh(session, Domain, domain_id)
    if domain.order_id is None:
        return
    waiting = session.scalars(
        sa.select(Mailbox.email).where(Mailbox.domain_id == domain.id, Mailbox.order_id == domain.order_id).order_by(Mailbox.email)
    )
    data = domain_data(domain) | {"refunded": _price(domain.price_minor, domain.currency), "mailboxes": list(waiting)}
    record(session, account_id=domain.account_id, user_id=domain.user_id, type=types.DOMAIN_ORDER_FAILED, data=data)


def mailbox_settled(session: Session, mailbox_id: str) -> None:
    """After a mailbox went live or failed: once its domain's mailboxes of the same order are all
    settled, announce them (unless the domain itself failed in that order: its event said so)."""
    mailbox = _fresh(session, Mailbox, mailbox_id)
    domain = _fresh(session, Domain, mailbox.domain_id)
    if mailbox.order_id is None or (domain.status == DomainStatus.FAILED and domain.order_id == mailbox.order_id):
        return
    batch = list(
        session.scalars(
            sa.select(Mailbox)
            .where(Mailbox.domain_id == domain.id, Mailbox.order_id == mailbox.order_id)
            .order_by(Mailbox.email)
            .execution_options(populate_existing=True)
        )
    )
    if any(m.status not in (MailboxStatus.LIVE, MailboxStatus.FAILED) for m in batch):
        return
    live = [m for m in batch if m.status == MailboxStatus.LIVE]
    failed = [m for m in batch if m.status == MailboxStatus.FAILED]
    for event_type, items in ((types.MAILBOX_ORDER_SUCCESS, live), (types.MAILBOX_ORDER_FAILED, failed)):
        if items:
            record(session, account_id=domain.account_id, user_id=mailbox.user_id, type=event_type, data=_batch_data(domain, mailbox.order_id, items))
    for m in live:
        mailbox_created(session, m, domain)


def _batch_data(domain: Domain, order_id: str, items: list[Mailbox]) -> dict[str, Any]:
    currency = items[0].currency
    return {
        "order_id": order_id,
        "domain_id": domain.id,
        "domain": domain.name,
        "provider": items[0].provider,
        "quantity": len(items),
        "price": _price(sum(m.price_minor for m in items), currency),
        "expires_at": iso(domain.expires_at),
        "mailboxes": [
            {"mailbox_id": m.id, "email": m.email, "status": m.status, "failure_reason": m.failure_reason, "price": _price(m.price_minor, m.currency)}
            for m in items
        ],
    }


def credentials(mailbox: Mailbox) -> tuple[dict[str, Any], dict[str, Any]]:
    """(public, secret) connection details: hosts and ports, and the password."""
    public = {
        "login": mailbox.email,
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_username": mailbox.email,
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_username": mailbox.email,
    }
    password = current().secrets.decrypt(mailbox.password_enc)
    return public, {"password": password, "smtp_password": password, "imap_password": password}


def mailbox_created(session: Session, mailbox: Mailbox, domain: Domain) -> None:
    public, secret = credentials(mailbox)
    record(
        session,
        account_id=mailbox.account_id,
        user_id=mailbox.user_id,
        type=types.MAILBOX_CREATED,
        data=mailbox_data(mailbox, domain) | public,
        secret_data=secret,
    )


def mailbox_updated(session: Session, mailbox: Mailbox, changed: list[str], **extra: Any) -> None:
    """A mailbox's settings changed (names, picture, address ...); `changed` names the fields and
    `extra` adds what the change needs told (e.g. previous_email on a change of address)."""
    domain = _fresh(session, Domain, mailbox.domain_id)
    data = mailbox_data(mailbox, domain) | {"changed": changed} | extra
    record(session, account_id=mailbox.account_id, user_id=mailbox.user_id, type=types.MAILBOX_UPDATED, data=data)


def order_settled(session: Session, order_id: str) -> None:
    order = _fresh(session, Order, order_id)
    domains = list(session.scalars(sa.select(Domain).where(Domain.order_id == order_id).order_by(Domain.name)))
    boxes = list(session.scalars(sa.select(Mailbox).where(Mailbox.order_id == order_id).order_by(Mailbox.email)))
    refunded = sum(d.price_minor for d in domains if d.status == DomainStatus.FAILED)
    refunded += sum(m.price_minor for m in boxes if m.status == MailboxStatus.FAILED)
    data = {
        "order_id": order.id,
        "kind": order.kind,
        "status": order.status,
        "total": _price(order.total_minor, order.currency),
        "refunded": _price(refunded, order.currency),
        "created_at": iso(order.created_at),
        "completed_at": iso(order.completed_at),
        "domains": [{"domain_id": d.id, "domain": d.name, "status": d.status, "failure_reason": d.failure_reason} for d in domains],
        "mailboxes": [{"mailbox_id": m.id, "email": m.email, "status": m.status, "failure_reason": m.failure_reason} for m in boxes],
    }
    record(session, account_id=order.account_id, user_id=order.user_id, type=types.ORDER_COMPLETED, data=data)
