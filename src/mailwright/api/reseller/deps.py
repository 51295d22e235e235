"""What every route of this face needs: the reseller's account from `cmr-x-api-key`, a JSON body,
page parameters, and the reseller's user named by `userId`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.accounts.models import Account
from mailwright.api.deps import account_for_key, get_runtime, json_object
from mailwright.api.errors import HttpProblem
from mailwright.api.reseller.errors import FieldProblem
from mailwright.domains import service as domains
from mailwright.domains.models import Domain
from mailwright.errors import FieldIssue, InvalidFields, NotFound
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox
from mailwright.pagination import MAX_LIMIT, PageRequest
from mailwright.runtime import Runtime
from mailwright.users import service as users
from mailwright.users.models import ResellerUser

API_KEY_HEADER = "cmr-x-api-key"
API_KEY = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="Your Mailwright API key")


def reseller_account(request: Request, api_key: Annotated[str | None, Depends(API_KEY)]) -> Account:
    if not api_key:
        raise FieldProblem(401, f"Missing {API_KEY_HEADER} header", [FieldIssue(API_KEY_HEADER, "Header is required")])
    account = account_for_key(request, api_key)
    if account is None:
        raise FieldProblem(401, "Invalid or revoked API key", [FieldIssue(API_KEY_HEADER, "Invalid or revoked API key")])
    return account


async def json_body(request: Request) -> dict[str, Any]:
    try:
        return await json_object(request)
    except HttpProblem as exc:
        raise FieldProblem(exc.status, exc.details, [FieldIssue("body", exc.details)]) from exc


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}")] = 50,
) -> PageRequest:
    return PageRequest(page, limit)


def user_id_param(
    user_id: Annotated[str | None, Query(alias="userId", description="One of your users (see /users)")] = None,
) -> str | None:
    return user_id or None


def required_user_id(user_id: str | None, field: str = "userId") -> str:
    """The userId a call needs; its absence is reported against `field`."""
    if not user_id:
        raise InvalidFields([FieldIssue(field, check.REQUIRED, check.shown(user_id))])
    if not isinstance(user_id, str):
        raise InvalidFields([FieldIssue(field, "Must be a string", check.shown(user_id))])
    return user_id


def find_user(session: Session, account: Account, user_id: Any, field: str = "userId") -> ResellerUser:
    """The reseller's user, or 404 naming `field`; another reseller's user is not found either."""
    try:
        return users.get_user(session, account.id, required_user_id(user_id, field))
    except NotFound as exc:
        raise FieldProblem(404, "User not found", [FieldIssue(field, "No such user")]) from exc


AccountDep = Annotated[Account, Depends(reseller_account)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
BodyDep = Annotated[dict[str, Any], Depends(json_body)]
PageDep = Annotated[PageRequest, Depends(page_params)]
UserIdDep = Annotated[str | None, Depends(user_id_param)]


def user_id_in(user_id: str | None, body: dict[str, Any]) -> Any:
    """`userId` from the query, else from the JSON body (the family sends it either way)."""
    return user_id or body.get("userId")


def find_user_domain(session: Session, account: Account, user: ResellerUser, domain_id: Any, field: str = "domainId") -> Domain:
    """The user's domain of that id, or 400/404 naming `field`."""
    if not domain_id or not isinstance(domain_id, str):
        raise InvalidFields([FieldIssue(field, check.REQUIRED if not domain_id else "Must be a string", check.shown(domain_id))])
    try:
        return domains.get_user_domain(session, account.id, user.id, domain_id)
    except NotFound as exc:
        raise FieldProblem(404, "Domain not found", [FieldIssue(field, "No such domain of this user")]) from exc


def find_user_mailbox(session: Session, account: Account, user: ResellerUser, mailbox_id: Any, field: str = "mailboxId") -> Mailbox:
    if not mailbox_id or not isinstance(mailbox_id, str):
        raise InvalidFields([FieldIssue(field, check.REQUIRED if not mailbox_id else "Must be a string", check.shown(mailbox_id))])
    try:
        return mailboxes.get_user_mailbox(session, account.id, user.id, mailbox_id)
    except NotFound as exc:
        raise FieldProblem(404, "Mailbox not found", [FieldIssue(field, "No such mailbox of this user")]) from exc


def public_base(request: Request) -> str:
    """Where clients reach this service (for links such as profile pictures)."""
    return (get_runtime(request).settings.public_url or str(request.base_url)).rstrip("/")
