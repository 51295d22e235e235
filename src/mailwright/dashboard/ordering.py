"""Ordering from the dashboard: search names by a phrase (prices from the price book), choose
names, provider and mailbox patterns, see the total, then pay once. Planned and placed by the
same services, and through the same idempotent placing, as the Woodpecker-style API's orders."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from mailwright.accounts.models import Account
from mailwright.api.deps import get_runtime
from mailwright.api.placing import place_once
from mailwright.catalog import service as catalog
from mailwright.dashboard import PREFIX
from mailwright.dashboard.auth import CustomerDep, FormDep
from mailwright.dashboard.pages import page
from mailwright.dashboard.routes import see_other
from mailwright.dashboard.sessions import Viewer
from mailwright.errors import FieldIssues, RuleViolation
from mailwright.orders import service as orders
from mailwright.orders.requests import DomainOrderRequest, OrderPlan, RequestedDomain, RequestedMailbox
from mailwright.owners import service as owners
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet

router = APIRouter(prefix=f"{PREFIX}/order", include_in_schema=False)

# Mailbox address patterns offered for the person's name.
PATTERNS = {
    "first": "first@",
    "first.last": "first.last@",
    "f.last": "f.last@",
}
# Registered to the account's domain owner, else to the operator's default registrant (as the
# reseller-style face does), so that a new account can order at once on the sandbox.
REGISTRANT = owners.RegistrantChoice(operator_default=True)


@dataclass(frozen=True)
class Choice:
    """What the order form says: the names, the provider, and whose mailboxes in which patterns."""

    provider: str
    domains: list[str]
    first_name: str
    last_name: str
    patterns: list[str]

    @classmethod
    def of(cls, form: FormData) -> Choice:
        return cls(
            provider=str(form.get("provider") or ""),
            domains=[str(d) for d in form.getlist("domain") if str(d).strip()],
            first_name=str(form.get("first_name") or "").strip(),
            last_name=str(form.get("last_name") or "").strip(),
            patterns=[str(p) for p in form.getlist("pattern") if p in PATTERNS],
        )

    def body(self) -> dict[str, Any]:
        """What the idempotency key is bound to: the same key with another choice is refused."""
        return {"provider": self.provider, "domains": self.domains, "first_name": self.first_name,
                "last_name": self.last_name, "patterns": self.patterns}

    def request(self) -> DomainOrderRequest:
        locals_ = self.local_parts()
        addresses = [f"{local}@{domain}" for domain in self.domains for local in locals_]
        return DomainOrderRequest(
            provider=self.provider,
            domains=[RequestedDomain(d, f"domains[{i}]") for i, d in enumerate(self.domains)],
            mailboxes=[
                RequestedMailbox.at(f"mailboxes[{i}]", address, self.first_name, self.last_name) for i, address in enumerate(addresses)
            ],
        )

    def local_parts(self) -> list[str]:
        first, last = _letters(self.first_name), _letters(self.last_name)
        parts = {"first": first, "first.last": f"{first}.{last}", "f.last": f"{first[:1]}.{last}"}
        return [parts[p] for p in self.patterns]


def _letters(name: str) -> str:
    return re.sub(r"[^a-z0-9-]", "", name.lower())


def _plan(runtime: Runtime, account: Account, choice: Choice, session: Session) -> OrderPlan:
    issues = FieldIssues()
    if not choice.domains:
        issues.add("domains", "Choose at least one domain", None)
    if not choice.patterns:
        issues.add("mailboxes", "Choose at least one mailbox pattern", None)
    if not choice.first_name or not choice.last_name:
        issues.add("mailboxes", "Give the first and last name of the person whose mailboxes these are", None)
    if issues:
        issues.raise_if_any()
    return orders.plan_domain_order(
        session, runtime.settings, runtime.providers, account, choice.request(), issues, registrant=REGISTRANT
    )


def _problems(error: RuleViolation) -> list[str]:
    if not error.fields:
        return [error.message]
    return [f"{f.issue}" + (f" ({f.value})" if f.value not in (None, "") else "") for f in error.fields]


@router.get("")
def order_form(
    request: Request,
    who: CustomerDep,
    query: Annotated[str, Query(max_length=100)] = "",
    provider: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    return _search_page(request, who, query.strip(), provider)


def _search_page(request: Request, who: Viewer, query: str, provider: str, choice: Choice | None = None,
                 problems: list[str] | None = None, status_code: int = 200, needs_owner: bool = False) -> Response:
    runtime = get_runtime(request)
    account = who.account
    assert account is not None
    answers, search_problem = [], None
    with runtime.db.read() as session:
        prices = catalog.mailbox_prices(session, runtime.providers, account.currency)
        if query:
            names = catalog.suggest_names(query, catalog.selling_tlds(session, runtime.providers, account.currency))
            if names is None:
                search_problem = "Type letters or digits that can form a domain name"
            else:
                answers = catalog.check_domains(session, runtime.providers, names, account.currency)
    return page(
        request, "order.html", who, status_code=status_code, query=query, provider=provider or (prices[0].name if prices else ""),
        prices=prices, answers=answers, search_problem=search_problem, patterns=PATTERNS, choice=choice, problems=problems or [],
        needs_owner=needs_owner,
    )


@router.post("/review")
def review(request: Request, who: CustomerDep, form: FormDep) -> Response:
    runtime, choice = get_runtime(request), Choice.of(form)
    assert who.account is not None
    try:
        with runtime.db.read() as session:
            planned = _plan(runtime, who.account, choice, session)
            balance = wallet.balance(session, who.account)
    except RuleViolation as exc:
        return _search_page(request, who, str(form.get("query") or ""), choice.provider, choice, _problems(exc), 422,
                            needs_owner=exc.code == "domain_owner_required")
    return page(
        request, "order_review.html", who, choice=choice, plan=planned, balance=balance,
        idempotency_key=uuid.uuid4().hex, problems=[],
    )


@router.post("/place")
def place(request: Request, who: CustomerDep, form: FormDep) -> Response:
    runtime, choice = get_runtime(request), Choice.of(form)
    account = who.account
    assert account is not None
    key = str(form.get("idempotency_key") or "") or None
    try:
        answer = place_once(runtime, account, "dashboard/order", choice.body(), key, lambda session: _plan(runtime, account, choice, session))
    except RuleViolation as exc:
        with runtime.db.read() as session:
            balance = wallet.balance(session, account)
            try:
                planned: OrderPlan | None = _plan(runtime, account, choice, session)
            except RuleViolation:
                planned = None
        return page(request, "order_review.html", who, status_code=422, choice=choice, plan=planned, balance=balance,
                    idempotency_key=uuid.uuid4().hex, problems=_problems(exc))
    return see_other(f"{PREFIX}/orders/{answer.body['order_id']}")


# ---------------------------------------------------------------- the domain owner

OWNER_LABELS = {
    "email": "Email", "first_name": "First name", "last_name": "Last name", "company_name": "Company",
    "address": "Street address", "city": "City", "state": "State or region", "country": "Country (two letters, e.g. US)",
    "zip_code": "Postal code", "phone": "Phone (e.g. +1.6505550100)",
}


@router.get("/owner")
def owner_form(request: Request, who: CustomerDep) -> Response:
    assert who.account is not None
    with get_runtime(request).db.read() as session:
        owner = owners.get_owner(session, who.account.id)
        values = {name: getattr(owner, name) or "" for name in owners.CONTACT_FIELDS} if owner else {}
    return page(request, "owner.html", who, values=values, labels=OWNER_LABELS, saved=False)


@router.post("/owner")
def save_owner(request: Request, who: CustomerDep, form: FormDep) -> Response:
    """Whom the account's domains are registered to: checked and saved as the API's POST /owner does."""
    assert who.account is not None
    values = {name: str(form.get(name) or "").strip() for name in owners.CONTACT_FIELDS}
    try:
        clean = owners.validate_owner({k: v or None for k, v in values.items()})
    except RuleViolation as exc:
        return page(request, "owner.html", who, status_code=422, values=values, labels=OWNER_LABELS, saved=False,
                    problems=[f"{OWNER_LABELS.get(f.field, f.field)}: {f.issue}" for f in exc.fields])
    with get_runtime(request).db.write() as session:
        owners.replace_owner(session, who.account.id, clean)
    return page(request, "owner.html", who, values=values, labels=OWNER_LABELS, saved=True)
