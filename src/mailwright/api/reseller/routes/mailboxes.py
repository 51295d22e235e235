"""A user's mailboxes: list, one with its credentials, update (address, names, profile picture), remove."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from mailwright import validation as check
from mailwright.api import openapi
from mailwright.api.reseller.deps import (
    AccountDep,
    BodyDep,
    OptionalBodyDep,
    PageDep,
    RequiredUserIdDep,
    RuntimeDep,
    UserIdDep,
    find_user,
    find_user_domain,
    lookup_given_user,
    lookup_user,
    lookup_user_mailbox,
    public_base,
    required_id,
    user_id_in,
)
from mailwright.api.reseller.envelope import pagination, respond
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.presenters import mailbox_body, mailbox_credentials
from mailwright.api.reseller.schemas import (
    Envelope,
    ErrorEnvelope,
    ResellerMailboxDetail,
    ResellerMailboxList,
    RemoveMailboxRequest,
    ResellerMailbox,
    UpdateMailboxRequest,
    body_of,
)
from mailwright.billing import repository as billing_repository
from mailwright.billing import service as billing
from mailwright.domains.models import Domain
from mailwright.domains.names import LOCAL_PART_RULE
from mailwright.errors import FieldIssues
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox
from mailwright.mailboxes.pictures import DecodeBudget, PictureRejected, check_picture, decode_base64
from mailwright.orders.service import NAME_MAX_LENGTH

router = APIRouter(prefix="/mailboxes", tags=["Mailboxes (ColdMailReseller-style)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such user, or no such mailbox or domain of the user (data.errors names which)"}
}


@router.get("", response_model=Envelope[ResellerMailboxList], responses=NOT_FOUND, summary="A user's mailboxes (?userId=, paginated)")
def list_mailboxes(
    request: Request,
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: RequiredUserIdDep,
    page: PageDep,
    domain_id: Annotated[str | None, Query(alias="domainId", description="Only this domain's mailboxes")] = None,
) -> JSONResponse:
    with runtime.db.read() as session:
        user = find_user(session, account, user_id)
        if domain_id:
            find_user_domain(session, account, user, domain_id)
        found = mailboxes.user_mailboxes(session, account.id, user.id, page, domain_id=domain_id or None)
        names = billing_repository.domain_names(session, {m.domain_id for m in found.items})
        base = public_base(request)
        data = {
            "mailboxes": [mailbox_body(m, names[m.domain_id], base) for m in found.items],
            "pagination": pagination(found),
        }
    return respond(data, "Mailboxes fetched successfully")


@router.get(
    "/details",
    response_model=Envelope[ResellerMailboxDetail],
    responses=NOT_FOUND,
    summary="One mailbox with its credentials (?userId=&mailboxId=)",
)
def get_mailbox(
    request: Request,
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: RequiredUserIdDep,
    mailbox_id: Annotated[str | None, openapi.required_query("The mailbox (see GET /mailboxes)", alias="mailboxId")] = None,
) -> JSONResponse:
    with runtime.db.read() as session:
        problems = RequestProblems()
        mailbox = lookup_user_mailbox(session, account, lookup_user(session, account, user_id, problems), mailbox_id, problems)
        problems.raise_if_any()
        assert mailbox is not None
        domain = session.get(Domain, mailbox.domain_id)
        assert domain is not None
        data = mailbox_body(mailbox, domain.name, public_base(request)) | mailbox_credentials(runtime, mailbox)
    return respond(data, "Mailbox fetched successfully")


UPDATE_DESCRIPTION = (
    "Fields left out stay as they are; the response shows the result at once, and the host gets it "
    "shortly after (one `mailbox.updated` webhook per kind of change).\n\n"
    "`username` moves a LIVE mailbox to `username@` its own domain, stored in lowercase, under the rule of "
    f"orders: {LOCAL_PART_RULE}. The new address must not belong to another mailbox. Password, two-factor "
    "seed, names and picture stay; the `mailbox.updated` webhook carries `previousEmail`. Sending the current "
    "username changes nothing.\n\n"
    "Every malformed field is named in one 400 answer; then an address already taken answers 400 naming "
    "`username`, and a mailbox not live (still being created, failed, suspended, removed) answers 422."
)


@router.patch(
    "",
    response_model=Envelope[ResellerMailbox],
    responses=NOT_FOUND
    | {
        400: {"model": ErrorEnvelope, "description": "Malformed fields (all named), or the new address is taken (username)"},
        422: {"model": ErrorEnvelope, "description": "The mailbox is not live (mailbox_not_live, mailbox_not_active)"},
    },
    summary="Update a mailbox: username (its address), first and last name, profile picture (base64 PNG or JPEG)",
    description=UPDATE_DESCRIPTION,
    openapi_extra=body_of(UpdateMailboxRequest),
)
def update_mailbox(request: Request, account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    issues = RequestProblems()
    username = mailboxes.check_local_part(issues, "username", body["username"]) if "username" in body else None
    names = {
        field: check.text(issues, field, body[field], max_length=NAME_MAX_LENGTH)
        for field in ("firstName", "lastName")
        if field in body
    }
    picture = _picture(issues, body.get("profilePicture"), runtime.decode_budget) if body.get("profilePicture") not in (None, "") else None
    if username is None and not names and picture is None and not issues:
        issues.add("body", "Send at least one of username, firstName, lastName, profilePicture")
    with runtime.db.write() as session:
        user = lookup_user(session, account, user_id_in(user_id, body), issues)
        mailbox = lookup_user_mailbox(session, account, user, body.get("mailboxId"), issues)
        issues.raise_if_any()
        assert mailbox is not None
        if username is not None:
            mailboxes.change_address(session, runtime, mailbox, username)
        if names:
            first = names.get("firstName") or mailbox.first_name
            last = names.get("lastName") or mailbox.last_name
            mailboxes.set_names(session, runtime, mailbox, first, last)
        if picture is not None:
            mailboxes.set_profile_picture(session, runtime, mailbox, picture)
        domain = session.get(Domain, mailbox.domain_id)
        assert domain is not None
        data = mailbox_body(mailbox, domain.name, public_base(request))
    return respond(data, "Mailbox updated successfully")


def _picture(issues: FieldIssues, value: Any, budget: DecodeBudget) -> Any:
    if not isinstance(value, str):
        issues.add("profilePicture", "Must be a base64-encoded PNG or JPEG image", check.shown(value))
        return None
    try:
        return check_picture(decode_base64(value), budget)
    except PictureRejected as exc:
        issues.add("profilePicture", str(exc), value[:64] + ("..." if len(value) > 64 else ""))
        return None


@router.delete(
    "",
    response_model=Envelope[None],
    responses=NOT_FOUND
    | {422: {"model": ErrorEnvelope, "description": "Not removable now (removal_too_close_to_renewal, mailbox_not_removable)"}},
    summary="Remove a mailbox (body or query: mailboxId; userId optional)",
    openapi_extra=body_of(RemoveMailboxRequest, required=False),
    description="Deleted at the host now; its subscription bills one mailbox fewer from the next renewal. Refused "
    "within 24 hours of the subscription's period end. Removing the last mailbox ends the subscription and deletes the workspace.",
)
def remove_mailbox(
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
    body: OptionalBodyDep,
    mailbox_id: Annotated[str | None, Query(alias="mailboxId")] = None,
) -> JSONResponse:
    wanted_user = user_id_in(user_id, body)
    with runtime.db.write() as session:
        problems = RequestProblems()
        user = lookup_given_user(session, account, wanted_user, problems)
        mailbox = _account_mailbox(session, account.id, user, mailbox_id or body.get("mailboxId"), problems)
        problems.raise_if_any()
        billing.remove_mailbox(session, runtime, mailbox, field="mailboxId")
    return respond(None, "Mailbox removed successfully")


def _account_mailbox(session: Any, account_id: str, user: Any, mailbox_id: Any, problems: RequestProblems) -> Any:
    """The reseller's mailbox (of `user` when given), or None with the problem noted."""
    wanted = required_id(problems, "mailboxId", mailbox_id)
    mailbox = session.get(Mailbox, wanted) if wanted else None
    if wanted and (mailbox is None or mailbox.account_id != account_id or (user is not None and mailbox.user_id != user.id)):
        problems.missing("Mailbox not found", "mailboxId", "No such mailbox of yours")
        return None
    return mailbox
