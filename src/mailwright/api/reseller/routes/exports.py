"""Exports to sending platforms (Instantly, Smartlead, Woodpecker) on the ColdMailReseller-style
face: register a platform with its API key (checked at the platform, stored encrypted, never
shown again), export mailboxes (or every live mailbox of domains) to it, watch the export, export
one mailbox again.

`?userId=` scopes as elsewhere: given, everything named must be that user's (a platform made
with it belongs to the user); absent, the reseller acts on its own platforms, and finds
platforms and exports by id among all of its own. A user's platform only ever takes that user's
mailboxes. Another reseller's platform, export or mailbox does not exist here (404)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from mailwright.accounts.models import Account
from mailwright.api.reseller.deps import AccountDep, BodyDep, RuntimeDep, UserIdDep, lookup_given_user, required_id, user_id_in
from mailwright.api.reseller.envelope import respond
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.schemas import Envelope, ErrorEnvelope, body_of
from mailwright.domains.models import Domain
from mailwright.errors import NotFound
from mailwright.exports import service as exports
from mailwright.exports.models import Export, ExportPlatform
from mailwright.mailboxes.models import Mailbox
from mailwright.net.outbound import OutboundPolicy
from mailwright.orders import idempotency
from mailwright.users.models import ResellerUser
from mailwright.wallet import service as wallet

router = APIRouter(prefix="/exports", tags=["Exports to sending platforms (ColdMailReseller-style)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such platform, export, mailbox, domain (or user) of yours (data.errors names which)"}
}
IdempotencyKeyDep = Annotated[
    str | None, Header(alias=idempotency.HEADER, description="A repeat with the same key is answered with the first answer; one export is made")
]
PLATFORMS = ", ".join(exports.ADAPTERS)


class PlatformRequest(BaseModel):
    platform: str = Field(description=f"One of {PLATFORMS}")
    name: str = Field(description="Your name for this account at the platform, e.g. Outreach team")
    apiKey: str = Field(description="The platform's API key; checked at the platform, stored encrypted, never shown again")
    baseUrl: str | None = Field(None, description="The platform's API (default its public one); public addresses only unless the operator allows private ones")


class PlatformBody(BaseModel):
    platformId: str
    platform: str = Field(description=PLATFORMS)
    name: str
    baseUrl: str = Field(description="The API Mailwright calls")


class PlatformList(BaseModel):
    platforms: list[PlatformBody]


class ExportRequest(BaseModel):
    platformId: str = Field(description="A platform of yours (POST /exports/platforms)")
    mailboxIds: list[str] | None = Field(None, description="The mailboxes to export (XOR domainIds)")
    domainIds: list[str] | None = Field(None, description="Every live mailbox of these domains (XOR mailboxIds)")


class ReExportRequest(BaseModel):
    platformId: str = Field(description="A platform of yours (POST /exports/platforms)")


class ExportCreated(BaseModel):
    exportId: str


class ExportMailbox(BaseModel):
    mailboxId: str
    email: str
    status: str = Field(description="PENDING (on its way or between retries), EXPORTED, FAILED")
    error: str | None = Field(description="Why it failed: the platform's own message, or why the mailbox cannot be exported over an API")
    remoteId: str | None = Field(description="The platform's id of the email account, once exported")


class ExportBody(BaseModel):
    exportId: str
    status: str = Field(description="PENDING, COMPLETED, PARTIALLY_COMPLETED or FAILED (from its mailboxes)")
    mailboxes: list[ExportMailbox]


DOCUMENTED_MODELS: tuple[type[BaseModel], ...] = (PlatformRequest, ExportRequest, ReExportRequest)


# ------------------------------------------------------------------ platforms


@router.post(
    "/platforms",
    status_code=201,
    response_model=Envelope[PlatformBody],
    responses=NOT_FOUND | {503: {"model": ErrorEnvelope, "description": "The platform did not answer the key check; try again"}},
    summary="Register a sending platform account (its API key is checked there first)",
    description=(
        "The key is checked with the platform's cheapest authenticated call before anything is stored: a key the platform "
        "refuses answers 400 naming `apiKey`. It is stored encrypted and never shown again (not by GET, not in webhooks "
        "or logs). `baseUrl` defaults to the platform's public API; another one must resolve to public addresses only "
        "(400 naming `baseUrl`) unless the operator allows private ones (MAILWRIGHT_OUTBOUND_ALLOW_PRIVATE). "
        "With `userId` the platform is that user's, and takes only that user's mailboxes."
    ),
    openapi_extra=body_of(PlatformRequest),
)
def create_platform(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    policy = OutboundPolicy.of(runtime.settings)
    problems = RequestProblems()
    new = exports.check_new_platform(problems, body, policy)
    with runtime.db.read() as session:
        user = lookup_given_user(session, account, user_id_in(user_id, body), problems)
    problems.raise_if_any()
    assert new is not None
    exports.probe(new, policy)  # outside any transaction: an outside call
    with runtime.db.write() as session:
        row = exports.add_platform(session, runtime.secrets, account_id=account.id, user_id=user.id if user else None, new=new)
        data = platform_body(row)
    return respond(data, "Sending platform added successfully", 201)


@router.get("/platforms", response_model=Envelope[PlatformList], responses=NOT_FOUND, summary="Your sending platforms (no keys)")
def list_platforms(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep) -> JSONResponse:
    with runtime.db.read() as session:
        problems = RequestProblems()
        user = lookup_given_user(session, account, user_id, problems)
        problems.raise_if_any()
        rows = exports.platforms_of(session, account.id, user.id if user else None)
        data = {"platforms": [platform_body(r) for r in rows]}
    return respond(data, "Sending platforms fetched successfully")


@router.delete(
    "/platforms/{platformId}",
    response_model=Envelope[None],
    responses=NOT_FOUND,
    summary="Remove a sending platform",
    description="Mailwright forgets the key and exports nothing more there; what the platform already has stays there.",
)
def delete_platform(
    platformId: str,  # noqa: N803 - the family's style of path parameter
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
) -> JSONResponse:
    with runtime.db.write() as session:
        problems = RequestProblems()
        user = lookup_given_user(session, account, user_id, problems)
        platform = _platform(session, account, user, platformId, problems)
        problems.raise_if_any()
        assert platform is not None
        exports.remove_platform(session, platform)
    return respond(None, "Sending platform removed successfully")


# ------------------------------------------------------------------ exports


@router.post(
    "",
    status_code=202,
    response_model=Envelope[ExportCreated],
    responses=NOT_FOUND,
    summary="Export mailboxes (mailboxIds) or every live mailbox of domains (domainIds) to a platform",
    description=(
        "Each mailbox is one durable step: the platform is asked for the address first and the account is added only if "
        "it is missing, so a retry or a restart never adds it twice; rate limits and the platform's failures are retried "
        "with backoff (and its Retry-After). A refusal fails that mailbox with the platform's own message; the rest go "
        "on. A mailbox that is not live, or whose host does not allow password SMTP/IMAP (Google Workspace), fails with "
        "the reason, without a call to the platform. Watch it with GET /exports/{exportId} or the `mailbox.exported` "
        "and `mailbox.export.failed` webhooks. An `Idempotency-Key` makes a repeat answer the first answer."
    ),
    openapi_extra=body_of(ExportRequest),
)
def create_export(
    account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep, idempotency_key: IdempotencyKeyDep = None
) -> JSONResponse:
    wanted_user = user_id_in(user_id, body)
    request = idempotency.KeyedRequest.of(account.id, idempotency_key, "reseller/exports", {"userId": wanted_user, "body": body})
    with runtime.db.write() as session:
        wallet.lock_account(session, account.id)  # one at a time per account, so a keyed twin sees this one's record
        stored = request.replay(session)
        if stored:
            return JSONResponse(stored.body, status_code=stored.status_code)
        platform, mailboxes = _export_request(session, account, wanted_user, body)
        export = exports.start_export(session, runtime, platform, mailboxes, idempotency_key=request.key)
        answer = {"status": 202, "message": "Export started", "data": {"exportId": export.id}}
        request.remember(session, 202, answer)
    return JSONResponse(answer, status_code=202)


@router.get("/{exportId}", response_model=Envelope[ExportBody], responses=NOT_FOUND, summary="An export and each of its mailboxes")
def get_export(
    exportId: str,  # noqa: N803 - the family's style of path parameter
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
) -> JSONResponse:
    with runtime.db.read() as session:
        problems = RequestProblems()
        user = lookup_given_user(session, account, user_id, problems)
        try:
            export: Export | None = exports.get_export(session, account.id, exportId, user.id if user else None)
        except NotFound:
            export = None
            problems.missing("Export not found", "exportId", "No such export of yours")
        problems.raise_if_any()
        assert export is not None
        data = export_body(session, export)
    return respond(data, "Export fetched successfully")


@router.post(
    "/mailboxes/{mailboxId}/re-export",
    status_code=202,
    response_model=Envelope[ExportCreated],
    responses=NOT_FOUND,
    summary="Export one mailbox again (after a failure, or if it was deleted at the platform)",
    description="A new export of this one mailbox: looked up at the platform first, added only if missing.",
    openapi_extra=body_of(ReExportRequest),
)
def re_export(
    mailboxId: str,  # noqa: N803 - the family's style of path parameter
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
    body: BodyDep,
) -> JSONResponse:
    with runtime.db.write() as session:
        problems = RequestProblems()
        user = lookup_given_user(session, account, user_id_in(user_id, body), problems)
        platform = _platform(session, account, user, body.get("platformId"), problems)
        mailbox = _mailbox(session, account, user, mailboxId, problems, "mailboxId")
        _fits(platform, [(mailbox, "mailboxId")], problems)
        problems.raise_if_any()
        assert platform is not None and mailbox is not None
        export = exports.start_export(session, runtime, platform, [mailbox])
        data = {"exportId": export.id}
    return respond(data, "Export started", 202)


# ------------------------------------------------------------------ helpers


def _export_request(session: Session, account: Account, user_id: Any, body: dict[str, Any]) -> tuple[ExportPlatform, list[Mailbox]]:
    """The platform and mailboxes of POST /exports; every problem named at once."""
    problems = RequestProblems()
    user = lookup_given_user(session, account, user_id, problems)
    platform = _platform(session, account, user, body.get("platformId"), problems)
    mailbox_ids, domain_ids = body.get("mailboxIds"), body.get("domainIds")
    named: list[tuple[Mailbox | None, str]] = []
    if (mailbox_ids is None) == (domain_ids is None):
        problems.add("mailboxIds", "Give either mailboxIds or domainIds (a list of ids)")
    elif mailbox_ids is not None:
        for index, value in enumerate(_id_list(problems, "mailboxIds", mailbox_ids)):
            field = f"mailboxIds[{index}]"
            named.append((_mailbox(session, account, user, value, problems, field), field))
    else:
        for index, value in enumerate(_id_list(problems, "domainIds", domain_ids)):
            field = f"domainIds[{index}]"
            domain = _domain(session, account, user, value, problems, field)
            if domain is not None:
                live = exports.live_mailboxes(session, domain.id)
                if not live:
                    problems.add(field, "The domain has no live mailbox", value)
                named += [(m, field) for m in live]
    _fits(platform, named, problems)
    problems.raise_if_any()
    assert platform is not None
    unique = {m.id: m for m, _ in named if m is not None}
    return platform, list(unique.values())


def _id_list(problems: RequestProblems, field: str, value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        problems.add(field, "Must be a non-empty list of ids")
        return []
    if len(value) > exports.MAX_MAILBOXES_PER_EXPORT:
        problems.add(field, f"At most {exports.MAX_MAILBOXES_PER_EXPORT} ids")
        return []
    return value


def _platform(session: Session, account: Account, user: ResellerUser | None, value: Any, problems: RequestProblems) -> ExportPlatform | None:
    wanted = required_id(problems, "platformId", value)
    if wanted is None:
        return None
    try:
        return exports.get_platform(session, account.id, wanted, user.id if user else None)
    except NotFound:
        problems.missing("Sending platform not found", "platformId", "No such sending platform of yours")
        return None


def _mailbox(session: Session, account: Account, user: ResellerUser | None, value: Any, problems: RequestProblems, field: str) -> Mailbox | None:
    wanted = required_id(problems, field, value)
    mailbox = session.get(Mailbox, wanted) if wanted else None
    if wanted and (mailbox is None or mailbox.account_id != account.id or (user is not None and mailbox.user_id != user.id)):
        problems.missing("Mailbox not found", field, "No such mailbox of yours")
        return None
    return mailbox


def _domain(session: Session, account: Account, user: ResellerUser | None, value: Any, problems: RequestProblems, field: str) -> Domain | None:
    wanted = required_id(problems, field, value)
    domain = session.get(Domain, wanted) if wanted else None
    if wanted and (domain is None or domain.account_id != account.id or (user is not None and domain.user_id != user.id)):
        problems.missing("Domain not found", field, "No such domain of yours")
        return None
    return domain


def _fits(platform: ExportPlatform | None, named: list[tuple[Mailbox | None, str]], problems: RequestProblems) -> None:
    """A user's platform takes only that user's mailboxes."""
    if platform is None:
        return
    for mailbox, field in named:
        if mailbox is not None and not exports.mailbox_fits_platform(mailbox, platform):
            problems.add(field, "This platform belongs to one of your users and takes only that user's mailboxes", mailbox.id)


def platform_body(row: ExportPlatform) -> dict[str, Any]:
    return {"platformId": row.id, "platform": row.platform, "name": row.name, "baseUrl": exports.base_url_of(row)}


def export_body(session: Session, export: Export) -> dict[str, Any]:
    items = exports.items_of(session, export.id)
    return {
        "exportId": export.id,
        "status": exports.status_of(items),
        "mailboxes": [
            {"mailboxId": i.mailbox_id, "email": i.email, "status": i.status.upper(), "error": i.error, "remoteId": i.remote_id}
            for i in items
        ],
    }
