"""What every route of this face needs: the reseller's account from `cmr-x-api-key`, a JSON body,
page parameters, the reseller's user named by `userId`, and the type checks every id in a body
goes through (`required_id`, `optional_id`) before it reaches a query."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from mailwright import validation as check
from mailwright.api import openapi
from mailwright.accounts.models import Account
from mailwright.api.deps import UnsupportedMediaType, account_for_key, get_runtime, json_object, media_type, optional_json_object
from mailwright.api.errors import HttpProblem
from mailwright.api.reseller.errors import FieldProblem, RequestProblems
from mailwright.domains import service as domains
from mailwright.domains.models import Domain
from mailwright.errors import FieldIssue, FieldIssues, NotFound
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox
from mailwright.pagination import MAX_LIMIT, MAX_PAGE, PageRequest
from mailwright.runtime import Runtime
from mailwright.users import service as users
from mailwright.users.models import ResellerUser

T = TypeVar("T")

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
    return await _in_this_face(json_object(request))


async def optional_json_body(request: Request) -> dict[str, Any]:
    """The JSON body of an endpoint whose parameters may come in the query instead: none is {}."""
    return await _in_this_face(optional_json_object(request))


def body_media_type(request: Request, accepted: tuple[str, ...]) -> str:
    """Which of the `accepted` media types the body is in; 415 naming Content-Type otherwise."""
    try:
        return media_type(request, accepted)
    except HttpProblem as exc:
        raise as_field_problem(exc) from exc


async def _in_this_face(reading: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await reading
    except HttpProblem as exc:
        raise as_field_problem(exc) from exc


def as_field_problem(exc: HttpProblem) -> FieldProblem:
    """A body refused before its fields were read, named as this face names problems."""
    if isinstance(exc, UnsupportedMediaType):
        return FieldProblem(exc.status, exc.details, [FieldIssue("Content-Type", exc.issue)])
    return FieldProblem(exc.status, exc.details, [FieldIssue("body", exc.details)])


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page number, 1 to {MAX_PAGE}")] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}")] = 50,
) -> PageRequest:
    return PageRequest(page, limit)


def user_id_param(
    user_id: Annotated[str | None, Query(alias="userId", description="One of your users (see /users)")] = None,
) -> str | None:
    return user_id or None


def required_user_id_param(
    user_id: Annotated[str | None, openapi.required_query("One of your users (see /users)", alias="userId")] = None,
) -> str | None:
    return user_id or None


def required_id(problems: FieldIssues, field: str, value: Any) -> str | None:
    """An id the call needs; absent, empty or not a string is reported against `field`."""
    if value is None or value == "":
        problems.add(field, check.REQUIRED, check.shown(value))
        return None
    return optional_id(problems, field, value)


def optional_id(problems: FieldIssues, field: str, value: Any) -> str | None:
    """An id (or name) the call may be given: absent or empty is None; anything but a string is
    reported against `field`, so no list, object or number ever reaches a query."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        problems.add(field, "Must be a string", check.shown(value))
        return None
    return value


def lookup_user(session: Session, account: Account, user_id: Any, problems: RequestProblems, field: str = "userId") -> ResellerUser | None:
    """The reseller's user, or None with the problem noted; another reseller's user is not found either."""
    wanted = required_id(problems, field, user_id)
    if wanted is None:
        return None
    try:
        return users.get_user(session, account.id, wanted)
    except NotFound:
        problems.missing("User not found", field, "No such user")
        return None


def lookup_given_user(session: Session, account: Account, user_id: Any, problems: RequestProblems) -> ResellerUser | None:
    """For calls where userId is optional: None when none is given (the call is about the whole
    account); a given one scopes the call to that user and must be the reseller's (noted otherwise)."""
    if user_id is None or user_id == "":
        return None
    return lookup_user(session, account, user_id, problems)


def find_user(session: Session, account: Account, user_id: Any, field: str = "userId") -> ResellerUser:
    """The reseller's user, or 400/404 naming `field`."""
    problems = RequestProblems()
    user = lookup_user(session, account, user_id, problems, field)
    problems.raise_if_any()
    assert user is not None
    return user


AccountDep = Annotated[Account, Depends(reseller_account)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
BodyDep = Annotated[dict[str, Any], Depends(json_body)]
OptionalBodyDep = Annotated[dict[str, Any], Depends(optional_json_body)]
PageDep = Annotated[PageRequest, Depends(page_params)]
UserIdDep = Annotated[str | None, Depends(user_id_param)]
# The same for calls that take it only in the query: documented as required (checked with the rest).
RequiredUserIdDep = Annotated[str | None, Depends(required_user_id_param)]


def user_id_in(user_id: str | None, body: dict[str, Any]) -> Any:
    """`userId` from the query, else from the JSON body (the family sends it either way)."""
    return user_id or body.get("userId")


def lookup_user_domain(
    session: Session, account: Account, user: ResellerUser | None, domain_id: Any, problems: RequestProblems, field: str = "domainId"
) -> Domain | None:
    """The user's domain of that id, or None with the problem noted (no user: only the id's shape is checked)."""
    return _user_owned(problems, field, domain_id, user, "Domain", lambda owner, id_: domains.get_user_domain(session, account.id, owner.id, id_))


def find_user_domain(session: Session, account: Account, user: ResellerUser, domain_id: Any, field: str = "domainId") -> Domain:
    """The user's domain of that id, or 400/404 naming `field`."""
    problems = RequestProblems()
    domain = lookup_user_domain(session, account, user, domain_id, problems, field)
    problems.raise_if_any()
    assert domain is not None
    return domain


def lookup_user_mailbox(
    session: Session, account: Account, user: ResellerUser | None, mailbox_id: Any, problems: RequestProblems, field: str = "mailboxId"
) -> Mailbox | None:
    """The user's mailbox of that id, or None with the problem noted (no user: only the id's shape is checked)."""
    return _user_owned(problems, field, mailbox_id, user, "Mailbox", lambda owner, id_: mailboxes.get_user_mailbox(session, account.id, owner.id, id_))


def _user_owned(problems: RequestProblems, field: str, value: Any, user: ResellerUser | None, what: str, get: Callable[[ResellerUser, str], T]) -> T | None:
    wanted = required_id(problems, field, value)
    if wanted is None or user is None:
        return None
    try:
        return get(user, wanted)
    except NotFound:
        problems.missing(f"{what} not found", field, f"No such {what.lower()} of this user")
        return None


def public_base(request: Request) -> str:
    """Where clients reach this service (for links such as profile pictures)."""
    return (get_runtime(request).settings.public_url or str(request.base_url)).rstrip("/")
