"""A reseller's users (its end customers, created through the reseller-style API) and each
user's domains, paged in the database as that API's lists are."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailwright.api.deps import get_runtime
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import CustomerDep
from mailwright.dashboard.pages import page
from mailwright.dashboard.routes import PAGE_SIZE, PageNumber
from mailwright.domains import service as domains
from mailwright.pagination import PageRequest
from mailwright.users import service as users

router = APIRouter(prefix=f"{PREFIX}/users", include_in_schema=False)


@router.get("")
def user_list(request: Request, who: CustomerDep, page_number: PageNumber = 1) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        found = users.list_users(session, who.account.id, PageRequest(page_number, PAGE_SIZE))
    return page(request, "users.html", who, found=found)


@router.get("/{user_id}")
def user_page(user_id: str, request: Request, who: CustomerDep, page_number: PageNumber = 1) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        user = users.get_user(session, who.account.id, user_id)  # another account's: 404
        found = domains.user_domains(session, who.account.id, user.id, PageRequest(page_number, PAGE_SIZE))
        counts = domains.mailbox_counts(session, [d.id for d in found.items])
    return page(request, "user.html", who, user=user, found=found, counts=counts)
