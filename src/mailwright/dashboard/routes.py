"""The dashboard's pages: signing in and out, and what a customer sees. Thin, as the API faces
are: read the form, call the services, render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from mailwright import clock, totp
from mailwright.api.deps import get_runtime
from mailwright.api.woodpecker.presenters import PICTURES_PATH, mailbox_detail
from mailwright.dashboard import PREFIX, sessions
from mailwright.dashboard.auth import SIGN_IN_PATH, CustomerDep, FormDep, ViewerDep, sign_in_throttle
from mailwright.dashboard.pages import page
from mailwright.dashboard.sessions import Viewer
from mailwright.dns import service as dns
from mailwright.domains import service as domains
from mailwright.domains.models import DomainStatus
from mailwright.exports import csv_files
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.pictures import MAX_BYTES as MAX_PICTURE_BYTES
from mailwright.mailboxes.pictures import PictureRejected, check_picture
from mailwright.money import Money
from mailwright.orders import service as orders
from mailwright.orders.models import OrderStatus
from mailwright.pagination import MAX_PAGE, PageRequest
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet

router = APIRouter(prefix=PREFIX, include_in_schema=False)

IN_FLIGHT = (OrderStatus.PROCESSING, OrderStatus.NEEDS_ACTION)
DOMAIN_STATUSES = (
    DomainStatus.ORDERED, DomainStatus.REGISTERED, DomainStatus.DNS_CONFIGURED, DomainStatus.READY,
    DomainStatus.NEEDS_ACTION, DomainStatus.FAILED, DomainStatus.RELEASED,
)
PAGE_SIZE = 25
PageNumber = Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)]


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def _secure(runtime: Runtime) -> bool:
    return runtime.settings.public_url.lower().startswith("https://")


# ---------------------------------------------------------------- signing in and out


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request, get_runtime(request))


def _sign_in_page(request: Request, runtime: Runtime, error: str | None = None, status_code: int = 200) -> Response:
    # Double-submit: the form's token must match this cookie's (there is no session yet).
    token = sessions.new_token()
    response = page(request, "sign_in.html", None, status_code=status_code, sign_in_csrf=token, error=error)
    response.set_cookie(
        sessions.SIGN_IN_COOKIE, token, max_age=3600, path=SIGN_IN_PATH, httponly=True, samesite="lax", secure=_secure(runtime)
    )
    return response


@router.post("/sign-in")
def sign_in(
    request: Request, key: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = ""
) -> Response:
    runtime = get_runtime(request)
    if not sessions.same_token(csrf_token, request.cookies.get(sessions.SIGN_IN_COOKIE, "")):
        return _sign_in_page(request, runtime, "The sign-in form expired: please try again.", 403)
    failures, client = sign_in_throttle(request)
    retry_after = failures.retry_after(client)
    if retry_after is not None:
        response = _sign_in_page(request, runtime, f"Too many failed sign-ins from your address; try again in {retry_after} s.", 429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    with runtime.db.write() as session:
        signed = sessions.sign_in(session, key.strip())
    if signed is None:
        failures.acquire(client)
        return _sign_in_page(request, runtime, "That key is not valid (unknown or revoked).", 401)
    response = see_other(f"{PREFIX}/operator/accounts" if signed.viewer.is_operator else PREFIX)
    response.set_cookie(
        sessions.COOKIE,
        signed.token,
        max_age=int(sessions.LIFETIME.total_seconds()),
        path=PREFIX,
        httponly=True,
        samesite="lax",
        secure=_secure(runtime),
    )
    response.delete_cookie(sessions.SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/sign-out")
def sign_out(request: Request, who: ViewerDep, form: FormDep) -> Response:
    with get_runtime(request).db.write() as session:
        sessions.sign_out(session, who)
    response = see_other(SIGN_IN_PATH)
    response.delete_cookie(sessions.COOKIE, path=PREFIX)
    return response


# ---------------------------------------------------------------- overview


@router.get("")
def overview(request: Request, who: ViewerDep) -> Response:
    if who.account is None:
        return see_other(f"{PREFIX}/operator/accounts")
    account = who.account
    with get_runtime(request).db.read() as session:
        balance = wallet.balance(session, account)
        entries = wallet.recent_entries(session, account.id, limit=10)
        domain_counts = domains.status_counts(session, account.id)
        mailbox_counts = domains.mailbox_status_counts(session, account.id)
        in_flight = _orders_in_flight(session, account.id)
    return page(
        request, "overview.html", who,
        balance=balance, entries=entries, domain_counts=domain_counts, mailbox_counts=mailbox_counts, in_flight=in_flight,
    )


@router.get("/orders/in-flight")
def orders_in_flight(request: Request, who: CustomerDep) -> Response:
    """The overview's live part, polled by the page."""
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        in_flight = _orders_in_flight(session, who.account.id)
    return page(request, "_in_flight.html", who, in_flight=in_flight)


def _orders_in_flight(session: Any, account_id: str) -> list[dict[str, Any]]:
    found = [o for status in IN_FLIGHT for o in orders.list_orders(session, account_id=account_id, status=status, limit=20)]
    counts = orders.progress(session, [o.id for o in found])
    return [{"order_id": o.id, "status": o.status, "done": counts[o.id][0], "item_count": counts[o.id][1]}
            for o in sorted(found, key=lambda o: o.created_at, reverse=True)]


def _order_view(session: Any, order: Any, page_number: int) -> dict[str, Any]:
    """The order's progress (its items counted in the database) and one page of its items."""
    done, item_count = orders.progress(session, [order.id])[order.id]
    domains_page, mailboxes_page = orders.order_items(session, order.id, PageRequest(page_number, PAGE_SIZE))
    return {
        "order_id": order.id, "status": order.status, "total": Money(order.total_minor, order.currency),
        "done": done, "item_count": item_count, "final": order.status not in (OrderStatus.PROCESSING, OrderStatus.CREATED),
        "domains": domains_page, "mailboxes": mailboxes_page, "page": page_number,
        "pages": max(domains_page.total_pages, mailboxes_page.total_pages, 1),
    }


@router.get("/orders/{order_id}")
def order_page(order_id: str, request: Request, who: CustomerDep, page_number: PageNumber = 1) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        order = _order_view(session, orders.get_order(session, who.account.id, order_id), page_number)
    return page(request, "order_status.html", who, order=order)


@router.get("/orders/{order_id}/progress")
def order_progress(order_id: str, request: Request, who: CustomerDep, page_number: PageNumber = 1) -> Response:
    """The order page's live part (the page of items it shows), polled by the page."""
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        order = _order_view(session, orders.get_order(session, who.account.id, order_id), page_number)
    return page(request, "_order_progress.html", who, order=order)


# ---------------------------------------------------------------- domains and mailboxes


@router.get("/domains")
def domain_list(
    request: Request,
    who: CustomerDep,
    q: Annotated[str, Query(max_length=253)] = "",
    status: Annotated[str, Query()] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    assert who.account is not None
    status = status if status in DOMAIN_STATUSES else ""
    with get_runtime(request).db.read() as session:
        found = domains.account_domains(session, who.account.id, PageRequest(page_number, PAGE_SIZE), search=q.strip(), status=status)
        counts = domains.mailbox_counts(session, [d.id for d in found.items])
    return page(
        request, "domains.html", who, found=found, counts=counts, q=q, status=status, statuses=DOMAIN_STATUSES,
    )


@router.get("/domains/{domain_name}")
def domain_page(domain_name: str, request: Request, who: CustomerDep) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        domain = domains.get_domain(session, who.account.id, domain_name)
        records = [dns.record_view(domain.name, r) for r in dns.records_of(session, domain.id)]
        boxes = mailboxes.domain_mailboxes(session, domain)
    return page(request, "domain.html", who, domain=domain, records=records, mailboxes=boxes, formats=csv_files.FORMAT_NAMES)


@router.get("/domains/{domain_name}/mailboxes/{email}")
def mailbox_page(domain_name: str, email: str, request: Request, who: CustomerDep) -> Response:
    return _mailbox_page(request, who, domain_name, email, revealed=False)


@router.post("/domains/{domain_name}/mailboxes/{email}/reveal")
def reveal_mailbox(domain_name: str, email: str, request: Request, who: CustomerDep, form: FormDep) -> Response:
    return _mailbox_page(request, who, domain_name, email, revealed=True)


def _mailbox_page(request: Request, who: Viewer, domain_name: str, email: str, *, revealed: bool,
                  problems: list[str] | None = None, status_code: int = 200) -> Response:
    runtime = get_runtime(request)
    assert who.account is not None
    with runtime.db.read() as session:
        domain = domains.get_domain(session, who.account.id, domain_name)
        mailbox = mailboxes.get_mailbox(session, domain, email)
        # Credentials are read (decrypted) only when asked for: never in the page before that.
        detail = mailbox_detail(runtime, mailbox, (runtime.settings.public_url or str(request.base_url)).rstrip("/")) if revealed else None
    return page(
        request, "mailbox.html", who, status_code=status_code, domain=domain, mailbox=mailbox, detail=detail,
        seconds_left=_seconds_left(clock.now()), pictures_path=PICTURES_PATH, problems=problems or [],
    )


@router.post("/domains/{domain_name}/mailboxes/{email}/code")
def one_time_code(domain_name: str, email: str, request: Request, who: CustomerDep, form: FormDep) -> Response:
    """The current one-time code as a fragment, for the mailbox page's countdown (a POST with the
    CSRF token: a code is a credential)."""
    runtime = get_runtime(request)
    assert who.account is not None
    with runtime.db.read() as session:
        mailbox = mailboxes.get_mailbox(session, domains.get_domain(session, who.account.id, domain_name), email)
        code = mailboxes.one_time_code(runtime, mailbox)
    return page(request, "_code.html", who, code=code, seconds_left=_seconds_left(clock.now()))


@router.post("/domains/{domain_name}/mailboxes/{email}/picture")
async def upload_picture(domain_name: str, email: str, request: Request, who: CustomerDep, form: FormDep) -> Response:
    """A new profile picture, checked and set as the API's PATCH .../profile_picture does."""
    runtime = get_runtime(request)
    assert who.account is not None
    upload = form.get("picture")
    data = await upload.read(MAX_PICTURE_BYTES + 1) if isinstance(upload, UploadFile) else b""
    picture, problem = None, "Picture: choose a PNG or JPEG file"
    try:
        if data:
            picture = check_picture(data, runtime.decode_budget)
    except PictureRejected as exc:
        problem = f"Picture: {exc}"
    if picture is None:
        return _mailbox_page(request, who, domain_name, email, revealed=False, problems=[problem], status_code=422)
    with runtime.db.write() as session:
        mailbox = mailboxes.get_mailbox(session, domains.get_domain(session, who.account.id, domain_name), email)
        mailboxes.set_profile_picture(session, runtime, mailbox, picture)
    return see_other(f"{PREFIX}/domains/{domain_name}/mailboxes/{email}")


def _seconds_left(now: dt.datetime) -> int:
    return totp.STEP_SECONDS - int(now.timestamp()) % totp.STEP_SECONDS
