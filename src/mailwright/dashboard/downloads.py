"""Credentials as CSV files, in the export formats the API faces download (exports/csv_files.py).
A download is a form POST with the session's CSRF token: a file of passwords is handed out only
on a request this dashboard's own page made."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mailwright.api.csv_download import csv_download
from mailwright.api.deps import get_runtime
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import CustomerDep, FormDep
from mailwright.dashboard.pages import page
from mailwright.domains import service as domains
from mailwright.errors import FieldIssues
from mailwright.exports import csv_files
from mailwright.mailboxes.models import MailboxStatus

router = APIRouter(prefix=f"{PREFIX}/downloads", include_in_schema=False)


@router.get("")
def downloads(request: Request, who: CustomerDep) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        live = domains.mailbox_status_counts(session, who.account.id).get(MailboxStatus.LIVE, 0)
    return page(request, "downloads.html", who, formats=csv_files.FORMAT_NAMES, domain="", live=live)


@router.post("")
def download(request: Request, who: CustomerDep, form: FormDep) -> Response:
    assert who.account is not None
    runtime = get_runtime(request)
    issues = FieldIssues()
    chosen = csv_files.format_named(issues, str(form.get("format") or ""))
    if chosen is None:
        return page(request, "downloads.html", who, status_code=422, formats=csv_files.FORMAT_NAMES, domain="", live=True,
                    problems=[f"Format: {csv_files.FORMAT_RULE}"])
    domain_id, name = None, str(form.get("domain") or "").strip()
    if name:
        with runtime.db.read() as session:
            domain_id = domains.get_domain(session, who.account.id, name).id  # another account's: 404
    return csv_download(runtime, csv_files.ExportScope(who.account.id, domain_id=domain_id), chosen)
