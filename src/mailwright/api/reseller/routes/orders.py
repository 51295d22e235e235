"""Orders of the ColdMailReseller-style face: create (multipart, seed 004, or JSON), order
mailboxes, process, details and status.

`?userId=` names the user the order is for. On creating an order it may be empty or absent (the
family's curl sample sends `?userId=`): the order is then the reseller's own, like an order placed
through the Woodpecker-style face. Reading and processing find the order by its id among the
reseller's orders; a userId given there must be the order's user."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.accounts.models import Account
from mailwright.api.reseller import order_requests as parse
from mailwright.api import openapi
from mailwright.api.deps import JSON, MULTIPART
from mailwright.api.reseller.deps import AccountDep, RuntimeDep, UserIdDep, body_media_type, json_body, lookup_given_user, user_id_in
from mailwright.api.reseller.envelope import respond
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.order_presenters import order_details, order_status
from mailwright.api.reseller.order_schemas import (
    CreateOrderJson,
    CreateOrderMultipart,
    OrderCreated,
    OrderDetails,
    OrderMailboxesRequest,
    OrderProcessed,
    OrderStatusBody,
)
from mailwright.api.reseller.schemas import Envelope, ErrorEnvelope, body_of
from mailwright.billing.models import Subscription
from mailwright.domains.models import Domain
from mailwright.errors import FieldIssues, NotFound
from mailwright.exports import service as exports
from mailwright.orders import service as orders
from mailwright.orders.models import Order
from mailwright.orders.requests import (
    DomainOrderRequest,
    MailboxOrderRequest,
    OrderOptions,
    OrderPlan,
)
from mailwright.owners import service as owners
from mailwright.runtime import Runtime
from mailwright.users.models import ResellerUser

router = APIRouter(prefix="/orders", tags=["Orders (ColdMailReseller-style)"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorEnvelope, "description": "No such order (or user) of yours"}}
REFUSED: dict[int | str, dict[str, Any]] = {
    402: {"model": ErrorEnvelope, "description": "Insufficient funds (data.code insufficient_funds); the order stays unprocessed"},
    422: {"model": ErrorEnvelope, "description": "A business rule forbids it: a domain not available or without a price, "
          "a name taken meanwhile, no registrant contact (domain_owner_required), order expired, ..."},
}
CREATED_MESSAGE = "Order created successfully"


def _create_body(model: type[BaseModel]) -> dict[str, Any]:
    return openapi.request_body(ErrorEnvelope.__name__, {MULTIPART: CreateOrderMultipart, JSON: model})


@router.post(
    "",
    status_code=201,
    response_model=Envelope[OrderCreated],
    responses=NOT_FOUND | REFUSED,
    summary="Create an order of domains and mailboxes (multipart form, or JSON)",
    description=(
        "Multipart (as documented): form fields `domains`, `mailboxes`, `google` hold JSON; one file field per "
        "mailbox named `username@domain` carries its profile picture (PNG or JPEG, at most 5 MB; an empty part "
        "is no picture). JSON: the same fields as JSON values; a mailbox may carry `profilePicture`, an https URL "
        "fetched while provisioning. Empty strings mean \"not given\". `confirm=true` creates and processes in one "
        "step (402 and nothing created when the balance is short); otherwise the order waits, priced, for "
        "POST /orders/{orderId}/process (it holds no domain name meanwhile, and expires after 72 hours by default). "
        "An empty or absent `userId` orders for your own account.\n\n"
        "Registrant of the domains, the first that exists: the user's complete contact (address, city, state, country, "
        "zipCode, phone; see PUT /users), your account's domain owner, the operator's default registrant; with none, "
        "422 `domain_owner_required`.\n\n"
        "Every problem is answered at once in `data.errors`, in request order: malformed fields (400 `invalid_fields`) "
        "and each domain that cannot be bought (422 `domain_unavailable`, `domain_price_unavailable`). When they come "
        "together, the first problem in request order gives the status, `data.code` and `message`."
    ),
    openapi_extra=_create_body(CreateOrderJson),
)
async def create_order(request: Request, account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep) -> JSONResponse:
    issues = RequestProblems()
    if body_media_type(request, (MULTIPART, JSON)) == MULTIPART:
        form = await request.form(max_files=runtime.settings.max_mailboxes_per_order + 10, max_part_size=2 * 1024 * 1024)
        values: dict[str, Any] = {
            name: parse.json_field(issues, name, form.get(name)) if name in ("domains", "mailboxes", "google") else form.get(name)
            for name in (
                "domains", "mailboxes", "google", "billingCycle", "confirm", "serviceProvider", "microsoftOauthRoute", "autoRenew", "exportTo"
            )
        }
        order_form = _order_form(issues, runtime, values, allow_url=False)
        addresses = [m.email for m in order_form.mailboxes]
        pictures = await parse.uploaded_pictures(issues, form, addresses, runtime.decode_budget)
        order_form.mailboxes = [
            dataclasses.replace(m, picture=pictures[m.email][0]) if m.email in pictures else m for m in order_form.mailboxes
        ]
    else:
        body = await json_body(request)
        user_id = user_id_in(user_id, body)
        order_form = _order_form(issues, runtime, body, allow_url=True)
        values = body

    def plan(session: Session, user: ResellerUser | None) -> OrderPlan:
        domain_request = DomainOrderRequest(
            order_form.provider, order_form.domains, order_form.mailboxes, provider_field="serviceProvider"
        )
        export_to = exports.check_export_to(session, account.id, user.id if user else None, values.get("exportTo"), issues)
        planned = orders.plan_domain_order(
            session, runtime.settings, runtime.providers, account, domain_request, issues,
            options=order_form.options, registrant=_registrant(user),
        )
        planned.options = dataclasses.replace(planned.options, export_to=export_to)
        return planned

    return _create(runtime, account, user_id, issues, order_form.confirm, plan)


@router.post(
    "/mailboxes",
    status_code=201,
    response_model=Envelope[OrderCreated],
    responses=NOT_FOUND | REFUSED,
    summary="Order mailboxes on a domain you already have (JSON)",
    description=(
        "`subscriptionId` XOR `domainId` names the domain. On an active subscription the mailboxes join it; "
        "on an ended (cancelled) one a new subscription is opened for its domain. "
        "`confirm=true` processes at once; insufficient funds then fail the order creation (402)."
    ),
    openapi_extra=body_of(OrderMailboxesRequest),
)
async def order_mailboxes(request: Request, account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep) -> JSONResponse:
    body = await json_body(request)
    user_id = user_id_in(user_id, body)
    issues = RequestProblems()
    domain_id, subscription_id = body.get("domainId"), body.get("subscriptionId")
    if parse.not_given(domain_id) and parse.not_given(subscription_id):
        issues.add("domainId", "Either domainId or subscriptionId is required", None)
    elif not parse.not_given(domain_id) and not parse.not_given(subscription_id):
        issues.add("subscriptionId", "Give either domainId or subscriptionId, not both", check.shown(subscription_id))
    for name, value in (("domainId", domain_id), ("subscriptionId", subscription_id)):
        if not parse.not_given(value) and not isinstance(value, str):
            issues.add(name, "Must be a string", check.shown(value))
    if issues:
        domain_id = subscription_id = None
    confirm = parse.flag(issues, "confirm", body.get("confirm"))
    auto_renew = parse.flag(issues, "autoRenew", body.get("autoRenew"), default=None)
    raw = body.get("mailboxes")
    if raw is None:
        issues.add("mailboxes", check.REQUIRED, None)

    def plan(session: Session, user: ResellerUser | None) -> OrderPlan:
        if isinstance(subscription_id, str) and subscription_id:
            domain = _subscription_domain(session, account, user, subscription_id, issues)
        else:
            domain = _domain(session, account, user, domain_id, issues) if isinstance(domain_id, str) and domain_id else None
        found = parse.mailbox_items(issues, "mailboxes", domain.name, raw, allow_url=True) if domain and raw is not None else []
        if domain and raw is not None and not found and not issues:
            issues.add("mailboxes", "Must contain at least one mailbox", "[]")
        request_ = MailboxOrderRequest([m for m, _ in found])
        owner = domain.user_id if domain else (user.id if user else None)
        export_to = exports.check_export_to(session, account.id, owner, body.get("exportTo"), issues)
        planned = orders.plan_mailbox_order(
            session, runtime.settings, runtime.providers, account, request_, issues, options=OrderOptions(auto_renew=auto_renew)
        )
        planned.options = dataclasses.replace(planned.options, user_id=domain.user_id if domain else None, export_to=export_to)
        return planned

    return _create(runtime, account, user_id, issues, confirm, plan, user_from_plan=True)


@router.post(
    "/{orderId}/process",
    response_model=Envelope[OrderProcessed],
    responses=NOT_FOUND | REFUSED,
    summary="Process an order: charge the wallet and start provisioning",
    description="Processing an order that was already processed changes nothing and says so (`processedNow: false`).",
)
def process_order(
    orderId: str,  # noqa: N803 - the family's name for the path parameter
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
) -> JSONResponse:
    with runtime.db.write() as session:
        _order(session, account, orderId, user_id)
        order, now = orders.process_order(session, runtime, account.id, orderId)
        data = {"orderId": order.id, "orderStatus": order_status(runtime.settings, order), "processedNow": now}
    return respond(data, "Order processed successfully" if now else "Order was already processed; nothing changed")


@router.get(
    "/{orderId}",
    response_model=Envelope[OrderDetails],
    responses=NOT_FOUND,
    summary="Get an order's details",
)
def get_order(
    orderId: str,  # noqa: N803 - the family's name for the path parameter
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
) -> JSONResponse:
    with runtime.db.read() as session:
        data = order_details(session, runtime.settings, _order(session, account, orderId, user_id))
    return respond(data, "Order fetched successfully")


@router.get(
    "/{orderId}/status",
    response_model=Envelope[OrderStatusBody],
    responses=NOT_FOUND,
    summary="Get an order's status",
    description=(
        "orderStatus: CREATED (priced, waiting to be processed), EXPIRED (never processed in time), PROCESSING, "
        "COMPLETED, PARTIALLY_COMPLETED (some items failed and were refunded), FAILED (all refunded)."
    ),
)
def get_order_status(
    orderId: str,  # noqa: N803 - the family's name for the path parameter
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
) -> JSONResponse:
    with runtime.db.read() as session:
        order = _order(session, account, orderId, user_id)
        data = {"orderId": order.id, "orderStatus": order_status(runtime.settings, order)}
    return respond(data, "Order status fetched successfully")


# ---------------------------------------------------------------- helpers


def _order_form(issues: FieldIssues, runtime: Runtime, values: dict[str, Any], *, allow_url: bool) -> parse.OrderForm:
    settings = runtime.settings
    provider = parse.service_provider(issues, values.get("serviceProvider"), runtime.providers.mailbox_provider_names)
    domains = parse.domains_list(issues, values.get("domains"), settings.max_domains_per_order)
    found = parse.mailboxes_map(issues, values.get("mailboxes"), domains, settings.max_mailboxes_per_order, allow_url=allow_url)
    options = OrderOptions(
        auto_renew=parse.flag(issues, "autoRenew", values.get("autoRenew"), default=None),
        billing_cycle=parse.billing_cycle(issues, values.get("billingCycle")),
        export_settings=parse.export_settings(issues, values.get("microsoftOauthRoute"), values.get("google")),
    )
    confirm = parse.flag(issues, "confirm", values.get("confirm"))
    return parse.OrderForm(provider or "GOOGLE", domains, [m for m, _ in found], options, confirm)


def _create(
    runtime: Runtime,
    account: Account,
    user_id: str | None,
    issues: RequestProblems,
    confirm: bool,
    plan: Callable[[Session, ResellerUser | None], OrderPlan],
    *,
    user_from_plan: bool = False,
) -> JSONResponse:
    """Plan (reads; an unknown user is one more of the problems the plan answers with), then
    record, and with confirm also process, in one transaction."""
    with runtime.db.read() as session:
        user = lookup_given_user(session, account, user_id, issues)
        planned = plan(session, user)
    if not user_from_plan:
        planned.options = dataclasses.replace(planned.options, user_id=user.id if user else None)
    with runtime.db.write() as session:
        order = orders.place_order(session, runtime, planned) if confirm else orders.create_order(session, planned)
        data = {"orderId": order.id}
    return respond(data, CREATED_MESSAGE, 201)


def _registrant(user: ResellerUser | None) -> owners.RegistrantChoice:
    """A user with a complete contact registers their own domains; otherwise the reseller's domain
    owner does, and without one the operator's default registrant."""
    return owners.RegistrantChoice(owners.complete_contact(user) if user else None, operator_default=True)


def _domain(session: Session, account: Account, user: ResellerUser | None, domain_id: str, issues: RequestProblems) -> Domain | None:
    domain = session.get(Domain, domain_id)
    if domain is None or domain.account_id != account.id or domain.name_claim is None or (user and domain.user_id != user.id):
        issues.missing("Domain not found", "domainId", "No such domain of yours")
        return None
    return domain


def _subscription_domain(
    session: Session, account: Account, user: ResellerUser | None, subscription_id: str, issues: RequestProblems
) -> Domain | None:
    """The domain of one of the reseller's subscriptions, running or ended, while the domain is held."""
    subscription = session.get(Subscription, subscription_id)
    domain = session.get(Domain, subscription.domain_id) if subscription and subscription.account_id == account.id else None
    if domain is None or domain.name_claim is None or (user and domain.user_id != user.id):
        issues.missing("Subscription not found", "subscriptionId", "No such subscription of yours")
        return None
    return domain


def _order(session: Session, account: Account, order_id: str, user_id: str | None) -> Order:
    """The reseller's order (of the user, when userId is given); every unknown one is named."""
    problems = RequestProblems()
    try:
        order: Order | None = orders.get_order(session, account.id, order_id)
    except NotFound:
        order = None
        problems.missing("Order not found", "orderId", "No such order of yours")
    user = lookup_given_user(session, account, user_id, problems)
    if order is not None and user is not None and order.user_id != user.id:
        problems.missing("Order not found", "orderId", "No such order of this user")
    problems.raise_if_any()
    assert order is not None
    return order
