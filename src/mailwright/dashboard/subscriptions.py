"""Subscriptions and renewals: each domain's mailbox subscription with its next charge date and
amount, its auto-renew switch and cancellation (at the period end), through the billing service
the API faces call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mailwright.api.deps import get_runtime
from mailwright.billing import service as billing
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import CustomerDep, FormDep
from mailwright.dashboard.pages import page
from mailwright.dashboard.routes import PAGE_SIZE, see_other
from mailwright.dashboard.sessions import Viewer
from mailwright.errors import RuleViolation
from mailwright.pagination import MAX_PAGE, PageRequest

router = APIRouter(prefix=f"{PREFIX}/subscriptions", include_in_schema=False)


@router.get("")
def subscriptions(
    request: Request, who: CustomerDep, page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1
) -> Response:
    return _page(request, who, page_number)


def _page(request: Request, who: Viewer, page_number: int = 1, problems: list[str] | None = None, status_code: int = 200) -> Response:
    runtime = get_runtime(request)
    assert who.account is not None
    with runtime.db.read() as session:
        found = billing.subscriptions_page(session, runtime.settings, runtime.providers, who.account.id, PageRequest(page_number, PAGE_SIZE))
    return page(request, "subscriptions.html", who, status_code=status_code, found=found, problems=problems or [])


@router.post("/{subscription_id}/auto-renew")
def auto_renew(subscription_id: str, request: Request, who: CustomerDep, form: FormDep) -> Response:
    assert who.account is not None
    try:
        with get_runtime(request).db.write() as session:
            billing.set_subscription_auto_renew(session, who.account.id, subscription_id, form.get("auto_renew") == "on")
    except RuleViolation as exc:
        return _page(request, who, problems=[exc.message], status_code=422)
    return see_other(f"{PREFIX}/subscriptions")


@router.post("/{subscription_id}/cancel")
def cancel(subscription_id: str, request: Request, who: CustomerDep, form: FormDep) -> Response:
    """At the period end: the mailboxes work until the paid period ends (nothing is refunded)."""
    runtime = get_runtime(request)
    assert who.account is not None
    try:
        with runtime.db.write() as session:
            billing.cancel_subscription(session, runtime, who.account.id, subscription_id, immediately=False)
    except RuleViolation as exc:
        return _page(request, who, problems=[exc.message], status_code=422)
    return see_other(f"{PREFIX}/subscriptions")
