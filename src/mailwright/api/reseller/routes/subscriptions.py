"""Subscriptions: one per domain workspace, billed monthly; listed with filters and pages."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from mailwright import validation as check
from mailwright.api.reseller.deps import AccountDep, BodyDep, PageDep, RuntimeDep, UserIdDep, find_user
from mailwright.api.reseller.envelope import pagination, respond
from mailwright.api.reseller.errors import FieldProblem
from mailwright.api.reseller.presenters import subscription_body
from mailwright.api.reseller.schemas import (
    CancelSubscriptionRequest,
    Envelope,
    ErrorEnvelope,
    RenewalAction,
    RenewSubscriptionsRequest,
    ResellerSubscription,
    SubscriptionAutoRenewRequest,
    ResellerSubscriptionList,
    body_of,
)
from mailwright.billing import renewals
from mailwright.billing import service as billing
from mailwright.billing.lifecycle import SubscriptionStatus
from mailwright.billing.models import Subscription
from mailwright.clock import iso
from mailwright.domains.models import Domain
from mailwright.domains.names import normalize_domain
from mailwright.errors import FieldIssue, FieldIssues, InvalidFields, NotFound
from mailwright.ids import new_id
from mailwright.money import Money
from mailwright.pagination import Page
from mailwright.wallet import service as wallet
from mailwright.wallet.service import InsufficientFunds

log = logging.getLogger(__name__)

router = APIRouter(prefix="/subscriptions", tags=["Subscriptions (ColdMailReseller-style)"])


@router.get(
    "",
    response_model=Envelope[ResellerSubscriptionList],
    responses={404: {"model": ErrorEnvelope, "description": "No such user (when userId is given)"}},
    summary="All subscriptions, newest first, optionally of one user, status or domain (paginated)",
)
def list_subscriptions(
    account: AccountDep,
    runtime: RuntimeDep,
    page: PageDep,
    user_id: UserIdDep,
    status: Annotated[str | None, Query(description=" | ".join(SubscriptionStatus.ALL))] = None,
    domain: Annotated[str | None, Query(description="A domain name")] = None,
) -> JSONResponse:
    wanted_status = status.upper() if status else None
    if wanted_status and wanted_status not in SubscriptionStatus.ALL:
        raise InvalidFields([FieldIssue("status", "Valid values are " + ", ".join(SubscriptionStatus.ALL), status)])
    with runtime.db.read() as session:
        owners = _domain_owners(session, account.id, user_id and find_user(session, account, user_id).id, domain)
        views = billing.list_subscriptions(session, runtime.settings, runtime.providers, account.id, domain_ids=list(owners))
        views = [v for v in views if wanted_status in (None, v.status)]
    start = page.offset
    found = Page(views[start : start + page.limit], len(views), page)
    data = {
        "subscriptions": [subscription_body(v, owners[v.subscription.domain_id]) for v in found.items],
        "pagination": pagination(found),
    }
    return respond(data, "Subscriptions fetched successfully")


def _domain_owners(session: Any, account_id: str, user_id: str | None, domain: str | None) -> dict[str, str | None]:
    """domain id -> user id of the account's domains the listing may show."""
    statement = sa.select(Domain.id, Domain.user_id).where(Domain.account_id == account_id)
    if user_id:
        statement = statement.where(Domain.user_id == user_id)
    if domain:
        statement = statement.where(Domain.name == (normalize_domain(domain) or domain.strip().lower()))
    return dict(session.execute(statement).all())


@router.post(
    "/renew-subscriptions",
    response_model=Envelope[RenewalAction],
    responses={
        402: {"model": ErrorEnvelope, "description": "The wallet cannot pay for all of them (insufficient_funds): none is renewed"},
        404: {"model": ErrorEnvelope, "description": "No such subscription of yours (subscriptionIds[i] named)"},
    },
    summary="Renew subscriptions now: each is charged its next period from the wallet",
    openapi_extra=body_of(RenewSubscriptionsRequest),
)
def renew_subscriptions(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    ids = _subscription_ids(body)
    with runtime.db.read() as session:
        views = _own_subscriptions(session, runtime, account.id, ids)
        needed = sum((_period_price(runtime, v) for v in views), Money.zero(account.currency))
        balance = wallet.balance(session, account)
    if balance.minor < needed.minor:
        raise InsufficientFunds(balance, needed)
    action_id = new_id()
    results = []
    for view in views:
        period_end = renewals.renew_subscription_now(runtime, account.id, view.id)
        results.append({"subscriptionId": view.id, "periodEnd": iso(period_end)})
    log.info("subscriptions renewed", extra={"action_id": action_id, "subscriptions": ids})
    return respond({"actionId": action_id, "renewed": results}, "Subscriptions renewed successfully")


@router.patch(
    "/auto-renew",
    response_model=Envelope[ResellerSubscription],
    responses={404: {"model": ErrorEnvelope, "description": "No such subscription of yours"}},
    summary="Turn a subscription's auto-renewal on or off",
    openapi_extra=body_of(SubscriptionAutoRenewRequest),
)
def toggle_auto_renew(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    issues = FieldIssues()
    subscription_id = check.text(issues, "subscriptionId", body.get("subscriptionId"), max_length=28)
    value = body.get("autoRenew")
    if not isinstance(value, bool):
        issues.add("autoRenew", check.REQUIRED if value is None else "Must be true or false", check.shown(value))
    issues.raise_if_any()
    assert subscription_id is not None
    with runtime.db.write() as session:
        _own_subscriptions(session, runtime, account.id, [subscription_id], field="subscriptionId")
        billing.set_subscription_auto_renew(session, account.id, subscription_id, bool(value))
    with runtime.db.read() as session:
        data = _one(session, runtime, account.id, subscription_id)
    return respond(data, "Auto-renewal enabled successfully" if value else "Auto-renewal disabled successfully")


@router.post(
    "/cancel",
    response_model=Envelope[ResellerSubscription],
    responses={404: {"model": ErrorEnvelope, "description": "No running subscription of yours by that id or domain"}},
    summary="Cancel a subscription now (by subscriptionId or domain): its mailboxes and workspace are deleted",
    openapi_extra=body_of(CancelSubscriptionRequest),
)
def cancel(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    subscription_id, domain = body.get("subscriptionId"), body.get("domain")
    if bool(subscription_id) == bool(domain):
        message = "Send either subscriptionId or domain" if not subscription_id else "Send subscriptionId or domain, not both"
        raise InvalidFields([FieldIssue("subscriptionId", message), FieldIssue("domain", message)])
    with runtime.db.write() as session:
        if domain:
            subscription_id = _running_for_domain(session, account.id, domain)
        else:
            _own_subscriptions(session, runtime, account.id, [subscription_id], field="subscriptionId")
        billing.cancel_subscription(session, runtime, account.id, subscription_id, immediately=True)
    with runtime.db.read() as session:
        data = _one(session, runtime, account.id, subscription_id)
    return respond(data, "Subscription cancelled successfully")


def _subscription_ids(body: dict[str, Any]) -> list[str]:
    value = body.get("subscriptionIds")
    if not isinstance(value, list) or not value:
        raise InvalidFields([FieldIssue("subscriptionIds", check.REQUIRED if value in (None, []) else "Must be an array of subscription ids", check.shown(value))])
    bad = [FieldIssue(f"subscriptionIds[{i}]", "Must be a string", check.shown(v)) for i, v in enumerate(value) if not isinstance(v, str) or not v]
    if bad:
        raise InvalidFields(bad)
    return list(dict.fromkeys(value))


def _own_subscriptions(session: Any, runtime: Any, account_id: str, ids: list[str], field: str = "subscriptionIds") -> list[Any]:
    views, missing = [], []
    for i, subscription_id in enumerate(ids):
        try:
            views.append(billing.get_subscription(session, runtime.settings, runtime.providers, account_id, subscription_id))
        except NotFound:
            missing.append(FieldIssue(field if field == "subscriptionId" else f"{field}[{i}]", "No such subscription of yours"))
    if missing:
        raise FieldProblem(404, "Subscription not found", missing)
    return views


def _period_price(runtime: Any, view: Any) -> Money:
    return billing.mailbox_price(runtime.providers, view.subscription.provider, view.subscription.currency) * view.quantity


def _running_for_domain(session: Any, account_id: str, domain: Any) -> str:
    name = normalize_domain(domain) if isinstance(domain, str) else None
    row = session.scalar(
        sa.select(Subscription.id)
        .join(Domain, Domain.id == Subscription.domain_id)
        .where(Subscription.account_id == account_id, Domain.name == name, Subscription.domain_claim.is_not(None))
    ) if name else None
    if row is None:
        raise FieldProblem(404, "Subscription not found", [FieldIssue("domain", "No running subscription of yours on this domain")])
    return row


def _one(session: Any, runtime: Any, account_id: str, subscription_id: str) -> dict[str, Any]:
    view = billing.get_subscription(session, runtime.settings, runtime.providers, account_id, subscription_id)
    owner = session.scalar(sa.select(Domain.user_id).where(Domain.id == view.subscription.domain_id))
    return subscription_body(view, owner)
