"""The wallet is a ledger: one row per credit, debit or refund; the balance is their sum.

A debit locks the account row first (SELECT ... FOR NO KEY UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE already serialises writers), so concurrent orders are checked one after the
other and the balance can never go below zero.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.accounts.models import Account
from mailwright.errors import NotFound, RuleViolation
from mailwright.money import Money
from mailwright.wallet.models import LedgerEntry


class InsufficientFunds(RuleViolation):
    def __init__(self, balance: Money, required: Money, what: str = "the order") -> None:
        super().__init__(
            "insufficient_funds",
            f"Insufficient funds: {what} costs {required.decimal} {required.currency} "
            f"and the balance is {balance.decimal} {balance.currency}",
        )
        self.balance = balance
        self.required = required


class PaymentFailed(RuleViolation):
    def __init__(self, reason: str) -> None:
        super().__init__("payment_failed", f"Payment failed: {reason}")


def balance(session: Session, account: Account) -> Money:
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.account_id == account.id
        )
    )
    return Money(int(total or 0), account.currency)


def lock_account(session: Session, account_id: str) -> Account:
    # FOR NO KEY UPDATE, not FOR UPDATE: rows inserted earlier in the same transaction that
    # reference the account (the order) hold FOR KEY SHARE on it, which FOR UPDATE would have
    # to upgrade past a concurrent transaction's identical share -- a deadlock.
    account = session.scalar(sa.select(Account).where(Account.id == account_id).with_for_update(key_share=True))
    if account is None:
        raise NotFound("account")
    return account


def credit(session: Session, account: Account, amount: Money, description: str) -> LedgerEntry:
    if amount.minor <= 0:
        raise ValueError("a credit must be positive")
    return _record(session, account, amount.minor, "credit", description)


def debit(
    session: Session,
    account_id: str,
    amount: Money,
    description: str,
    *,
    order_id: str | None = None,
    domain_id: str | None = None,
    subscription_id: str | None = None,
    dedupe_key: str | None = None,
) -> LedgerEntry:
    """Take `amount` from the wallet or raise InsufficientFunds / PaymentFailed; nothing in between.
    A `dedupe_key` (unique in the ledger) makes a second identical charge fail instead of happen."""
    account = lock_account(session, account_id)
    if account.wallet_frozen:
        raise PaymentFailed("the wallet is frozen; contact the operator")
    current = balance(session, account)
    if current.minor < amount.minor:
        raise InsufficientFunds(current, amount)
    return _record(
        session,
        account,
        -amount.minor,
        "debit",
        description,
        order_id=order_id,
        domain_id=domain_id,
        subscription_id=subscription_id,
        dedupe_key=dedupe_key,
    )


def refund(
    session: Session,
    account_id: str,
    amount: Money,
    description: str,
    *,
    dedupe_key: str,
    order_id: str | None = None,
    domain_id: str | None = None,
    mailbox_id: str | None = None,
) -> LedgerEntry | None:
    """Give `amount` back once: a second call with the same dedupe_key records nothing."""
    existing = session.scalar(sa.select(LedgerEntry).where(LedgerEntry.dedupe_key == dedupe_key))
    if existing is not None:
        return None
    account = lock_account(session, account_id)
    return _record(
        session,
        account,
        amount.minor,
        "refund",
        description,
        order_id=order_id,
        domain_id=domain_id,
        mailbox_id=mailbox_id,
        dedupe_key=dedupe_key,
    )


def recent_entries(session: Session, account_id: str, limit: int = 20) -> list[LedgerEntry]:
    return list(
        session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        )
    )


def recent_refunds(session: Session, limit: int = 50) -> list[LedgerEntry]:
    """Every account's latest refunds, newest first (the operator's view of what failed and was paid back)."""
    return list(
        session.scalars(
            sa.select(LedgerEntry)
            .where(LedgerEntry.kind == "refund")
            .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
            .limit(limit)
        )
    )


def entries_page(session: Session, account_id: str, *, offset: int, limit: int) -> tuple[list[LedgerEntry], int]:
    """One page of the ledger, newest first, and how many entries there are in all."""
    total = session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.account_id == account_id))
    rows = session.scalars(
        sa.select(LedgerEntry)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


def _record(session: Session, account: Account, amount_minor: int, kind: str, description: str, **refs: str | None) -> LedgerEntry:
    entry = LedgerEntry(
        account_id=account.id,
        amount_minor=amount_minor,
        currency=account.currency,
        kind=kind,
        description=description[:300],
        **refs,
    )
    session.add(entry)
    session.flush()
    return entry
