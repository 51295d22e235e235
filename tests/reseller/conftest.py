"""Fixtures of the ColdMailReseller-style face: clients that send `cmr-x-api-key`, and users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mailwright.accounts import service as accounts
from mailwright.accounts.models import Account
from mailwright.money import Money
from mailwright.orders import service as orders
from mailwright.orders.requests import DomainOrderRequest, OrderOptions, RequestedDomain, RequestedMailbox
from mailwright.runtime import Runtime
from tests.conftest import OWNER, TLS, Customer, LiveServer, client_for, unique, wait_for_order

BASE = "/api/v1/integration"


def reseller_client(server: LiveServer, customer: Customer | None = None) -> httpx.Client:
    headers = {"cmr-x-api-key": customer.api_key} if customer else {}
    return httpx.Client(base_url=server.base_url + BASE, headers=headers, timeout=30, verify=TLS)


@pytest.fixture
def reseller(server: LiveServer, account: Customer) -> Iterator[httpx.Client]:
    """A client of the reseller face, authenticated as a fresh account with 1000.00 USD."""
    with reseller_client(server, account) as client:
        yield client


@pytest.fixture
def other_reseller(server: LiveServer, make_account: Callable[..., Customer]) -> Iterator[httpx.Client]:
    with reseller_client(server, make_account()) as client:
        yield client


@pytest.fixture
def reseller_anon(server: LiveServer) -> Iterator[httpx.Client]:
    with reseller_client(server) as client:
        yield client


def user_fields(**overrides: Any) -> dict[str, Any]:
    return {
        "email": f"{unique('u')}@example.com",
        "firstName": "Monica",
        "lastName": "Hall",
        "companyName": "Raviga",
        "phone": "+1.6505550123",
        "address": "2 Sand Hill Road",
        "city": "Menlo Park",
        "state": "CA",
        "country": "US",
        "zipCode": "94025",
    } | overrides


def create_user(client: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = client.post("/users", json=user_fields(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["data"]


@pytest.fixture
def user(reseller: httpx.Client) -> dict[str, Any]:
    return create_user(reseller)


def error_data(response: httpx.Response) -> dict[str, Any]:
    """An error envelope's data without its request id, after checking that the id is the request's."""
    data = dict(response.json()["data"])
    assert data.pop("requestId") == response.headers["x-request-id"]
    return data


def field_errors(response: httpx.Response) -> dict[str, str]:
    """field -> message of an error envelope, after checking the envelope's shape."""
    body = response.json()
    assert set(body) == {"status", "message", "data"}, body
    assert body["status"] == response.status_code
    assert set(body["data"]) == {"code", "errors", "requestId"}, body
    assert body["data"]["requestId"] == response.headers["x-request-id"]
    return {e["field"]: e["message"] for e in body["data"]["errors"]}


# ------------------------------------------------------------------ provisioned data


@dataclass
class Holdings:
    """A reseller with two users; the first holds `domains` (ready, with mailboxes), the second one domain."""

    customer: Customer
    user_id: str
    other_user_id: str
    domains: list[str]
    other_domain: str
    mailboxes: list[str]


def order_for_user(runtime: Runtime, customer: Customer, user_id: str, domains: list[str], usernames: tuple[str, ...]) -> str:
    """Places an order for the user through the core ordering path (the face's order endpoints
    are tested on their own); returns the order id."""
    request = DomainOrderRequest(
        provider="GOOGLE",
        domains=[RequestedDomain(d, f"domains[{i}]") for i, d in enumerate(domains)],
        mailboxes=[
            RequestedMailbox.at(f"mailboxes[{i}]", f"{name}@{d}", name.title(), "Doe")
            for i, (d, name) in enumerate((d, n) for d in domains for n in usernames)
        ],
    )
    with runtime.db.read() as session:
        account = session.get(Account, customer.id)
        plan = orders.plan_domain_order(
            session, runtime.settings, runtime.providers, account, request, options=OrderOptions(user_id=user_id)
        )
    with runtime.db.write() as session:
        return orders.place_order(session, runtime, plan).id


@pytest.fixture(scope="module")
def holdings(server: LiveServer, runtime: Runtime) -> Holdings:
    with runtime.db.write() as session:
        account, key = accounts.create_account(session, f"Reseller {unique()}", "USD", credit=Money(100_000, "USD"))
    customer = Customer(account.id, key, "USD")
    with client_for(server, customer) as woodpecker, reseller_client(server, customer) as client:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        first, second = create_user(client)["userId"], create_user(client)["userId"]
        domains = sorted(f"{unique('rs')}.com" for _ in range(3))
        other = f"{unique('ro')}.com"
        order_ids = [
            order_for_user(runtime, customer, first, domains, ("john", "jane")),
            order_for_user(runtime, customer, second, [other], ("max",)),
        ]
        for order_id in order_ids:
            assert wait_for_order(woodpecker, order_id)["status"] == "completed"
    mailboxes = [f"{n}@{d}" for d in domains for n in ("jane", "john")]
    return Holdings(customer, first, second, domains, other, mailboxes)


@pytest.fixture
def held(server: LiveServer, holdings: Holdings) -> Iterator[httpx.Client]:
    """A client of the reseller that owns `holdings`."""
    with reseller_client(server, holdings.customer) as client:
        yield client
