"""A bulk order from a CSV upload (domain, first_name, last_name, email): every problem is listed
by its line before anything is paid, then the total, then one order placed once, as the order
form's (ordering.py). The file's rows become one DomainOrderRequest; the planner's field names
(domains[i], mailboxes[j].email) are turned back into the file's line numbers."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from mailwright.accounts.models import Account
from mailwright.api.deps import get_runtime
from mailwright.api.placing import place_once
from mailwright.catalog import service as catalog
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import CustomerDep, FormDep
from mailwright.dashboard.ordering import REGISTRANT
from mailwright.dashboard.pages import page
from mailwright.dashboard.routes import see_other
from mailwright.dashboard.sessions import Viewer
from mailwright.errors import FieldIssue, FieldIssues, RuleViolation
from mailwright.orders import service as orders
from mailwright.orders.requests import DomainOrderRequest, OrderPlan, RequestedDomain, RequestedMailbox
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet

router = APIRouter(prefix=f"{PREFIX}/order/bulk", include_in_schema=False)
COLUMNS = ("domain", "first_name", "last_name", "email")
MAX_BYTES = 1_000_000
_FIELD = re.compile(r"^(domains|mailboxes)\[(\d+)\]")


@dataclass(frozen=True)
class Row:
    line: int
    domain: str
    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class Upload:
    """The file's rows, and what is wrong with its shape (by line) before any row is planned."""

    rows: list[Row]
    problems: list[str]

    @classmethod
    def read(cls, text: str) -> Upload:
        reader = csv.reader(io.StringIO(text))
        header = [h.strip().lower() for h in next(reader, [])]
        if tuple(header) != COLUMNS:
            return cls([], [f"Line 1: the header must be {','.join(COLUMNS)}"])
        rows, problems = [], []
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(COLUMNS):
                problems.append(f"Line {line}: {len(cells)} cells; each line has {len(COLUMNS)} ({','.join(COLUMNS)})")
                continue
            rows.append(Row(line, *(c.strip() for c in cells)))
        if not rows and not problems:
            problems.append("The file has no lines after its header")
        return cls(rows, problems)

    def request(self, provider: str) -> tuple[DomainOrderRequest, dict[str, int]]:
        """The order, and the file line of each of its fields' prefixes (domains[i], mailboxes[j])."""
        domains: list[str] = []
        lines: dict[str, int] = {}
        for row in self.rows:
            if row.domain.lower() not in domains:
                lines[f"domains[{len(domains)}]"] = row.line
                domains.append(row.domain.lower())
        mailboxes = []
        for j, row in enumerate(self.rows):
            lines[f"mailboxes[{j}]"] = row.line
            mailboxes.append(RequestedMailbox.at(f"mailboxes[{j}]", row.email, row.first_name, row.last_name))
        request = DomainOrderRequest(
            provider=provider, domains=[RequestedDomain(d, f"domains[{i}]") for i, d in enumerate(domains)], mailboxes=mailboxes
        )
        return request, lines

    def as_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([(r.domain, r.first_name, r.last_name, r.email) for r in self.rows])
        return out.getvalue()


def by_line(error: RuleViolation, lines: dict[str, int]) -> list[str]:
    """The planner's problems, each against the file's line (and column) it came from."""
    return [_one(f, lines) for f in error.fields] or [error.message]


def _one(issue: FieldIssue, lines: dict[str, int]) -> str:
    found = _FIELD.match(issue.field)
    if not found:
        return f"{issue.field}: {issue.issue}"
    column = issue.field[found.end():].lstrip(".") or "domain"
    shown = f" ({issue.value})" if issue.value not in (None, "") else ""
    return f"Line {lines.get(found.group(0), '?')}, {column}: {issue.issue}{shown}"


def _plan(runtime: Runtime, account: Account, upload: Upload, provider: str, session: Session) -> tuple[OrderPlan, dict[str, int]]:
    request, lines = upload.request(provider)
    return orders.plan_domain_order(session, runtime.settings, runtime.providers, account, request, FieldIssues(), registrant=REGISTRANT), lines


def _form_page(request: Request, who: Viewer, problems: list[str] | None = None, status_code: int = 200) -> Response:
    runtime = get_runtime(request)
    assert who.account is not None
    with runtime.db.read() as session:
        prices = catalog.mailbox_prices(session, runtime.providers, who.account.currency)
    return page(request, "bulk.html", who, status_code=status_code, prices=prices, columns=COLUMNS, problems=problems or [])


@router.get("")
def bulk_form(request: Request, who: CustomerDep) -> Response:
    return _form_page(request, who)


@router.post("/review")
async def bulk_review(request: Request, who: CustomerDep, form: FormDep) -> Response:
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return _form_page(request, who, ["Choose a CSV file"], 422)
    raw = await file.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        return _form_page(request, who, [f"The file is over {MAX_BYTES // 1000} kB"], 422)
    try:
        upload = Upload.read(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _form_page(request, who, ["The file is not UTF-8 text"], 422)
    return _review(request, who, upload, str(form.get("provider") or ""))


def _review(request: Request, who: Viewer, upload: Upload, provider: str) -> Response:
    """Every problem of the file at once: its malformed lines, and what the planner finds in the others."""
    runtime = get_runtime(request)
    assert who.account is not None
    problems, planned = list(upload.problems), None
    try:
        with runtime.db.read() as session:
            if upload.rows:
                planned, _ = _plan(runtime, who.account, upload, provider, session)
            balance = wallet.balance(session, who.account)
    except RuleViolation as exc:
        problems += by_line(exc, upload.request(provider)[1])
    if problems or planned is None:
        return _form_page(request, who, sorted(problems, key=_line_number), 422)
    return page(request, "bulk_review.html", who, plan=planned, balance=balance, provider=provider,
                csv_text=upload.as_text(), idempotency_key=uuid.uuid4().hex, problems=[])


def _line_number(problem: str) -> int:
    found = re.match(r"Line (\d+)", problem)
    return int(found.group(1)) if found else 0


@router.post("/place")
def bulk_place(request: Request, who: CustomerDep, form: FormDep) -> Response:
    runtime, account = get_runtime(request), who.account
    assert account is not None
    upload, provider = Upload.read(str(form.get("csv") or "")), str(form.get("provider") or "")
    if upload.problems:
        return _form_page(request, who, upload.problems, 422)
    body: dict[str, Any] = {"provider": provider, "csv": upload.as_text()}
    key = str(form.get("idempotency_key") or "") or None
    try:
        answer = place_once(runtime, account, "dashboard/order/bulk", body, key,
                            lambda session: _plan(runtime, account, upload, provider, session)[0])
    except RuleViolation as exc:
        return _form_page(request, who, by_line(exc, upload.request(provider)[1]), 422)
    return see_other(f"{PREFIX}/orders/{answer.body['order_id']}")
