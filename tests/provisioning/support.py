"""Helpers for provisioning tests: place orders over HTTP, read the ledger and the sandbox's log."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from mailwright.providers.sandbox.models import SandboxCall
from mailwright.runtime import Runtime
from mailwright.wallet.models import LedgerEntry
from tests.conftest import wait_for_order

DOMAIN_PRICE = {"com": 1300}
MAILBOX_PRICE = {"GOOGLE": 600, "MAILDOSO": 400}


def mailbox(email: str) -> dict[str, str]:
    return {"first_name": "Richard", "last_name": "Hendricks", "email": email}


def order(api: httpx.Client, domains: list[str], emails: list[str], provider: str = "GOOGLE") -> str:
    response = api.post(
        "/rest/v2/domains/order", json={"provider": provider, "domains": domains, "mailboxes": [mailbox(e) for e in emails]}
    )
    assert response.status_code == 202, response.text
    return response.json()["order_id"]


def settled(api: httpx.Client, order_id: str) -> dict[str, Any]:
    return wait_for_order(api, order_id, timeout=90)


def items(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["name"]: i for i in body["domains"] + body["mailboxes"]}


def ledger(runtime: Runtime, account_id: str) -> list[LedgerEntry]:
    with runtime.db.read() as session:
        return list(session.scalars(sa.select(LedgerEntry).where(LedgerEntry.account_id == account_id).order_by(LedgerEntry.id)))


def balance_minor(runtime: Runtime, account_id: str) -> int:
    return sum(e.amount_minor for e in ledger(runtime, account_id))


def sandbox_calls(runtime: Runtime, operation: str, subject: str) -> list[str]:
    with runtime.db.read() as session:
        return list(
            session.scalars(
                sa.select(SandboxCall.outcome)
                .where(SandboxCall.operation == operation, SandboxCall.subject == subject)
                .order_by(SandboxCall.id)
            )
        )
