"""The Woodpecker-style domains API (/rest/v2/domains...), over the core services.

Thin on purpose: parse, authenticate, call a service, shape the answer."""

from __future__ import annotations

import dataclasses

from typing import Annotated, Any, Callable, get_args

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.accounts.models import Account
from mailwright.api import openapi, placing
from mailwright.api.deps import JSON, account_for_key, get_runtime, json_object
from mailwright.api.errors import HttpProblem
from mailwright.api.woodpecker import schemas
from mailwright.api.woodpecker.presenters import (
    domain_detail,
    domain_item,
    mailbox_detail,
    mailbox_item,
    order_status,
    owner_body,
)
from mailwright.catalog import service as catalog
from mailwright.dns import host_dkim
from mailwright.dns import verify as dns_verify
from mailwright.domains import service as domains
from mailwright.domains.names import normalize_domain
from mailwright.exports import service as exports
from mailwright.errors import FieldIssues
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.pictures import PictureRejected, check_picture, decode_base64
from mailwright.orders import service as orders
from mailwright.orders.requests import DomainOrderRequest, MailboxOrderRequest, OrderPlan, RequestedDomain, RequestedMailbox
from mailwright.owners import service as owners
from mailwright.runtime import Runtime

API_KEY = APIKeyHeader(
    name="x-api-key", scheme_name="WoodpeckerApiKey", auto_error=False, description="Your Mailwright API key"
)
MAX_AVAILABILITY_DOMAINS = 50

ERRORS: dict[int | str, dict[str, Any]] = {
    400: openapi.answer(schemas.ProblemBody, "Invalid request or malformed request syntax"),
    401: openapi.answer(schemas.ProblemBody, "Missing, unknown or revoked API key"),
    413: openapi.answer(schemas.ProblemBody, "Request body over the size limit"),
    422: openapi.answer(schemas.ValidationErrorBody, "Invalid fields, or a business rule forbids the request"),
    429: openapi.answer(schemas.ProblemBody, "Rate limit exceeded; see Retry-After"),
    500: openapi.answer(schemas.ProblemBody, "Unexpected server error"),
    503: openapi.answer(schemas.ProblemBody, "Service unavailable or communication error"),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: openapi.answer(schemas.ProblemBody, "Not found in this account")}


def authenticated_account(request: Request, api_key: Annotated[str | None, Depends(API_KEY)]) -> Account:
    if not api_key:
        raise HttpProblem(401, "Missing x-api-key header")
    account = account_for_key(request, api_key)
    if account is None:
        raise HttpProblem(401, "Invalid or revoked API key")
    return account


AccountDep = Annotated[Account, Depends(authenticated_account)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
BodyDep = Annotated[dict[str, Any], Depends(json_object)]
IdempotencyKeyDep = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Replays of the same request with the same key are answered once"),
]

ProviderParam = Annotated[
    str | None, openapi.required_query("Mailbox provider the domains are for", enum=get_args(schemas.Provider))
]

router = APIRouter(prefix="/rest/v2/domains", tags=["Domains (Woodpecker-style)"], responses=ERRORS)


def body_of(model: type[BaseModel]) -> dict[str, Any]:
    """Documents a hand-parsed JSON body (the model is listed in app.DOCUMENTED_MODELS)."""
    return openapi.request_body(schemas.ProblemBody.__name__, {JSON: model})


@router.get("/providers", response_model=schemas.ProvidersResponse, summary="Mailbox providers and prices")
def get_providers(account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        prices = catalog.mailbox_prices(session, runtime.providers, account.currency)
    return {
        "providers": [
            {"name": p.name, "currency": p.price.currency, "email_account_price": p.price.decimal} for p in prices
        ]
    }


@router.get("/availability", response_model=schemas.AvailabilitySearchResponse, summary="Search available domains by a phrase")
def search_availability(
    account: AccountDep,
    runtime: RuntimeDep,
    query: Annotated[str | None, openapi.required_query("A phrase or a name, e.g. 'pied piper' or piedpiper.com")] = None,
    provider: ProviderParam = None,
) -> dict[str, Any]:
    issues = FieldIssues()
    chosen = _provider_param(issues, runtime, provider)
    phrase = check.text(issues, "query", query, max_length=100)
    with runtime.db.read() as session:
        names = catalog.suggest_names(phrase, catalog.selling_tlds(session, runtime.providers, account.currency)) if phrase else None
        if phrase and names is None:
            issues.add("query", "Must contain letters or digits that can form a domain name", query)
        issues.raise_if_any()
        answers = catalog.check_domains(session, runtime.providers, names or [], account.currency)
    return {"provider": chosen, "query": phrase, "domains": [_availability(a) for a in answers]}


@router.post(
    "/availability",
    response_model=schemas.AvailabilityListResponse,
    summary="Check a list of domains",
    openapi_extra=body_of(schemas.AvailabilityListRequest),
)
def check_availability(
    account: AccountDep,
    runtime: RuntimeDep,
    body: BodyDep,
    provider: ProviderParam = None,
) -> dict[str, Any]:
    issues = FieldIssues()
    chosen = _provider_param(issues, runtime, provider)
    names: list[str] = []
    for i, value in enumerate(_array(issues, body, "domains", MAX_AVAILABILITY_DOMAINS)):
        name = normalize_domain(value)
        if name is None:
            issues.add(f"domains[{i}]", orders.DOMAIN_FORMAT, check.shown(value))
        elif name not in names:
            names.append(name)
    issues.raise_if_any()
    with runtime.db.read() as session:
        answers = catalog.check_domains(session, runtime.providers, names, account.currency)
    return {"provider": chosen, "domains": [_availability(a) for a in answers]}


@router.get("/owner", response_model=schemas.Owner, summary="Get the domain owner")
def get_owner(account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        return owner_body(owners.get_owner(session, account.id))


@router.post("/owner", response_model=schemas.Owner, summary="Save the domain owner (replaces it as a whole)", openapi_extra=body_of(schemas.OwnerRequest))
def save_owner(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    clean = owners.validate_owner(body)
    with runtime.db.write() as session:
        return owner_body(owners.replace_owner(session, account.id, clean))


@router.post(
    "/order",
    status_code=202,
    response_model=schemas.OrderAccepted,
    summary="Order domains with mailboxes",
    description=(
        "Paid from prepaid funds; provisioning continues asynchronously (watch get domain). A domain owner must be "
        "saved first (POST /rest/v2/domains/owner), otherwise 422 `domain_owner_required`.\n\n"
        "A refused order is answered once (422) with every problem in `fields`, in request order: malformed fields "
        "and each domain that cannot be bought (`Domain is not available`, `Domain price is not available`). When "
        "problems of different codes come together, `code` and `message` are those of the first problem in request "
        "order (`domain_unavailable`, `domain_price_unavailable` or `invalid_fields`); each entry says its own issue. "
        "A domain another account holds is `domain_unavailable`, whatever mailboxes it has."
    ),
    openapi_extra=body_of(schemas.OrderDomainsRequest),
)
def order_domains(
    account: AccountDep, runtime: RuntimeDep, body: BodyDep, idempotency_key: IdempotencyKeyDep = None
) -> Response:
    def plan(session: Session) -> OrderPlan:
        issues = FieldIssues()
        domains_raw = _array(issues, body, "domains", runtime.settings.max_domains_per_order)
        request = DomainOrderRequest(
            provider=body.get("provider"),
            domains=[RequestedDomain(v, f"domains[{i}]") for i, v in enumerate(domains_raw)],
            mailboxes=_mailboxes(issues, body, runtime.settings.max_mailboxes_per_order),
        )
        export_to = exports.check_export_to(session, account.id, None, body.get("export_to"), issues, "export_to")
        return _exported_to(orders.plan_domain_order(session, runtime.settings, runtime.providers, account, request, issues), export_to)

    return _place(runtime, account, "domains/order", body, idempotency_key, plan)


@router.post(
    "/mailboxes/order",
    status_code=202,
    response_model=schemas.OrderAccepted,
    summary="Order mailboxes for domains you already have",
    openapi_extra=body_of(schemas.OrderMailboxesRequest),
)
def order_mailboxes(
    account: AccountDep, runtime: RuntimeDep, body: BodyDep, idempotency_key: IdempotencyKeyDep = None
) -> Response:
    def plan(session: Session) -> OrderPlan:
        issues = FieldIssues()
        request = MailboxOrderRequest(_mailboxes(issues, body, runtime.settings.max_mailboxes_per_order))
        export_to = exports.check_export_to(session, account.id, None, body.get("export_to"), issues, "export_to")
        return _exported_to(orders.plan_mailbox_order(session, runtime.settings, runtime.providers, account, request, issues), export_to)

    return _place(runtime, account, "domains/mailboxes/order", body, idempotency_key, plan)


@router.get(
    "/orders/{order_id}",
    response_model=schemas.OrderStatusResponse,
    responses=NOT_FOUND,
    summary="Progress of one order (Mailwright extension)",
)
def get_order(order_id: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        return order_status(session, orders.get_order(session, account.id, order_id))


@router.post(
    "/orders/{order_id}/retry",
    status_code=202,
    response_model=schemas.OrderStatusResponse,
    responses=NOT_FOUND,
    summary="Resume an order whose items need action (Mailwright extension)",
    description="Once the action an item's failure_reason asks for is done, its parked items "
    "(status needs_action) resume where they stopped. 422 order_not_retriable unless the order is needs_action.",
)
def retry_order(order_id: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.write() as session:
        order = orders.retry_order(session, runtime, orders.get_order(session, account.id, order_id))
        return order_status(session, order)


@router.get("", response_model=schemas.DomainList, summary="List domains")
def list_domains(account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        return {"domains": [domain_item(row, (int(row.held), int(row.live))) for row in domains.list_domains(session, account.id)]}


@router.get("/{domain_name}", response_model=schemas.DomainDetail, responses=NOT_FOUND, summary="Get a domain")
def get_domain(domain_name: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        counts = domains.mailbox_counts(session, [domain.id]).get(domain.id, (0, 0))
        return domain_detail(domain, counts)


@router.get(
    "/{domain_name}/dns",
    response_model=schemas.DnsRecordsResponse,
    responses=NOT_FOUND,
    summary="A domain's DNS records, checked now (Mailwright extension)",
    description="Queries the domain's authoritative servers (or MAILWRIGHT_DNS_VERIFY_SERVER) for every record "
    "it needs for sending and compares what they serve with what is expected; when the registrar is not the "
    "DNS host, also the delegation to the DNS host's nameservers.",
)
def get_domain_dns(domain_name: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        domain_id, name = domain.id, domain.name
    records = dns_verify.check_records(runtime, domain_id, name)
    delegation = dns_verify.observe_delegation(runtime, name)
    return {
        "domain": name,
        "nameservers": list(runtime.providers.dns_host.nameservers(name)),
        "all_valid": bool(records) and all(r["valid"] for r in records),
        "delegation": delegation.view() if delegation is not None else None,
        "records": records,
    }


@router.get("/{domain_name}/mailboxes", response_model=schemas.MailboxList, responses=NOT_FOUND, summary="List a domain's mailboxes")
def list_mailboxes(domain_name: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        return {"mailboxes": [mailbox_item(m) for m in mailboxes.domain_mailboxes(session, domain)]}


@router.get(
    "/{domain_name}/mailboxes/{mailbox_email}",
    response_model=schemas.MailboxDetail,
    responses=NOT_FOUND,
    summary="Get a mailbox with its credentials",
)
def get_mailbox(domain_name: str, mailbox_email: str, request: Request, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.read() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        mailbox = mailboxes.get_mailbox(session, domain, mailbox_email)
        return mailbox_detail(runtime, mailbox, _public_base(request, runtime))


@router.patch(
    "/{domain_name}/set_redirect_url",
    status_code=202,
    response_model=schemas.Accepted,
    responses=NOT_FOUND,
    summary="Set (or with an empty string remove) the domain's redirect URL",
    openapi_extra=body_of(schemas.RedirectRequest),
)
def set_redirect_url(domain_name: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    issues = FieldIssues()
    url = _optional_setting(issues, body, "domain_redirect_url", lambda v: check.web_url(issues, "domain_redirect_url", v))
    issues.raise_if_any()
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        domains.set_redirect_url(session, runtime, domain, url, field="domain_redirect_url")
    return {"success": True}


@router.patch(
    "/{domain_name}/set_email_forwarding",
    status_code=202,
    response_model=schemas.Accepted,
    responses=NOT_FOUND,
    summary="Set (or with an empty string remove) the domain's email forwarding",
    openapi_extra=body_of(schemas.ForwardingRequest),
)
def set_email_forwarding(domain_name: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    issues = FieldIssues()
    address = _optional_setting(
        issues, body, "email_forward_address", lambda v: check.email_address(issues, "email_forward_address", v)
    )
    issues.raise_if_any()
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        domains.set_email_forwarding(session, runtime, domain, address, field="email_forward_address")
    return {"success": True}


@router.patch(
    "/{domain_name}/set_dkim",
    response_model=schemas.Success,
    responses=NOT_FOUND,
    summary="Supply the DKIM key the mailbox host generated (Mailwright extension)",
    description="For hosts whose API cannot generate DKIM keys (Google Workspace): the key from the host's console. "
    "A domain waiting for it (needs_action) resumes; a ready domain has it published.",
    openapi_extra=body_of(schemas.DkimRequest),
)
def set_dkim(domain_name: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> dict[str, Any]:
    issues = FieldIssues()
    host_dkim.check_dkim(issues, body.get("selector"), body.get("value"))
    issues.raise_if_any()
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        host_dkim.set_host_dkim(session, runtime, domain, body["selector"], body["value"])
    return {"success": True}


@router.patch(
    "/{domain_name}/confirm_dkim",
    response_model=schemas.Success,
    responses=NOT_FOUND,
    summary="Confirm that the mailbox host signs the domain's mail (Mailwright extension)",
    description="For hosts whose API cannot switch DKIM signing on (Microsoft 365: the Defender portal). "
    "A domain waiting for it (needs_action) resumes; its selector records are then checked like every record.",
)
def confirm_dkim(domain_name: str, account: AccountDep, runtime: RuntimeDep) -> dict[str, Any]:
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        host_dkim.confirm_host_dkim(session, runtime, domain)
    return {"success": True}


@router.patch(
    "/{domain_name}/mailboxes/{mailbox_email}/profile_picture",
    response_model=schemas.Success,
    responses=NOT_FOUND,
    summary="Set a mailbox's profile picture",
    openapi_extra=body_of(schemas.AvatarRequest),
)
def set_profile_picture(
    domain_name: str, mailbox_email: str, account: AccountDep, runtime: RuntimeDep, body: BodyDep
) -> dict[str, Any]:
    avatar = body.get("avatar")
    issues = FieldIssues()
    if avatar is None or avatar == "":
        issues.add("avatar", check.REQUIRED, check.shown(avatar))
    elif not isinstance(avatar, str):
        issues.add("avatar", "Must be a base64-encoded PNG or JPEG image", check.shown(avatar))
    else:
        try:
            picture = check_picture(decode_base64(avatar), runtime.decode_budget)
        except PictureRejected as exc:
            issues.add("avatar", str(exc), avatar[:64] + ("..." if len(avatar) > 64 else ""))
    issues.raise_if_any()
    with runtime.db.write() as session:
        domain = domains.get_domain(session, account.id, domain_name)
        mailbox = mailboxes.get_mailbox(session, domain, mailbox_email)
        mailboxes.set_profile_picture(session, runtime, mailbox, picture)
    return {"success": True}


# ---------------------------------------------------------------- helpers


def _exported_to(planned: OrderPlan, platform_id: str | None) -> OrderPlan:
    """export_to: each mailbox of the order goes to that sending platform once it is live."""
    planned.options = dataclasses.replace(planned.options, export_to=platform_id)
    return planned


def _place(
    runtime: Runtime,
    account: Account,
    endpoint: str,
    body: dict[str, Any],
    idempotency_key: str | None,
    plan: Callable[[Session], OrderPlan],
) -> Response:
    answer = placing.place_once(runtime, account, endpoint, body, idempotency_key, plan)
    return JSONResponse(answer.body, status_code=answer.status_code)


def _provider_param(issues: FieldIssues, runtime: Runtime, provider: str | None) -> str | None:
    if not provider:
        issues.add("provider", check.REQUIRED, None)
        return None
    if provider not in runtime.providers.mailbox_provider_names:
        issues.add("provider", orders.provider_sentence(runtime.providers), provider)
        return None
    return provider


def _array(issues: FieldIssues, body: dict[str, Any], name: str, max_items: int) -> list[Any]:
    value = body.get(name)
    if value is None:
        issues.add(name, check.REQUIRED, None)
    elif not isinstance(value, list):
        issues.add(name, "Must be an array", check.shown(value))
    elif not value:
        issues.add(name, "Must contain at least one item", "[]")
    elif len(value) > max_items:
        issues.add(name, f"Must contain at most {max_items} items", f"{len(value)} items")
    else:
        return value
    return []


def _mailboxes(issues: FieldIssues, body: dict[str, Any], max_items: int) -> list[RequestedMailbox]:
    items = []
    for i, item in enumerate(_array(issues, body, "mailboxes", max_items)):
        if not isinstance(item, dict):
            issues.add(f"mailboxes[{i}]", "Must be an object with first_name, last_name and email", check.shown(item))
            continue
        items.append(RequestedMailbox.at(f"mailboxes[{i}]", item.get("email"), item.get("first_name"), item.get("last_name")))
    return items


def _optional_setting(issues: FieldIssues, body: dict[str, Any], name: str, validate: Callable[[Any], str | None]) -> str | None:
    """A setting where "" removes it and a missing field is an error."""
    if name not in body or body[name] is None:
        issues.add(name, check.REQUIRED, None)
        return None
    value = body[name]
    if value == "":
        return None
    return validate(value)


def _availability(answer: Any) -> dict[str, Any]:
    return {"domain": answer.domain, "available": answer.available, "price": answer.price.as_price() if answer.price else None}


def _public_base(request: Request, runtime: Runtime) -> str:
    return (runtime.settings.public_url or str(request.base_url)).rstrip("/")

