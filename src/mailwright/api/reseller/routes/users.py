"""The reseller's users (end customers): list, get, create, replace, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mailwright.api.reseller.deps import AccountDep, BodyDep, PageDep, RequiredUserIdDep, RuntimeDep, find_user, lookup_user
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.envelope import pagination, respond
from mailwright.api.reseller.presenters import user_body
from mailwright.api.reseller.schemas import Envelope, ErrorEnvelope, User, UserList, UserRequest, body_of
from mailwright.users import service as users

router = APIRouter(prefix="/users", tags=["Users (ColdMailReseller-style)"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorEnvelope, "description": "No such user of yours (data.errors names userId)"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": ErrorEnvelope, "description": "Email already used by another of your users"}}


@router.get("", response_model=Envelope[UserList], summary="List your users")
def list_users(account: AccountDep, runtime: RuntimeDep, page: PageDep) -> JSONResponse:
    with runtime.db.read() as session:
        found = users.list_users(session, account.id, page)
        data = {"users": [user_body(u) for u in found.items], "pagination": pagination(found)}
    return respond(data, "Users fetched successfully")


@router.get("/details", response_model=Envelope[User], responses=NOT_FOUND, summary="Get one user (?userId=)")
def get_user(account: AccountDep, runtime: RuntimeDep, user_id: RequiredUserIdDep) -> JSONResponse:
    with runtime.db.read() as session:
        data = user_body(find_user(session, account, user_id))
    return respond(data, "User fetched successfully")


@router.post(
    "",
    status_code=201,
    response_model=Envelope[User],
    responses=CONFLICT,
    summary="Create a user",
    openapi_extra=body_of(UserRequest),
)
def create_user(account: AccountDep, runtime: RuntimeDep, body: BodyDep) -> JSONResponse:
    clean = users.validate_user(body)
    with runtime.db.write() as session:
        data = user_body(users.create_user(session, account.id, clean))
    return respond(data, "User created successfully", 201)


@router.put(
    "",
    response_model=Envelope[User],
    responses=NOT_FOUND | CONFLICT,
    summary="Replace a user as a whole (?userId=)",
    openapi_extra=body_of(UserRequest),
)
def replace_user(account: AccountDep, runtime: RuntimeDep, user_id: RequiredUserIdDep, body: BodyDep) -> JSONResponse:
    with runtime.db.write() as session:
        problems = RequestProblems()
        user = lookup_user(session, account, user_id, problems)
        clean = users.validate_user(body, problems)
        assert user is not None
        data = user_body(users.replace_user(session, user, clean))
    return respond(data, "User updated successfully")


@router.delete(
    "",
    response_model=Envelope[None],
    responses=NOT_FOUND | {409: {"model": ErrorEnvelope, "description": "The user still has domains or mailboxes"}},
    summary="Delete a user without domains or mailboxes (?userId=)",
)
def delete_user(account: AccountDep, runtime: RuntimeDep, user_id: RequiredUserIdDep) -> JSONResponse:
    with runtime.db.write() as session:
        users.delete_user(session, find_user(session, account, user_id))
    return respond(None, "User deleted successfully")
