"""DNS records of a user's domain: list, add, update, delete. Mailwright's sending records are
listed too (managed: true) and only changed with force: true."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from mailwright.api import openapi

from mailwright.api.reseller.deps import (
    AccountDep,
    BodyDep,
    OptionalBodyDep,
    RequiredUserIdDep,
    RuntimeDep,
    UserIdDep,
    lookup_user,
    lookup_user_domain,
    required_id,
    user_id_in,
)
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.reseller.order_requests import flag
from mailwright.api.reseller.envelope import respond
from mailwright.api.reseller.schemas import DeleteDnsRecordRequest, DnsRecordBody, DnsRecordRequest, Envelope, ErrorEnvelope, body_of
from mailwright.dns import custom_records
from mailwright.dns.models import DnsRecord
from mailwright.domains.models import Domain
from mailwright.errors import NotFound

router = APIRouter(prefix="/domains/dns-records", tags=["DNS records (ColdMailReseller-style)"])
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "No such user, domain of the user, or record of the domain"},
    409: {"model": ErrorEnvelope, "description": "A record Mailwright manages for sending (managed_record): send force: true"},
    422: {"model": ErrorEnvelope, "description": "The domain's zone is not set up yet (domain_not_ready)"},
}


@router.get("", response_model=Envelope[list[DnsRecordBody]], responses=RESPONSES, summary="A domain's DNS records (?userId=&domainId=)")
def list_records(
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: RequiredUserIdDep,
    domain_id: Annotated[str | None, openapi.required_query("The user's domain", alias="domainId")] = None,
) -> JSONResponse:
    with runtime.db.read() as session:
        problems = RequestProblems()
        domain = _domain(session, account, user_id, domain_id, problems)
        problems.raise_if_any()
        assert domain is not None
        data = [_record(domain, r) for r in custom_records.list_records(session, domain)]
    return respond(data, "DNS records fetched successfully")


@router.post(
    "",
    status_code=201,
    response_model=Envelope[DnsRecordBody],
    responses=RESPONSES,
    summary="Add a DNS record",
    openapi_extra=body_of(DnsRecordRequest),
)
def add_record(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    with runtime.db.write() as session:
        problems = RequestProblems()
        domain = _domain(session, account, user_id_in(user_id, body), body.get("domainId"), problems)
        record, force = custom_records.validate(body, domain.name if domain else None, problems)
        assert domain is not None
        data = _record(domain, custom_records.add_record(session, runtime, domain, record, force=force))
    return respond(data, "DNS record added successfully", 201)


@router.put(
    "",
    response_model=Envelope[DnsRecordBody],
    responses=RESPONSES,
    summary="Replace a DNS record (recordId) as a whole",
    openapi_extra=body_of(DnsRecordRequest),
)
def update_record(account: AccountDep, runtime: RuntimeDep, user_id: UserIdDep, body: BodyDep) -> JSONResponse:
    with runtime.db.write() as session:
        problems = RequestProblems()
        domain = _domain(session, account, user_id_in(user_id, body), body.get("domainId"), problems)
        row = _find_record(session, domain, body.get("recordId"), problems)
        record, force = custom_records.validate(body, domain.name if domain else None, problems)
        assert domain is not None and row is not None
        data = _record(domain, custom_records.update_record(session, runtime, domain, row, record, force=force))
    return respond(data, "DNS record updated successfully")


@router.delete(
    "",
    response_model=Envelope[None],
    responses=RESPONSES,
    summary="Delete a DNS record (body or query: userId, domainId, recordId, force)",
    openapi_extra=body_of(DeleteDnsRecordRequest, required=False),
)
def delete_record(
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
    body: OptionalBodyDep,
    domain_id: Annotated[str | None, Query(alias="domainId")] = None,
    record_id: Annotated[str | None, Query(alias="recordId")] = None,
    force: Annotated[bool, Query()] = False,
) -> JSONResponse:
    with runtime.db.write() as session:
        problems = RequestProblems()
        forced = flag(problems, "force", body.get("force"), default=force)
        domain = _domain(session, account, user_id_in(user_id, body), domain_id or body.get("domainId"), problems)
        row = _find_record(session, domain, record_id or body.get("recordId"), problems)
        problems.raise_if_any()
        assert domain is not None and row is not None
        custom_records.delete_record(session, runtime, domain, row, force=forced)
    return respond(None, "DNS record deleted successfully")


def _domain(session: Any, account: Any, user_id: Any, domain_id: Any, problems: RequestProblems) -> Domain | None:
    return lookup_user_domain(session, account, lookup_user(session, account, user_id, problems), domain_id, problems)


def _find_record(session: Any, domain: Domain | None, record_id: Any, problems: RequestProblems) -> DnsRecord | None:
    wanted = required_id(problems, "recordId", record_id)
    if wanted is None or domain is None:
        return None
    try:
        return custom_records.get_record(session, domain, wanted)
    except NotFound:
        problems.missing("DNS record not found", "recordId", "No such record of this domain")
        return None


def _record(domain: Domain, row: DnsRecord) -> dict[str, Any]:
    return {
        "recordId": row.id,
        "type": row.type,
        "name": row.name,
        "fqdn": domain.name if row.name == "@" else f"{row.name}.{domain.name}",
        "content": row.value,
        "ttl": row.ttl,
        "priority": row.priority,
        "managed": row.managed,
        "purpose": row.purpose,
    }
