"""Exact-body assertions for the Woodpecker-style face, and small request helpers.

Error bodies are compared whole; the parts that change on every call (timestamp, request id) are
checked for their format and, for the request id, equality with the X-Request-Id header."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import sqlalchemy as sa

from mailwright.accounts.models import Account
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ORDER_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{28}$")
PROVIDERS = "Valid values are MAILDOSO, MAILFORGE, GOOGLE, MICROSOFT"
DOMAIN_FORMAT = "Valid format is example.com"
EMAIL_FORMAT = "Valid format is email@example.com"
EMAIL_DOMAIN_UNKNOWN = "Email domain must exist in order domains or active firm domains"
REQUIRED = "Field is required"


def request_id(response: httpx.Response) -> str:
    rid = response.headers.get("x-request-id")
    assert rid, f"no X-Request-Id on {response.request.method} {response.request.url}"
    return rid


def assert_problem(response: httpx.Response, status: int, title: str, details: str) -> dict[str, Any]:
    """The {title, status, details, timestamp, request_id} body, exactly."""
    assert response.status_code == status, response.text
    body = response.json()
    assert TIMESTAMP.match(body.get("timestamp", "")), body
    assert body == {"title": title, "status": status, "details": details, "timestamp": body["timestamp"], "request_id": request_id(response)}
    return body


def assert_violation(
    response: httpx.Response, code: str, message: str, fields: list[tuple[str, str, Any]] | None
) -> None:
    """The 422 {type, message, code, request_id, fields} body, exactly; fields as (field, issue, value)."""
    assert response.status_code == 422, response.text
    assert response.json() == {
        "type": "validation_error",
        "message": message,
        "code": code,
        "request_id": request_id(response),
        "fields": None if fields is None else [{"field": f, "issue": i, "value": v} for f, i, v in fields],
    }


def assert_invalid(response: httpx.Response, *fields: tuple[str, str, Any]) -> None:
    assert_violation(response, "invalid_fields", "Invalid field(s)", list(fields))


def mailbox(email: str, first: str = "Richard", last: str = "Hendricks") -> dict[str, str]:
    return {"first_name": first, "last_name": last, "email": email}


def order_domains(api: httpx.Client, domains: list[Any], mailboxes: list[Any], provider: Any = "GOOGLE", **kw: Any) -> httpx.Response:
    return api.post("/rest/v2/domains/order", json={"provider": provider, "domains": domains, "mailboxes": mailboxes}, **kw)


def order_mailboxes(api: httpx.Client, mailboxes: list[Any], **kw: Any) -> httpx.Response:
    return api.post("/rest/v2/domains/mailboxes/order", json={"mailboxes": mailboxes}, **kw)


def assert_accepted(response: httpx.Response, total: str, currency: str = "USD") -> str:
    """A 202 order acceptance, exactly; returns the order id."""
    assert response.status_code == 202, response.text
    body = response.json()
    assert ORDER_ID.match(body.get("order_id", "")), body
    assert body == {"order_id": body["order_id"], "status": "processing", "total": {"amount": total, "currency": currency}}
    return body["order_id"]


def balance(runtime: Runtime, account_id: str) -> str:
    with runtime.db.read() as session:
        return wallet.balance(session, session.get(Account, account_id)).decimal


def ledger(runtime: Runtime, account_id: str) -> list[tuple[str, int]]:
    """(kind, signed amount in minor units) of every wallet movement, oldest first."""
    with runtime.db.read() as session:
        rows = session.execute(
            sa.select(LedgerEntry.kind, LedgerEntry.amount_minor)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.created_at, LedgerEntry.id)
        )
        return [(kind, amount) for kind, amount in rows]


def parse_time(text: str) -> dt.datetime:
    assert TIMESTAMP.match(text), text
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
