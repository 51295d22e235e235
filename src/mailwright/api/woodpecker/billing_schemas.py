"""Shapes of the Woodpecker-style billing extensions (wallet, subscriptions, renewals), in the
family's style: snake_case fields, decimal strings for money, RFC 3339 UTC times."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from mailwright.api.woodpecker.schemas import Price, Provider

SubscriptionStatusName = Literal["ACTIVE", "PAST_DUE", "SUSPENDED", "CANCELLED", "EXPIRED"]
RegistrationStatusName = Literal["PENDING", "ACTIVE", "EXPIRED", "RELEASED", "FAILED"]


class Pagination(BaseModel):
    page: int = Field(description="This page, from 1")
    per_page: int
    total: int = Field(description="Entries in all pages")
    total_pages: int


class LedgerItem(BaseModel):
    id: str
    created: str
    kind: Literal["credit", "debit", "refund"]
    amount: str = Field(description="Signed: credits and refunds positive, debits negative", examples=["-12.00"])
    description: str = Field(description="What the movement pays for, e.g. the subscription period renewed")
    order_id: str | None
    domain_id: str | None
    mailbox_id: str | None
    subscription_id: str | None


class WalletResponse(BaseModel):
    balance: str = Field(examples=["487.00"], description="Sum of the ledger")
    currency: str = Field(examples=["USD"])
    entries: list[LedgerItem] = Field(description="The ledger, newest first")
    pagination: Pagination


class SubscriptionItem(BaseModel):
    subscription_id: str
    domain: str
    provider: Provider
    status: SubscriptionStatusName = Field(
        description="Computed now: ACTIVE (paid), PAST_DUE (renewal unpaid, in grace, retried daily), "
        "SUSPENDED (mailboxes suspended until paid), CANCELLED (ended by you), EXPIRED (ended on its own)"
    )
    billing_cycle: Literal["MONTHLY"]
    quantity: int = Field(description="Mailboxes billed (not failed or deleted)")
    price_per_mailbox: Price = Field(description="Price per mailbox of the current period")
    period_start: str
    period_end: str = Field(description="End of the paid period: when the next renewal is due")
    auto_renew: bool
    next_charge: Price | None = Field(description="What the next renewal costs at today's prices; null if it will not renew")
    ended: str | None
    end_reason: str | None = Field(
        description="cancelled, auto_renew_off, unpaid, last_mailbox_removed, no_mailboxes, domain_removed, domain_released"
    )
    created: str


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionItem]


class SubscriptionQuote(BaseModel):
    subscription_id: str
    due: str = Field(description="When the renewal will be charged (the period end)")
    will_renew: bool = Field(description="False when auto-renew is off, it was cancelled, or it has no mailboxes")
    quantity: int
    price_per_mailbox: Price = Field(description="Today's price book price per mailbox, which the renewal will charge")
    total: Price


class AutoRenewRequest(BaseModel):
    auto_renew: bool


class CancelRequest(BaseModel):
    immediately: bool = Field(
        False,
        description="false (default): mailboxes work until the paid period ends, then they and the workspace are "
        "deleted; true: deleted now. Nothing is refunded either way.",
    )


class DomainRenewal(BaseModel):
    domain: str
    status: RegistrationStatusName = Field(
        description="Computed now: PENDING (being registered), ACTIVE, EXPIRED (past expiry, within the registrar's "
        "grace; can still be renewed), RELEASED (removed or lapsed), FAILED"
    )
    expires: str | None
    auto_renew: bool
    renewal_price: Price | None = Field(description="One year's renewal at today's price")
    renews_at: str | None = Field(description="When the wallet will be charged; null when it will not renew automatically")


class Removed(BaseModel):
    success: bool = True
    subscription: SubscriptionItem | None = Field(description="The domain's subscription after the removal")
