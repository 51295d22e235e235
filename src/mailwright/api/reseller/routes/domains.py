"""A user's domains: list, suggest and check names, web and email forwarding."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from mailwright import validation as check
from mailwright.api.reseller.deps import (
    AccountDep,
    BodyDep,
    PageDep,
    RequiredUserIdDep,
    RuntimeDep,
    UserIdDep,
    find_user,
    lookup_user,
    lookup_user_domain,
    user_id_in,
)
from mailwright.api.reseller.envelope import envelope, pagination, respond
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.presenters import domain_body
from mailwright.api.reseller.renewals import IdempotencyKeyDep, action_body, find_action, renew_once
from mailwright.api.reseller.schemas import (
    Availability,
    CheckDomainRequest,
    DomainAutoRenewRequest,
    DomainForwardingRequest,
    ResellerDomainList,
    DomainListRequest,
    DomainRenewalAction,
    EmailForwardingRequest,
    Envelope,
    ErrorEnvelope,
    RenewalPrice,
    RenewedDomainPrice,
    ResellerDomain,
    SuggestDomainsRequest,
    body_of,
)
from mailwright.billing import renew_now
from mailwright.billing import service as billing
from mailwright.billing.models import RenewalKind
from mailwright.catalog import service as catalog
from mailwright.clock import iso
from mailwright.domains import service as domains
from mailwright.domains.names import normalize_domain
from mailwright.errors import FieldIssues
from mailwright.orders import idempotency
from mailwright.orders.service import DOMAIN_FORMAT

router = APIRouter(prefix="/domains", tags=["Domains (ColdMailReseller-style)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such user, or no such domain of the user (data.errors names which)"}
}
NOT_READY: dict[int | str, dict[str, Any]] = {422: {"model": ErrorEnvelope, "description": "The domain is not ready yet (domain_not_ready)"}}


@router.get("", response_model=Envelope[ResellerDomainList], responses=NOT_FOUND, summary="A user's domains (?userId=, paginated)")
def list_domains(account: AccountDep, runtime: RuntimeDep, user_id: RequiredUserIdDep, page: PageDep) -> JSONResponse:
    with runtime.db.read() as session:
        user = find_user(session, account, user_id)
        found = domains.user_domains(session, account.id, user.id, page)
        counts = domains.mailbox_counts(session, [d.id for d in found.items])
        data = {"domains": [domain_body(d, counts.get(d.id, (0, 0))[0]) for d in found.items], "pagination": pagination(found)}
    return respond(data, "Domains fetched successfully")


@router.post(
    "/suggest",
    response_model=Envelope[list[Availability]],
    summary="Suggest available domains for a keyword",
    openapi_extra=body_of(SuggestDomainsRequest),
)
def suggest_domains(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    issues = FieldIssues()
    keyword = check.text(issues, "keyword", body.get("keyword"), max_length=100)
    with runtime.db.read() as session:
        names = catalog.suggest_names(keyword, catalog.selling_tlds(session, runtime.providers, account.currency)) if keyword else None
        if keyword and names is None:
            issues.add("keyword", "Must contain letters or digits that can form a domain name", keyword)
        issues.raise_if_any()
        answers = catalog.check_domains(session, runtime.providers, names or [], account.currency)
    data = [_availability(a) for a in answers if a.available]
    return respond(data, "Domain suggestions fetched successfully")


@router.post(
    "/check",
    response_model=Envelope[Availability],
    summary="Check whether one domain is available, and its yearly price",
    openapi_extra=body_of(CheckDomainRequest),
)
def check_domain(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    raw = body.get("domain")
    issues = FieldIssues()
    if raw is None or raw == "":
        issues.add("domain", check.REQUIRED, check.shown(raw))
    name = normalize_domain(raw)
    if raw not in (None, "") and name is None:
        issues.add("domain", DOMAIN_FORMAT, check.shown(raw))
    issues.raise_if_any()
    assert name is not None
    with runtime.db.read() as session:
        answer = catalog.check_domains(session, runtime.providers, [name], account.currency)[0]
    return respond(_availability(answer), "Domain availability fetched successfully")


@router.post(
    "/forwarding",
    response_model=Envelope[ResellerDomain],
    responses=NOT_FOUND | NOT_READY,
    summary="Forward the domain's web address to a URL (forwardTo empty or null removes it)",
    openapi_extra=body_of(DomainForwardingRequest),
)
def add_domain_forwarding(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    problems = RequestProblems()
    url = None if body.get("forwardTo") in (None, "") else check.web_url(problems, "forwardTo", body["forwardTo"])
    masked = body.get("maskForwarding", False)
    if masked is None:
        masked = False
    if not isinstance(masked, bool):
        problems.add("maskForwarding", "Must be true or false", check.shown(masked))
    with runtime.db.write() as session:
        domain = _user_domain(session, account, user_id_in(user_id, body), body.get("domainId"), problems)
        domains.set_redirect_url(session, runtime, domain, url, field="forwardTo", masked=bool(masked))
        data = domain_body(domain, domains.mailbox_counts(session, [domain.id]).get(domain.id, (0, 0))[0])
    return respond(data, "Domain forwarding saved successfully")


@router.post(
    "/email-forwarding",
    response_model=Envelope[ResellerDomain],
    responses=NOT_FOUND,
    summary="Forward mail for unknown addresses of the domain (forwardTo empty or null removes it)",
    openapi_extra=body_of(EmailForwardingRequest),
)
def add_email_forwarding(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    problems = RequestProblems()
    address = None if body.get("forwardTo") in (None, "") else check.email_address(problems, "forwardTo", body["forwardTo"])
    with runtime.db.write() as session:
        domain = _user_domain(session, account, user_id_in(user_id, body), body.get("domainId"), problems)
        domains.set_email_forwarding(session, runtime, domain, address, field="forwardTo")
        data = domain_body(domain, domains.mailbox_counts(session, [domain.id]).get(domain.id, (0, 0))[0])
    return respond(data, "Email forwarding saved successfully")


def _user_domain(session: Any, account: Any, user_id: Any, domain_id: Any, problems: RequestProblems) -> Any:
    """The user's domain the request names, once every problem with the request is answered."""
    user = lookup_user(session, account, user_id, problems)
    domain = lookup_user_domain(session, account, user, domain_id, problems)
    problems.raise_if_any()
    return domain


def _availability(answer: Any) -> dict[str, Any]:
    price = answer.price
    return {
        "domain": answer.domain,
        "available": answer.available,
        "price": price.decimal if price else None,
        "currency": price.currency if price else None,
    }


# ------------------------------------------------------------------ renewal and removal (billing rules)


@router.post(
    "/renewal-price",
    response_model=Envelope[list[RenewalPrice]],
    responses=NOT_FOUND,
    summary="What renewing each of a user's domains for a year costs",
    openapi_extra=body_of(DomainListRequest),
)
def renewal_price(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    with runtime.db.read() as session:
        found = _requested_domains(session, account, user_id_in(user_id, body), body, RequestProblems())
        views = [billing.domain_renewal(session, runtime.settings, runtime.providers, d) for d in found]
    return respond([_renewal(v) for v in views], "Renewal prices fetched successfully")


@router.post(
    "/renew",
    response_model=Envelope[list[RenewedDomainPrice]],
    responses=NOT_FOUND | {
        402: {"model": ErrorEnvelope, "description": "The wallet cannot pay for all of them (insufficient_funds), or the "
              "price book has no renewal price for one covering the registrar's cost (payment_failed, domains[i] named): none is renewed"},
        409: {"model": ErrorEnvelope, "description": "One was renewed or changed meanwhile (renewal_conflict): none is renewed"},
        422: {"model": ErrorEnvelope, "description": "One is not a registered domain (domain_not_renewable, domains[i] named): none is renewed"},
    },
    summary="Renew each of a user's domains for one more year now, all or none, paid from the wallet",
    openapi_extra=body_of(DomainListRequest),
)
def renew(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep, idempotency_key: IdempotencyKeyDep = None) -> JSONResponse:
    request = idempotency.KeyedRequest.of(account.id, idempotency_key, "reseller/domains/renew", {"userId": user_id, "body": body})

    def renew_all(session: Any) -> dict[str, Any]:
        found = _requested_domains(session, account, user_id_in(user_id, body), body, RequestProblems())
        action = renew_now.renew_domains(session, runtime, account.id, [(_field_of(body, d), d.id) for d in found])
        views = [billing.domain_renewal(session, runtime.settings, runtime.providers, d) for d in domains.domains_by_id(session, [d.id for d in found])]
        return envelope(200, "Domains renewed successfully", [_renewal(v) | {"actionId": action.id} for v in views])

    return renew_once(runtime, request, renew_all)


@router.get(
    "/renew/{actionId}",
    response_model=Envelope[DomainRenewalAction],
    responses={404: {"model": ErrorEnvelope, "description": "No such renewal of domains of yours (of the user, when userId is given; actionId named)"}},
    summary="A renewal of domains made earlier: what was charged and each new expiry",
)
def renewal_action(
    account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, action_id: Annotated[str, Path(alias="actionId")]
) -> JSONResponse:
    with runtime.db.read() as session:
        action = find_action(session, account, user_id, action_id, RenewalKind.DOMAINS)
        return respond(action_body(action), "Renewal fetched successfully")


@router.patch(
    "/auto-renew",
    response_model=Envelope[list[RenewalPrice]],
    responses=NOT_FOUND,
    summary="Enable or disable auto-renew of a user's domains",
    openapi_extra=body_of(DomainAutoRenewRequest),
)
def set_auto_renew(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    problems = RequestProblems()
    value = body.get("autoRenew")
    if not isinstance(value, bool):
        problems.add("autoRenew", check.REQUIRED if value is None else "Must be true or false", check.shown(value))
    with runtime.db.write() as session:
        found = _requested_domains(session, account, user_id_in(user_id, body), body, problems)
        for i, domain in enumerate(found):
            billing.set_domain_auto_renew(session, domain, bool(value), field=f"domains[{i}]")
        views = [billing.domain_renewal(session, runtime.settings, runtime.providers, d) for d in found]
    message = "Auto-renew enabled successfully" if value else "Auto-renew disabled successfully"
    return respond([_renewal(v) for v in views], message)


@router.delete(
    "",
    response_model=Envelope[None],
    responses=NOT_FOUND | {422: {"model": ErrorEnvelope, "description": "A domain is not ready (domain_not_removable)"}},
    summary="Remove a user's domains: subscriptions end now, mailboxes and workspaces are deleted, nothing renews",
    openapi_extra=body_of(DomainListRequest),
)
def remove_domains(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    with runtime.db.write() as session:
        for i, domain in enumerate(_requested_domains(session, account, user_id_in(user_id, body), body, RequestProblems())):
            billing.remove_domain(session, runtime, domain, field=f"domains[{i}]")
    return respond(None, "Domains removed successfully")


def _requested_domains(session: Any, account: Any, user_id: Any, body: dict[str, Any], problems: RequestProblems) -> list[Any]:
    """The user's domains listed in body.domains (names or domain ids), once every problem with
    the request (`problems` may already hold some) is answered: each unknown one is named."""
    user = lookup_user(session, account, user_id, problems)
    value = body.get("domains")
    if not isinstance(value, list) or not value:
        problems.add("domains", check.REQUIRED if value in (None, []) else "Must be an array of domain names or ids", check.shown(value))
        value = []
    found = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            problems.add(f"domains[{i}]", "Must be a domain name or id", check.shown(item))
            continue
        domain = domains.find_user_domain(session, account.id, user.id, item) if user else None
        if user and domain is None:
            problems.missing("Domain not found", f"domains[{i}]", "No such domain of this user", item)
        elif domain is not None and domain not in found:
            found.append(domain)
    problems.raise_if_any()
    return found


def _field_of(body: dict[str, Any], domain: Any) -> str:
    """`domains[i]`: where the request first named this domain (by id or by name)."""
    for i, item in enumerate(body["domains"]):
        if isinstance(item, str) and (item == domain.id or normalize_domain(item) == domain.name):
            return f"domains[{i}]"
    return "domains"


def _renewal(view: Any) -> dict[str, Any]:
    domain = view.domain
    return {
        "domainName": domain.name,
        "domainId": domain.id,
        "years": 1,
        "renewalPrice": view.renewal_price.decimal if view.renewal_price else None,
        "currency": view.renewal_price.currency if view.renewal_price else domain.currency,
        "expireOn": iso(domain.expires_at),
        "autoRenew": domain.auto_renew,
        "registrationStatus": view.status,
    }
