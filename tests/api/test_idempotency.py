"""Idempotency-Key on both order endpoints: a replay answers the first response and charges nothing."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from mailwright.orders.models import Order
from tests.api.bodies import (
    EMAIL_DOMAIN_UNKNOWN,
    assert_accepted,
    assert_invalid,
    assert_violation,
    balance,
    ledger,
    mailbox,
    order_domains,
    order_mailboxes,
)
from tests.conftest import unique

REUSED = ("This Idempotency-Key was already used with a different request", "Already used with a different request; use a new key for a new request")
KEY_FORMAT = "Must be 1 to 255 printable ASCII characters without spaces"


def key_header(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def orders_of(runtime, account_id: str) -> int:
    with runtime.db.read() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Order).where(Order.account_id == account_id))


def test_replay_of_an_order_returns_the_first_response_and_charges_once(api_with_owner, account, runtime):
    domain, key = f"{unique()}.com", unique("key-")
    first = order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")], headers=key_header(key))
    assert_accepted(first, "19.00")
    again = order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")], headers=key_header(key))
    assert (again.status_code, again.json()) == (202, first.json())
    assert ledger(runtime, account.id) == [("credit", 100000), ("debit", -1900)]
    assert orders_of(runtime, account.id) == 1


def test_same_key_with_a_different_body_is_refused(api_with_owner, account, runtime):
    domain, key = f"{unique()}.com", unique("key-")
    assert_accepted(order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")], headers=key_header(key)), "19.00")
    other = f"{unique()}.com"
    response = order_domains(api_with_owner, [other], [mailbox(f"r@{other}")], headers=key_header(key))
    assert_violation(response, "idempotency_key_reused", REUSED[0], [("Idempotency-Key", REUSED[1], key)])
    # ... and on the other order endpoint too.
    response = order_mailboxes(api_with_owner, [mailbox(f"s@{domain}")], headers=key_header(key))
    assert_violation(response, "idempotency_key_reused", REUSED[0], [("Idempotency-Key", REUSED[1], key)])
    assert balance(runtime, account.id) == "981.00"


def test_mailbox_order_replay(api_with_owner, buy, account, runtime):
    domain, key = buy(), unique("key-")
    first = order_mailboxes(api_with_owner, [mailbox(f"new@{domain}")], headers=key_header(key))
    assert_accepted(first, "6.00")
    again = order_mailboxes(api_with_owner, [mailbox(f"new@{domain}")], headers=key_header(key))
    assert (again.status_code, again.json()) == (202, first.json())
    assert balance(runtime, account.id) == "975.00"


def test_a_refused_request_does_not_use_up_its_key(api_with_owner, account, runtime):
    domain, key = f"{unique()}.com", unique("key-")
    refused = order_domains(api_with_owner, [domain], [mailbox("r@elsewhere.com")], headers=key_header(key))
    assert_invalid(refused, ("mailboxes[0].email", EMAIL_DOMAIN_UNKNOWN, "r@elsewhere.com"))
    assert_accepted(order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")], headers=key_header(key)), "19.00")


def test_invalid_keys(api_with_owner):
    domain = f"{unique()}.com"
    for key in ("has space", "x" * 256, "tab\tkey"):
        response = order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")], headers=key_header(key))
        assert_invalid(response, ("Idempotency-Key", KEY_FORMAT, key))


def test_concurrent_replays_place_one_order(api_with_owner, account, runtime):
    domain, key = f"{unique()}.com", unique("key-")
    responses = []

    def send():
        responses.append(order_domains(api_with_owner, [domain], [mailbox(f"r@{domain}")], headers=key_header(key)))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert orders_of(runtime, account.id) == 1
    assert balance(runtime, account.id) == "981.00"
