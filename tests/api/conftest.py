"""Fixtures for the Woodpecker-style face: domains bought through the API itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from mailwright.accounts import service as accounts
from mailwright.money import Money
from mailwright.runtime import Runtime
from tests.api.bodies import assert_accepted, mailbox, order_domains
from tests.conftest import OWNER, Customer, LiveServer, client_for, unique, wait_for_order


@pytest.fixture
def buy(api_with_owner: httpx.Client) -> Callable[..., str]:
    """Orders a fresh domain with mailboxes `m0@`, `m1@` ... and returns its name; with
    `ready=True`, waits until its order has finished provisioning."""

    def order(mailboxes: int = 1, provider: str = "GOOGLE", ready: bool = False, prefix: str = "d") -> str:
        domain = f"{unique(prefix)}.com"
        response = order_domains(api_with_owner, [domain], [mailbox(f"m{i}@{domain}") for i in range(mailboxes)], provider)
        order_id = assert_accepted(response, response.json().get("total", {}).get("amount", "?"))
        if ready:
            assert wait_for_order(api_with_owner, order_id)["status"] == "completed"
        return domain

    return order


@dataclass
class Shop:
    """One account with an owner and a ready domain (`m0@` its mailbox), shared by a module's
    tests that only read it or are refused before changing anything."""

    api: httpx.Client
    account: Customer
    domain: str


@pytest.fixture(scope="module")
def shop(server: LiveServer, runtime: Runtime) -> Iterator[Shop]:
    with runtime.db.write() as session:
        account, key = accounts.create_account(session, "Shop", "USD", credit=Money(100_000, "USD"))
    customer = Customer(account.id, key, "USD")
    with client_for(server, customer) as api:
        api.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        domain = f"{unique('shop')}.com"
        order_id = assert_accepted(order_domains(api, [domain], [mailbox(f"m0@{domain}")]), "19.00")
        assert wait_for_order(api, order_id)["status"] == "completed"
        yield Shop(api, customer, domain)
