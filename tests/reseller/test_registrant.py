"""Whom a reseller-style order's domains are registered to, using nothing but this face: the
user's complete contact, else the account's domain owner, else the operator's default registrant
(`mailwright registrant set`); with none of them the order is refused with advice of this face.
The Woodpecker-style face keeps seed 001's rule: its domain owner, nothing else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mailwright.api.reseller.errors import MESSAGES
from mailwright.owners import service as owners
from tests.api.bodies import assert_violation, mailbox, order_domains
from tests.conftest import DEFAULT_REGISTRANT, OWNER, client_for, unique
from tests.reseller.conftest import create_user, error_data, field_errors, user_fields

USER_CONTACT = {"first_name": "Monica", "last_name": "Hall", "company_name": "Raviga", "address": "2 Sand Hill Road",
                "city": "Menlo Park", "state": "CA", "country": "US", "zip_code": "94025", "phone": "+1.6505550123"}


def order(client: httpx.Client, user_id: str = "") -> tuple[httpx.Response, str]:
    """Orders (and processes) one domain with a mailbox, as JSON; returns the answer and the name."""
    name = f"{unique('reg')}.com"
    body = {"domains": [{"domain": name}], "mailboxes": {name: [{"username": "ann", "firstName": "Ann", "lastName": "Lee"}]},
            "confirm": True}
    return client.post(f"/orders?userId={user_id}", json=body), name


def registrant_of(server: Any, account: Any, name: str) -> dict[str, Any]:
    """The contact the domain is registered to, as the Woodpecker-style face shows it (one system)."""
    with client_for(server, account) as woodpecker:
        response = woodpecker.get(f"/rest/v2/domains/{name}")
    assert response.status_code == 200, response.text
    return response.json()["owner"]


def test_without_any_registrant_the_refusal_names_this_faces_own_means(reseller, default_registrant):
    default_registrant(None)
    response, _ = order(reseller)
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["status"], body["message"]) == (422, MESSAGES["domain_owner_required"])
    assert error_data(response) == {"code": "domain_owner_required", "errors": []}
    assert "PUT /api/v1/integration/users?userId=" in body["message"] and "/rest/" not in body["message"]
    assert reseller.get("/wallet").json()["data"]["balance"] == "1000.00"


def test_the_first_registrant_found_wins(server, account, reseller, default_registrant):
    default_registrant(DEFAULT_REGISTRANT)
    complete = create_user(reseller)["userId"]
    partial = create_user(reseller, address=None, zipCode=None)["userId"]

    # No domain owner: the user's complete contact, else the operator's default.
    response, name = order(reseller, complete)
    assert response.status_code == 201, response.text
    user_email = reseller.get("/users/details", params={"userId": complete}).json()["data"]["email"]
    assert registrant_of(server, account, name) == USER_CONTACT | {"email": user_email}
    for user_id in (partial, ""):
        response, name = order(reseller, user_id)
        assert response.status_code == 201, response.text
        assert registrant_of(server, account, name) == DEFAULT_REGISTRANT

    # With a domain owner, it comes before the default.
    with client_for(server, account) as woodpecker:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
    for user_id in (partial, ""):
        response, name = order(reseller, user_id)
        assert response.status_code == 201, response.text
        assert registrant_of(server, account, name) == OWNER


def test_the_woodpecker_face_still_needs_its_domain_owner(api, account, default_registrant):
    default_registrant(DEFAULT_REGISTRANT)
    domain = f"{unique()}.com"
    response = order_domains(api, [domain], [mailbox(f"r@{domain}")])
    assert_violation(
        response,
        "domain_owner_required",
        "A domain owner is required before ordering domains: save one with POST /rest/v2/domains/owner",
        None,
    )


def test_a_sandbox_registrant_is_never_used_with_a_real_registrar(runtime, default_registrant):
    default_registrant(owners.SANDBOX_REGISTRANT, sandbox=True)
    with runtime.db.read() as session:
        assert owners.default_registrant_for(session, registrar_is_sandbox=True) == owners.SANDBOX_REGISTRANT
        assert owners.default_registrant_for(session, registrar_is_sandbox=False) is None
    default_registrant(DEFAULT_REGISTRANT)
    with runtime.db.read() as session:
        assert owners.default_registrant_for(session, registrar_is_sandbox=False) == DEFAULT_REGISTRANT


@pytest.mark.parametrize("missing", ["address", "city", "state", "country", "zipCode", "phone"])
def test_a_user_contact_missing_any_part_is_not_a_registrant(reseller, default_registrant, missing):
    default_registrant(None)
    fields = user_fields(**{missing: None})
    if missing == "country":
        fields["state"] = None  # a state is checked against its country
    created = reseller.post("/users", json=fields)
    assert created.status_code == 201, field_errors(created)
    response, _ = order(reseller, created.json()["data"]["userId"])
    assert response.status_code == 422 and response.json()["data"]["code"] == "domain_owner_required"
