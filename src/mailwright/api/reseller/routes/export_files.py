"""Credentials as CSV files in a sending platform's bulk-import format (exports/csv_files.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from mailwright.api import openapi
from mailwright.api.reseller.deps import AccountDep, RuntimeDep, UserIdDep, lookup_given_user, lookup_user_domain
from mailwright.api.reseller.errors import RequestProblems
from mailwright.api.csv_download import CSV_RESPONSE, csv_download
from mailwright.api.reseller.schemas import ErrorEnvelope
from mailwright.domains.models import Domain
from mailwright.exports import csv_files

router = APIRouter(prefix="/exports", tags=["Exports (ColdMailReseller-style)"])

DESCRIPTION = (
    "One row per LIVE mailbox, in the chosen platform's bulk-import format: `instantly`, `smartlead` and "
    "`woodpecker` have that platform's own header row; `generic` has every credential column (email, "
    "first_name, last_name, password, smtp_host, smtp_port, imap_host, imap_port, sign_in_note). Rows are "
    "ordered by address. With `userId`, only that user's mailboxes; without, every mailbox of your account; "
    "`domainId` narrows it to one domain (of that user, when one is given). Daily limit and warm-up "
    "columns carry the operator's defaults. A cell that a spreadsheet would read as a formula "
    "(starting with = + - @) starts with an apostrophe, and every cell is quoted."
)


@router.get(
    "/csv",
    summary="Your live mailboxes' credentials as a CSV file for a sending platform",
    description=DESCRIPTION,
    response_class=StreamingResponse,
    responses={
        200: CSV_RESPONSE,
        404: {"model": ErrorEnvelope, "description": "No such user, or no such domain (of the user) (data.errors names which)"},
    },
)
def export_csv(
    account: AccountDep,
    runtime: RuntimeDep,
    user_id: UserIdDep,
    csv_format: Annotated[
        str | None, openapi.required_query("The file's format", alias="format", enum=csv_files.FORMAT_NAMES)
    ] = None,
    domain_id: Annotated[str | None, Query(alias="domainId", description="Only this domain's mailboxes")] = None,
) -> StreamingResponse:
    problems = RequestProblems()
    chosen = csv_files.format_named(problems, csv_format)
    with runtime.db.read() as session:
        user = lookup_given_user(session, account, user_id, problems)
        domain = None
        if domain_id and user is not None:
            domain = lookup_user_domain(session, account, user, domain_id, problems)
        elif domain_id and user_id is None:
            domain = _account_domain(session, account.id, domain_id, problems)
    problems.raise_if_any()
    assert chosen is not None
    scope = csv_files.ExportScope(account.id, user.id if user else None, domain.id if domain else None)
    return csv_download(runtime, scope, chosen)


def _account_domain(session: Session, account_id: str, domain_id: str, problems: RequestProblems) -> Domain | None:
    """Any domain of the account (of whichever user), or None with the problem noted."""
    domain = session.get(Domain, domain_id)
    if domain is None or domain.account_id != account_id:
        problems.missing("Domain not found", "domainId", "No such domain in your account")
        return None
    return domain
