"""Subscriptions: one per domain workspace, billed monthly; listed with filters and pages.

A `userId` (query or JSON body) is optional on every call: given, the call is about that user's
subscriptions only, and another user's subscription is not found (404), as on every user-scoped call."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from mailwright import validation as check
from mailwright.api.reseller.deps import (
    AccountDep,
    BodyDep,
    PageDep,
    RuntimeDep,
    UserIdDep,
    find_user,
    lookup_given_user,
    optional_id,
    required_id,
    user_id_in,
)
from mailwright.api.reseller.envelope import envelope, pagination, respond
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.presenters import subscription_body
from mailwright.api.reseller.renewals import IdempotencyKeyDep, action_body, find_action, renew_once
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
from mailwright.billing import renew_now, repository
from mailwright.billing import service as billing
from mailwright.billing.lifecycle import SubscriptionStatus
from mailwright.billing.models import RenewalKind, Subscription
from mailwright.domains.models import Domain
from mailwright.domains.names import normalize_domain
from mailwright.errors import FieldIssue, FieldIssues, InvalidFields, NotFound
from mailwright.orders import idempotency

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
        found = billing.subscriptions_page(
            session, runtime.settings, runtime.providers, account.id, page,
            user_id=user_id and find_user(session, account, user_id).id,
            domain_name=(normalize_domain(domain) or domain.strip().lower()) if domain else None,
            status=wanted_status,
        )
        owners = repository.domain_users(session, [v.subscription.domain_id for v in found.items])
    data = {
        "subscriptions": [subscription_body(v, owners.get(v.subscription.domain_id)) for v in found.items],
        "pagination": pagination(found),
    }
    return respond(data, "Subscriptions fetched successfully")


@router.post(
    "/renew-subscriptions",
    response_model=Envelope[RenewalAction],
    responses={
        402: {"model": ErrorEnvelope, "description": "The wallet cannot pay for all of them (insufficient_funds): none is renewed"},
        404: {"model": ErrorEnvelope, "description": "No such subscription of yours, of the user when userId is given (subscriptionIds[i] named)"},
        409: {"model": ErrorEnvelope, "description": "One was renewed or changed meanwhile (renewal_conflict): none is renewed"},
        422: {"model": ErrorEnvelope, "description": "One cannot be renewed (subscription_ended, subscription_empty; "
              "subscriptionIds[i] named): none is renewed"},
    },
    summary="Renew subscriptions now, all or none: each is charged its next period from the wallet",
    openapi_extra=body_of(RenewSubscriptionsRequest),
)
def renew_subscriptions(
    account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep, idempotency_key: IdempotencyKeyDep = None
) -> JSONResponse:
    items = _subscription_items(body)
    request = idempotency.KeyedRequest.of(
        account.id, idempotency_key, "reseller/subscriptions/renew-subscriptions", {"userId": user_id, "body": body}
    )

    def renew(session: Any) -> dict[str, Any]:
        _own_subscriptions(session, runtime, account, user_id_in(user_id, body), items, RequestProblems())
        action = renew_now.renew_subscriptions(session, runtime, account.id, items)
        log.info("subscriptions renewed", extra={"action_id": action.id})
        return envelope(200, "Subscriptions renewed successfully", action_body(action))

    return renew_once(runtime, request, renew)


@router.get(
    "/renew-subscriptions/{actionId}",
    response_model=Envelope[RenewalAction],
    responses={404: {"model": ErrorEnvelope, "description": "No such renewal of subscriptions of yours (of the user, when userId is given; actionId named)"}},
    summary="A renewal of subscriptions made earlier: what was charged and each new period end",
)
def renewal_action(
    account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, action_id: Annotated[str, Path(alias="actionId")]
) -> JSONResponse:
    with runtime.db.read() as session:
        action = find_action(session, account, user_id, action_id, RenewalKind.SUBSCRIPTIONS)
        return respond(action_body(action), "Renewal fetched successfully")


@router.patch(
    "/auto-renew",
    response_model=Envelope[ResellerSubscription],
    responses={404: {"model": ErrorEnvelope, "description": "No such subscription of yours (of the user, when userId is given), or no such user"}},
    summary="Turn a subscription's auto-renewal on or off",
    openapi_extra=body_of(SubscriptionAutoRenewRequest),
)
def toggle_auto_renew(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    problems = RequestProblems()
    subscription_id = required_id(problems, "subscriptionId", body.get("subscriptionId"))
    value = body.get("autoRenew")
    if not isinstance(value, bool):
        problems.add("autoRenew", check.REQUIRED if value is None else "Must be true or false", check.shown(value))
    with runtime.db.write() as session:
        items = [("subscriptionId", subscription_id)] if subscription_id else []
        _own_subscriptions(session, runtime, account, user_id_in(user_id, body), items, problems)
        assert subscription_id is not None
        billing.set_subscription_auto_renew(session, account.id, subscription_id, bool(value), field="subscriptionId")
    with runtime.db.read() as session:
        data = _one(session, runtime, account.id, subscription_id)
    return respond(data, "Auto-renewal enabled successfully" if value else "Auto-renewal disabled successfully")


@router.post(
    "/cancel",
    response_model=Envelope[ResellerSubscription],
    responses={404: {"model": ErrorEnvelope, "description": "No running subscription of yours (of the user, when userId is given) "
                     "by that id or domain, or no such user"}},
    summary="Cancel a subscription now (by subscriptionId or domain): its mailboxes and workspace are deleted",
    openapi_extra=body_of(CancelSubscriptionRequest),
)
def cancel(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    issues = FieldIssues()
    subscription_id = optional_id(issues, "subscriptionId", body.get("subscriptionId"))
    domain = optional_id(issues, "domain", body.get("domain"))
    issues.raise_if_any()
    if (subscription_id is None) == (domain is None):
        message = "Send either subscriptionId or domain" if subscription_id is None else "Send subscriptionId or domain, not both"
        raise InvalidFields([FieldIssue("subscriptionId", message), FieldIssue("domain", message)])
    problems = RequestProblems()
    with runtime.db.write() as session:
        if domain is not None:
            user = lookup_given_user(session, account, user_id_in(user_id, body), problems)
            subscription_id = _running_for_domain(session, account.id, user, domain, problems)
        else:
            items = [("subscriptionId", subscription_id)] if subscription_id else []
            _own_subscriptions(session, runtime, account, user_id_in(user_id, body), items, problems)
        problems.raise_if_any()
        assert subscription_id is not None
        billing.cancel_subscription(session, runtime, account.id, subscription_id, immediately=True, field="subscriptionId")
    with runtime.db.read() as session:
        data = _one(session, runtime, account.id, subscription_id)
    return respond(data, "Subscription cancelled successfully")


def _subscription_items(body: dict[str, Any]) -> list[renew_now.Item]:
    """(field, id) of each subscription asked for; a repeated id counts once, named where first given."""
    value = body.get("subscriptionIds")
    if not isinstance(value, list) or not value:
        raise InvalidFields([FieldIssue("subscriptionIds", check.REQUIRED if value in (None, []) else "Must be an array of subscription ids", check.shown(value))])
    bad = [FieldIssue(f"subscriptionIds[{i}]", "Must be a string", check.shown(v)) for i, v in enumerate(value) if not isinstance(v, str) or not v]
    if bad:
        raise InvalidFields(bad)
    first = {sub_id: i for i, sub_id in reversed(list(enumerate(value)))}
    return [(f"subscriptionIds[{i}]", sub_id) for sub_id, i in sorted(first.items(), key=lambda pair: pair[1])]


def _own_subscriptions(
    session: Any, runtime: Any, account: Any, user_id: Any, items: list[renew_now.Item], problems: RequestProblems
) -> list[Any]:
    """The reseller's subscriptions of these (field, id) pairs, only the user's when `user_id` is
    given, once every problem with the request (`problems` may already hold some) is answered:
    each unknown one is named (404 when nothing else is wrong)."""
    user = lookup_given_user(session, account, user_id, problems)
    found = []
    for field, subscription_id in items:
        try:
            found.append((field, billing.get_subscription(session, runtime.settings, runtime.providers, account.id, subscription_id)))
        except NotFound:
            problems.missing("Subscription not found", field, "No such subscription of yours")
    if user is not None:
        holders = repository.domain_users(session, [view.subscription.domain_id for _, view in found])
        for field, view in found:
            if holders.get(view.subscription.domain_id) != user.id:
                problems.missing("Subscription not found", field, "No such subscription of this user")
    problems.raise_if_any()
    return [view for _, view in found]


def _running_for_domain(session: Any, account_id: str, user: Any, domain: Any, problems: RequestProblems) -> str | None:
    """The running subscription on the reseller's (the user's, when given) domain of that name."""
    if not isinstance(domain, str):
        problems.add("domain", "Must be a domain name", check.shown(domain))
        return None
    name = normalize_domain(domain)
    query = (
        sa.select(Subscription.id)
        .join(Domain, Domain.id == Subscription.domain_id)
        .where(Subscription.account_id == account_id, Domain.name == name, Subscription.domain_claim.is_not(None))
    )
    if user is not None:
        query = query.where(Domain.user_id == user.id)
    row = session.scalar(query) if name else None
    if row is None:
        issue = "No running subscription of this user on this domain" if user else "No running subscription of yours on this domain"
        problems.missing("Subscription not found", "domain", issue)
    return row


def _one(session: Any, runtime: Any, account_id: str, subscription_id: str) -> dict[str, Any]:
    view = billing.get_subscription(session, runtime.settings, runtime.providers, account_id, subscription_id)
    owner = session.scalar(sa.select(Domain.user_id).where(Domain.id == view.subscription.domain_id))
    return subscription_body(view, owner)
