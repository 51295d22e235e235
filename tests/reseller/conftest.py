"""Fixtures of the ColdMailReseller-style face: clients that send `cmr-x-api-key`, and users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Customer, LiveServer, unique

BASE = "/api/v1/integration"


def reseller_client(server: LiveServer, customer: Customer | None = None) -> httpx.Client:
    headers = {"cmr-x-api-key": customer.api_key} if customer else {}
    return httpx.Client(base_url=server.base_url + BASE, headers=headers, timeout=30)


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


def field_errors(response: httpx.Response) -> dict[str, str]:
    """field -> message of an error envelope, after checking the envelope's shape."""
    body = response.json()
    assert set(body) == {"status", "message", "data"}, body
    assert body["status"] == response.status_code
    assert set(body["data"]) == {"code", "errors"}, body
    return {e["field"]: e["message"] for e in body["data"]["errors"]}
