"""Money under concurrency: many order requests at once, through the live HTTP server, racing
for a balance that covers only some of them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from mailwright.orders.models import Order
from mailwright.wallet.models import LedgerEntry
from tests.conftest import OWNER, Customer, LiveServer, client_for, unique, wait_for_order

ORDER_PRICE = "19.00"  # a .com (13.00 a year) with one GOOGLE mailbox (6.00 a month)


def race(server: LiveServer, customer: Customer, requests: list[dict[str, Any]]) -> list[httpx.Response]:
    """Sends every request at (nearly) the same moment, each from its own thread and connection."""
    start = threading.Barrier(len(requests))
    responses: list[httpx.Response | BaseException] = [RuntimeError("not sent")] * len(requests)

    def send(i: int) -> None:
        with client_for(server, customer) as client:
            start.wait(timeout=30)
            try:
                responses[i] = client.post(requests[i]["path"], json=requests[i]["json"], headers=requests[i].get("headers", {}))
            except BaseException as exc:  # reported below, not lost in the thread
                responses[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    failures = [r for r in responses if isinstance(r, BaseException)]
    assert not failures, failures
    return responses  # type: ignore[return-value]


def domain_order(domain: str) -> dict[str, Any]:
    return {
        "path": "/rest/v2/domains/order",
        "json": {
            "provider": "GOOGLE",
            "domains": [domain],
            "mailboxes": [{"first_name": "Richard", "last_name": "Hendricks", "email": f"richard@{domain}"}],
        },
    }


def ledger(runtime: Any, account_id: str) -> list[LedgerEntry]:
    with runtime.db.read() as session:
        return list(session.scalars(sa.select(LedgerEntry).where(LedgerEntry.account_id == account_id)))


def orders_of(runtime: Any, account_id: str) -> list[Order]:
    with runtime.db.read() as session:
        return list(session.scalars(sa.select(Order).where(Order.account_id == account_id)))


def customer_with_owner(make_account: Callable[..., Customer], server: LiveServer, credit: str) -> Customer:
    customer = make_account(credit=credit)
    with client_for(server, customer) as client:
        assert client.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
    return customer


def test_racing_orders_spend_exactly_the_balance_and_never_more(server, make_account, runtime):
    affordable, attempts = 4, 16
    customer = customer_with_owner(make_account, server, credit="83.00")  # 4 x 19.00 + 7.00

    responses = race(server, customer, [domain_order(f"{unique('race')}.com") for _ in range(attempts)])

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {202: affordable, 422: attempts - affordable}, [r.text for r in responses]
    refused = [r.json() for r in responses if r.status_code == 422]
    assert {(b["type"], b["code"]) for b in refused} == {("validation_error", "insufficient_funds")}

    entries = ledger(runtime, customer.id)
    debits = [e for e in entries if e.kind == "debit"]
    assert len(debits) == affordable and all(e.amount_minor == -1900 for e in debits)
    assert sum(e.amount_minor for e in entries) == 700  # credits minus debits: never below zero
    placed = orders_of(runtime, customer.id)
    assert sorted(o.id for o in placed) == sorted(r.json()["order_id"] for r in responses if r.status_code == 202)
    assert {d.order_id for d in debits} == {o.id for o in placed}

    # Every accepted order is provisioned; nothing is refunded, so the balance stays exact.
    with client_for(server, customer) as client:
        for order in placed:
            assert wait_for_order(client, order.id)["status"] == "completed"
    assert sum(e.amount_minor for e in ledger(runtime, customer.id)) == 700


def test_racing_mailbox_orders_on_one_domain(server, make_account, runtime):
    """Mailbox orders (4.00 each on MAILDOSO) racing for a balance that covers three of them."""
    customer = customer_with_owner(make_account, server, credit="30.00")  # 13.00 + 4.00 + 3 x 4.00 + 1.00
    domain = f"{unique('mbrace')}.com"
    with client_for(server, customer) as client:
        first = client.post(
            "/rest/v2/domains/order",
            json={"provider": "MAILDOSO", "domains": [domain], "mailboxes": [{"first_name": "A", "last_name": "B", "email": f"a@{domain}"}]},
        )
        assert first.status_code == 202, first.text
        assert wait_for_order(client, first.json()["order_id"])["status"] == "completed"

    requests = [
        {
            "path": "/rest/v2/domains/mailboxes/order",
            "json": {"mailboxes": [{"first_name": "M", "last_name": str(i), "email": f"m{i}@{domain}"}]},
        }
        for i in range(4)
    ]
    responses = race(server, customer, requests)
    assert Counter(r.status_code for r in responses) == {202: 3, 422: 1}, [r.text for r in responses]
    assert [r.json()["code"] for r in responses if r.status_code == 422] == ["insufficient_funds"]
    assert sum(e.amount_minor for e in ledger(runtime, customer.id)) == 100


def test_concurrent_replays_of_one_idempotent_order_charge_once(server, make_account, runtime):
    customer = customer_with_owner(make_account, server, credit="100.00")
    order = domain_order(f"{unique('idem')}.com") | {"headers": {"Idempotency-Key": unique("key-")}}

    responses = race(server, customer, [order] * 8)

    assert {r.status_code for r in responses} == {202}, [r.text for r in responses]
    assert len({r.json()["order_id"] for r in responses}) == 1
    debits = [e for e in ledger(runtime, customer.id) if e.kind == "debit"]
    assert [e.amount_minor for e in debits] == [-1900]
    assert len(orders_of(runtime, customer.id)) == 1
