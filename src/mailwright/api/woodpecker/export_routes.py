"""Woodpecker-style CSV download of the account's live mailboxes, in a sending platform's
bulk-import format (exports/csv_files.py). Same key, errors and style as routes.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from mailwright.api import openapi
from mailwright.api.csv_download import CSV_RESPONSE, csv_download
from mailwright.api.woodpecker.routes import ERRORS, NOT_FOUND, AccountDep, RuntimeDep
from mailwright.domains import service as domains
from mailwright.errors import FieldIssues
from mailwright.exports import csv_files

# Registered before routes.py's router, whose /{domain_name}/... paths must never see "mailboxes".
router = APIRouter(prefix="/rest/v2/domains", tags=["Domains (Woodpecker-style)"], responses=ERRORS)

DESCRIPTION = (
    "One row per LIVE mailbox of your account, in the chosen platform's bulk-import format: `instantly`, "
    "`smartlead` and `woodpecker` have that platform's own header row; `generic` has every credential "
    "column (email, first_name, last_name, password, smtp_host, smtp_port, imap_host, imap_port, "
    "sign_in_note). Rows are ordered by address; `domain` narrows them to one domain. Daily limit and "
    "warm-up columns carry the operator's defaults. A cell that a spreadsheet would read as a formula "
    "(starting with = + - @) starts with an apostrophe, and every cell is quoted. "
    "(Mailwright extension)"
)


@router.get(
    "/mailboxes/export",
    summary="Your live mailboxes' credentials as a CSV file for a sending platform (Mailwright extension)",
    description=DESCRIPTION,
    response_class=StreamingResponse,
    responses={200: CSV_RESPONSE, **NOT_FOUND},
)
def export_mailboxes(
    account: AccountDep,
    runtime: RuntimeDep,
    csv_format: Annotated[
        str | None, openapi.required_query("The file's format", alias="format", enum=csv_files.FORMAT_NAMES)
    ] = None,
    domain: Annotated[str | None, Query(description="Only this domain's mailboxes, e.g. piedpiper.com")] = None,
) -> StreamingResponse:
    issues = FieldIssues()
    chosen = csv_files.format_named(issues, csv_format)
    issues.raise_if_any()
    assert chosen is not None
    domain_id = None
    if domain:
        with runtime.db.read() as session:
            domain_id = domains.get_domain(session, account.id, domain).id  # another account's: 404
    return csv_download(runtime, csv_files.ExportScope(account.id, domain_id=domain_id), chosen)
