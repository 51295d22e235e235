"""Woodpecker-style billing extensions: the wallet and its ledger, subscriptions, renewal
quotes, auto-renew, cancellation and removal. Same key, errors and style as routes.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from mailwright.api.woodpecker import billing_schemas as schemas
from mailwright.api.woodpecker.routes import ERRORS, AccountDep, RuntimeDep
from mailwright.billing import service as billing
from mailwright.billing.service import SubscriptionView
from mailwright.clock import iso
from mailwright.money import Money
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry

MAX_PER_PAGE = 200

router = APIRouter(prefix="/rest/v2", tags=["Billing (Mailwright extension)"], responses=ERRORS)


@router.get("/wallet", response_model=schemas.WalletResponse, summary="Wallet balance and ledger")
def get_wallet(
    account: AccountDep,
    runtime: RuntimeDep,
    page: Annotated[int, Query(ge=1, description="Page of the ledger, from 1")] = 1,
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
