"""Woodpecker-style billing extensions: the wallet and its ledger, subscriptions, renewal
quotes, auto-renew, cancellation and removal. Same key, errors and style as routes.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from mailwright import validation as check
from mailwright.api.woodpecker import billing_schemas as schemas
from mailwright.api.woodpecker.routes import ERRORS, NOT_FOUND, AccountDep, BodyDep, RuntimeDep, body_of
from mailwright.billing import service as billing
from mailwright.billing.renewals import MailboxPriceUnavailable
from mailwright.billing.service import DomainRenewalView, SubscriptionView
from mailwright.clock import iso
from mailwright.domains import service as domains
from mailwright.errors import FieldIssues
from mailwright.mailboxes import service as mailboxes
from mailwright.runtime import Runtime
from mailwright.money import Money
from mailwright.pagination import MAX_PAGE
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry

MAX_PER_PAGE = 200

router = APIRouter(prefix="/rest/v2", tags=["Billing (Mailwright extension)"], responses=ERRORS)


@router.get("/wallet", response_model=schemas.WalletResponse, summary="Wallet balance and ledger")
def get_wallet(
    account: AccountDep,
    runtime: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page of the ledger, 1 to {MAX_PAGE}")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Entries per page")] = 50,
) -> dict[str, Any]:
    with runtime.db.read() as session:
        balance = wallet.balance(session, account)
        entries, total = wallet.entries_page(session, account.id, offset=(page - 1) * per_page, limit=per_page)
    return {
        "balance": balance.decimal,
        "currency": balance.currency,
        "entries": [_ledger_item(e) for e in entries],
        "pagination": {"page": page, "per_page": per_page, "total": total, "total_pages": -(-total // per_page)},
    }


@router.get("/subscriptions", response_model=schemas.SubscriptionList, summary="Mailbox subscriptions (one per domain)")
def list_subscriptions(account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        views = billing.list_subscriptions(session, runtime.settings, runtime.providers, account.id)
    return {"subscriptions": [subscription_item(v) for v in views]}


@router.get(
    "/subscriptions/{subscription_id}", response_model=schemas.SubscriptionItem, responses=NOT_FOUND, summary="One subscription"
)
def get_subscription(subscription_id: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    return subscription_item(_view(runtime, account.id, subscription_id))


@router.get(
    "/subscriptions/{subscription_id}/renewal_quote",
    response_model=schemas.SubscriptionQuote,
    responses=NOT_FOUND,
    summary="What the next renewal will charge, and when",
)
def quote_subscription(subscription_id: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    view = _view(runtime, account.id, subscription_id)
    with runtime.db.read() as session:
        unit = billing.mailbox_price(session, view.subscription.provider, view.subscription.currency)
    if unit is None:
        raise MailboxPriceUnavailable(view.subscription.provider, view.subscription.currency)
    return {
        "subscription_id": view.id,
        "due": iso(view.subscription.period_end),
        "will_renew": view.next_charge is not None,
        "quantity": view.quantity,
        "price_per_mailbox": unit.as_price(),
        "total": (unit * view.quantity).as_price(),
    }


@router.patch(
    "/subscriptions/{subscription_id}/auto_renew",
    response_model=schemas.SubscriptionItem,
    responses=NOT_FOUND,
    summary="Turn a subscription's auto-renew on or off",
    description="Off: the subscription ends at its period end (events 7 and 1 days before). On again: it renews, "
    "and a cancellation planned for the period end is withdrawn.",
    openapi_extra=body_of(schemas.AutoRenewRequest),
)
def set_subscription_auto_renew(subscription_id: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    value = _flag(body, "auto_renew", required=True)
    with runtime.db.write() as session:
        billing.set_subscription_auto_renew(session, account.id, subscription_id, value)
    return subscription_item(_view(runtime, account.id, subscription_id))


@router.post(
    "/subscriptions/{subscription_id}/cancel",
    response_model=schemas.SubscriptionItem,
    responses=NOT_FOUND,
    summary="Cancel a subscription",
    description="Stops renewal. By default the mailboxes work until the paid period ends and are then deleted with "
    "the workspace; with immediately=true they are deleted now. Nothing is refunded: the period was paid in full.",
    openapi_extra=body_of(schemas.CancelRequest),
)
def cancel_subscription(subscription_id: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    immediately = _flag(body, "immediately", required=False)
    with runtime.db.write() as session:
        billing.cancel_subscription(session, runtime, account.id, subscription_id, immediately=immediately)
    return subscription_item(_view(runtime, account.id, subscription_id))


@router.get(
    "/domains/{domain_name}/renewal",
    response_model=schemas.DomainRenewal,
    responses=NOT_FOUND,
    summary="A domain's registration: expiry, auto-renew and renewal price",
)
def get_domain_renewal(domain_name: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        return domain_renewal_body(billing.domain_renewal(session, runtime.settings, runtime.providers, domain))


@router.patch(
    "/domains/{domain_name}/auto_renew",
    response_model=schemas.DomainRenewal,
    responses=NOT_FOUND,
    summary="Turn a domain's auto-renew on or off",
    description="Off: the domain is left to expire (events 7 and 1 days before) and is released after the registrar's grace.",
    openapi_extra=body_of(schemas.AutoRenewRequest),
)
def set_domain_auto_renew(domain_name: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    value = _flag(body, "auto_renew", required=True)
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        billing.set_domain_auto_renew(session, domain, value)
        return domain_renewal_body(billing.domain_renewal(session, runtime.settings, runtime.providers, domain))


@router.delete(
    "/domains/{domain_name}/mailboxes/{mailbox_email}",
    response_model=schemas.Removed,
    responses=NOT_FOUND,
    summary="Remove a mailbox",
    description="Deleted at the host now; its subscription bills one mailbox fewer from the next renewal (nothing is "
    "refunded for the current period). Refused (removal_too_close_to_renewal) within 24 hours of the period end. "
    "Removing the last mailbox ends the subscription.",
)
def remove_mailbox(domain_name: str, mailbox_email: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        mailbox = mailboxes.get_mailbox(session, domain, mailbox_email)
        sub = billing.remove_mailbox(session, runtime, mailbox, field="mailbox_email")
    return _removed(runtime, account.id, sub)


@router.delete(
    "/domains/{domain_name}",
    response_model=schemas.Removed,
    responses=NOT_FOUND,
    summary="Remove a domain",
    description="Its subscription ends now (mailboxes and workspace deleted); the domain is not renewed and its "
    "registration runs out at the registrar. Nothing is refunded. Only a ready domain can be removed.",
)
def remove_domain(domain_name: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        sub = billing.subscription_for_domain(session, domain.id)
        billing.remove_domain(session, runtime, domain, field="domain_name")
    return _removed(runtime, account.id, sub)


def subscription_item(view: SubscriptionView) -> dict[str, Any]:
    sub = view.subscription
    return {
        "subscription_id": sub.id,
        "domain": view.domain_name,
        "provider": sub.provider,
        "status": view.status,
        "billing_cycle": sub.billing_cycle,
        "quantity": view.quantity,
        "price_per_mailbox": view.price_per_mailbox.as_price(),
        "period_start": iso(sub.period_start),
        "period_end": iso(sub.period_end),
        "auto_renew": sub.auto_renew,
        "next_charge": view.next_charge.as_price() if view.next_charge else None,
        "ended": iso(sub.ended_at),
        "end_reason": sub.end_reason,
        "created": iso(sub.created_at),
    }


def _ledger_item(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "created": iso(entry.created_at),
        "kind": entry.kind,
        "amount": Money(entry.amount_minor, entry.currency).decimal,
        "description": entry.description,
        "order_id": entry.order_id,
        "domain_id": entry.domain_id,
        "mailbox_id": entry.mailbox_id,
        "subscription_id": entry.subscription_id,
    }


def domain_renewal_body(view: DomainRenewalView) -> dict[str, Any]:
    return {
        "domain": view.domain.name,
        "status": view.status,
        "expires": iso(view.domain.expires_at),
        "auto_renew": view.domain.auto_renew,
        "renewal_price": view.renewal_price.as_price() if view.renewal_price else None,
        "renews_at": iso(view.renews_at),
    }


def _view(runtime: Runtime, account_id: str, subscription_id: str) -> SubscriptionView:
    with runtime.db.read() as session:
        return billing.get_subscription(session, runtime.settings, runtime.providers, account_id, subscription_id)


def _flag(body: dict[str, Any], name: str, *, required: bool) -> bool:
    issues = FieldIssues()
    value = body.get(name)
    if value is None and required:
        issues.add(name, check.REQUIRED, None)
    elif value is not None and not isinstance(value, bool):
        issues.add(name, "Must be true or false", check.shown(value))
    issues.raise_if_any()
    return bool(value)


def _removed(runtime: Runtime, account_id: str, sub: Any) -> dict[str, Any]:
    """The answer to a removal: the subscription as it now stands, if the item had one."""
    return {"success": True, "subscription": subscription_item(_view(runtime, account_id, sub.id)) if sub else None}
