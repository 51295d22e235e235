"""The operator's pages: accounts (create, credit, keys), the work that waits, the providers.
Each action calls what the matching `mailwright` command calls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from mailwright.accounts import service as accounts
from mailwright.api.deps import get_runtime
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import FormDep, OperatorDep
from mailwright.dashboard.pages import page
from mailwright.dashboard.routes import PAGE_SIZE, see_other
from mailwright.domains import service as domains
from mailwright.errors import RuleViolation
from mailwright.money import CURRENCIES, InvalidAmount, Money, parse_minor
from mailwright.orders import service as orders
from mailwright.orders.models import OrderStatus
from mailwright.pagination import MAX_PAGE, PageRequest
from mailwright.providers.checks import check_all
from mailwright.wallet import service as wallet

router = APIRouter(prefix=f"{PREFIX}/operator", include_in_schema=False)
ACCOUNT_NAME_MAX = 200


@router.get("/accounts")
def account_list(
    request: Request,
    who: OperatorDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    return _accounts_page(request, who, q, page_number)


def _accounts_page(request: Request, who: OperatorDep, q: str = "", page_number: int = 1, *, problems: list[str] | None = None,
                   created: tuple[str, str] | None = None, status_code: int = 200) -> Response:
    with get_runtime(request).db.read() as session:
        found = accounts.accounts_page(session, PageRequest(page_number, PAGE_SIZE), search=q.strip())
        balances = {a.id: wallet.balance(session, a) for a in found.items}
    return page(request, "operator_accounts.html", who, status_code=status_code, found=found, balances=balances, q=q,
                currencies=CURRENCIES, problems=problems or [], created=created)


@router.post("/accounts")
def create_account(request: Request, who: OperatorDep, form: FormDep) -> Response:
    name, currency = str(form.get("name") or "").strip(), str(form.get("currency") or "")
    problems = []
    if not name or len(name) > ACCOUNT_NAME_MAX:
        problems.append(f"Name: give 1 to {ACCOUNT_NAME_MAX} characters")
    if currency not in CURRENCIES:
        problems.append(f"Currency: one of {', '.join(CURRENCIES)}")
    if problems:
        return _accounts_page(request, who, problems=problems, status_code=422)
    with get_runtime(request).db.write() as session:
        account, api_key = accounts.create_account(session, name, currency)
    # The new key is shown this once, as `mailwright accounts create` prints it.
    return _accounts_page(request, who, created=(account.id, api_key))


@router.get("/accounts/{account_id}")
def account_page(account_id: str, request: Request, who: OperatorDep) -> Response:
    return _account_page(request, who, account_id)


def _account_page(request: Request, who: OperatorDep, account_id: str, *, problems: list[str] | None = None,
                  new_key: str | None = None, status_code: int = 200) -> Response:
    with get_runtime(request).db.read() as session:
        account = accounts.get_account(session, account_id)
        balance = wallet.balance(session, account)
        entries = wallet.recent_entries(session, account.id, limit=10)
        keys = accounts.list_keys(session, account.id)
    return page(request, "operator_account.html", who, status_code=status_code, account=account, balance=balance,
                entries=entries, keys=keys, problems=problems or [], new_key=new_key)


@router.post("/accounts/{account_id}/credit")
def credit_wallet(account_id: str, request: Request, who: OperatorDep, form: FormDep) -> Response:
    description = str(form.get("description") or "").strip() or "Credit by the operator"
    try:
        minor = parse_minor(str(form.get("amount") or ""))
    except InvalidAmount as exc:
        return _account_page(request, who, account_id, problems=[f"Amount: {exc}"], status_code=422)
    if minor <= 0:
        return _account_page(request, who, account_id, problems=["Amount: must be more than zero"], status_code=422)
    with get_runtime(request).db.write() as session:
        account = accounts.get_account(session, account_id)
        wallet.credit(session, account, Money(minor, account.currency), description[:300])
    return see_other(f"{PREFIX}/operator/accounts/{account_id}")


@router.post("/accounts/{account_id}/keys")
def create_key(account_id: str, request: Request, who: OperatorDep, form: FormDep) -> Response:
    with get_runtime(request).db.write() as session:
        _, plain = accounts.create_key(session, account_id)
    return _account_page(request, who, account_id, new_key=plain)


@router.post("/accounts/{account_id}/keys/{key_id}/revoke")
def revoke_key(account_id: str, key_id: str, request: Request, who: OperatorDep, form: FormDep) -> Response:
    with get_runtime(request).db.write() as session:
        if not any(k.id == key_id for k in accounts.list_keys(session, account_id)):
            return _account_page(request, who, account_id, problems=["No such key in this account"], status_code=404)
        accounts.revoke_key(session, key_id)
    return see_other(f"{PREFIX}/operator/accounts/{account_id}")


@router.get("/work")
def work(request: Request, who: OperatorDep) -> Response:
    return _work_page(request, who)


def _work_page(request: Request, who: OperatorDep, *, problems: list[str] | None = None, status_code: int = 200) -> Response:
    with get_runtime(request).db.read() as session:
        parked_orders = orders.list_orders(session, status=OrderStatus.NEEDS_ACTION, limit=50)
        parked = orders.parked_items(session, [o.id for o in parked_orders])
        waiting = [{"order_id": o.id, "account_id": o.account_id, "retries": o.retries, "parked": parked[o.id]} for o in parked_orders]
        failures = domains.recent_failures(session, limit=50)
        refunds = wallet.recent_refunds(session, limit=50)
    return page(request, "operator_work.html", who, status_code=status_code, waiting=waiting, failures=failures,
                refunds=refunds, problems=problems or [])


@router.post("/work/{order_id}/retry")
def retry(order_id: str, request: Request, who: OperatorDep, form: FormDep) -> Response:
    """What `mailwright orders retry` does."""
    runtime = get_runtime(request)
    try:
        with runtime.db.write() as session:
            orders.retry_order(session, runtime, orders.find_order(session, order_id))
    except RuleViolation as exc:
        return _work_page(request, who, problems=[exc.message], status_code=422)
    return see_other(f"{PREFIX}/operator/work")


@router.get("/providers")
def providers(request: Request, who: OperatorDep) -> Response:
    """What `mailwright providers check` reports."""
    runtime = get_runtime(request)
    results = check_all(runtime.providers, runtime.settings)
    return page(request, "operator_providers.html", who, results=[r.payload() for r in results],
                ok=all(r.ok for r in results), real=runtime.providers.uses_real_provider)
