"""Subscriptions: one per domain workspace, billed monthly; listed with filters and pages."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from mailwright.api.reseller.deps import AccountDep, PageDep, RuntimeDep, UserIdDep, find_user
from mailwright.api.reseller.envelope import pagination, respond
from mailwright.api.reseller.presenters import subscription_body
from mailwright.api.reseller.schemas import Envelope, ErrorEnvelope, SubscriptionList
from mailwright.billing import service as billing
from mailwright.billing.lifecycle import SubscriptionStatus
from mailwright.domains.models import Domain
from mailwright.domains.names import normalize_domain
from mailwright.errors import FieldIssue, InvalidFields
from mailwright.pagination import Page

router = APIRouter(prefix="/subscriptions", tags=["Subscriptions (ColdMailReseller-style)"])


@router.get(
    "",
    response_model=Envelope[SubscriptionList],
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
