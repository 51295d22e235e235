"""Fixtures for the Woodpecker-style face: domains bought through the API itself."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.api.bodies import assert_accepted, mailbox, order_domains
from tests.conftest import unique, wait_for_order


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
