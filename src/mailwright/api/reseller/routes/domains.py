"""A user's domains: list, suggest and check names, web and email forwarding."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mailwright import validation as check
from mailwright.api.reseller.deps import (
    AccountDep,
    BodyDep,
    PageDep,
    RuntimeDep,
    UserIdDep,
    find_user,
    find_user_domain,
    user_id_in,
)
from mailwright.api.reseller.envelope import pagination, respond
from mailwright.api.reseller.presenters import domain_body
from mailwright.api.reseller.schemas import (
    Availability,
    CheckDomainRequest,
    DomainForwardingRequest,
    DomainList,
    EmailForwardingRequest,
    Envelope,
    ErrorEnvelope,
    ResellerDomain,
    SuggestDomainsRequest,
    body_of,
)
from mailwright.catalog import service as catalog
from mailwright.domains import service as domains
from mailwright.domains.names import normalize_domain
from mailwright.errors import FieldIssues
from mailwright.orders.service import DOMAIN_FORMAT

router = APIRouter(prefix="/domains", tags=["Domains (ColdMailReseller-style)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such user, or no such domain of the user (data.errors names which)"}
}
NOT_READY: dict[int | str, dict[str, Any]] = {422: {"model": ErrorEnvelope, "description": "The domain is not ready yet (domain_not_ready)"}}


@router.get("", response_model=Envelope[DomainList], responses=NOT_FOUND, summary="A user's domains (?userId=, paginated)")
def list_domains(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, page: PageDep) -> JSONResponse:
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
    names = catalog.suggest_names(keyword, runtime.providers.registrar.tlds()) if keyword else None
    if keyword and names is None:
        issues.add("keyword", "Must contain letters or digits that can form a domain name", keyword)
    issues.raise_if_any()
    with runtime.db.read() as session:
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
    issues = FieldIssues()
    url = None if body.get("forwardTo") in (None, "") else check.web_url(issues, "forwardTo", body["forwardTo"])
    masked = body.get("maskForwarding", False)
    if masked is None:
        masked = False
    if not isinstance(masked, bool):
        issues.add("maskForwarding", "Must be true or false", check.shown(masked))
    with runtime.db.write() as session:
        user = find_user(session, account, user_id_in(user_id, body))
        domain = find_user_domain(session, account, user, body.get("domainId"))
        issues.raise_if_any()
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
    issues = FieldIssues()
    address = None if body.get("forwardTo") in (None, "") else check.email_address(issues, "forwardTo", body["forwardTo"])
    with runtime.db.write() as session:
        user = find_user(session, account, user_id_in(user_id, body))
        domain = find_user_domain(session, account, user, body.get("domainId"))
        issues.raise_if_any()
        domains.set_email_forwarding(session, runtime, domain, address)
        data = domain_body(domain, domains.mailbox_counts(session, [domain.id]).get(domain.id, (0, 0))[0])
    return respond(data, "Email forwarding saved successfully")


def _availability(answer: Any) -> dict[str, Any]:
    price = answer.price
    return {
        "domain": answer.domain,
        "available": answer.available,
        "price": price.decimal if price else None,
        "currency": price.currency if price else None,
    }
