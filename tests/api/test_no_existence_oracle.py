"""What one account holds never shows to another: a request about a domain the caller does not own
is answered the same whatever the holder has on it (a mailbox or not), on both faces, when ordering
(planned or processed) and when looking things up by name or id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from mailwright.domains.models import Domain
from mailwright.mailboxes.models import Mailbox
from tests.api.bodies import assert_accepted, assert_violation, mailbox, order_domains, order_mailboxes
from tests.conftest import OWNER, client_for, unique
from tests.reseller.conftest import create_user, error_data, reseller_client


@dataclass
class Holder:
    """Another account holding `domain` with the mailbox `ann@domain`."""

    domain: str
    domain_id: str
    mailbox_id: str


@pytest.fixture
def holder(server, runtime, make_account) -> Holder:
    domain = f"{unique('held')}.com"
    with client_for(server, make_account()) as other:
        other.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        assert_accepted(order_domains(other, [domain], [mailbox(f"ann@{domain}")]), "19.00")
    with runtime.db.read() as session:
        domain_id = session.scalar(sa.select(Domain.id).where(Domain.name_claim == domain))
        mailbox_id = session.scalar(sa.select(Mailbox.id).where(Mailbox.email_claim == f"ann@{domain}"))
    return Holder(domain, domain_id, mailbox_id)


@pytest.fixture
def caller(server, account) -> httpx.Client:
    """The asking account, with a domain owner (so nothing but the domain can refuse its orders)."""
    with client_for(server, account) as client:
        client.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        yield client


@pytest.fixture
def caller_reseller(server, account, caller) -> httpx.Client:
    with reseller_client(server, account) as client:
        yield client


def answer(response: httpx.Response) -> tuple[int, Any]:
    """Status and body without what changes on every call (request id, timestamp)."""
    body = response.json()
    for volatile in ("request_id", "timestamp"):
        body.pop(volatile, None)
    if isinstance(body.get("data"), dict):
        body["data"].pop("requestId", None)
    return response.status_code, body


def test_woodpecker_orders_answer_the_same_whether_the_address_exists(caller, holder):
    existing = order_domains(caller, [holder.domain], [mailbox(f"ann@{holder.domain}")])
    unknown = order_domains(caller, [holder.domain], [mailbox(f"nobody@{holder.domain}")])
    assert_violation(existing, "domain_unavailable", "Domain(s) not available", [("domains[0]", "Domain is not available", holder.domain)])
    assert answer(existing) == answer(unknown)

    more = [order_mailboxes(caller, [mailbox(f"{name}@{holder.domain}")]) for name in ("ann", "nobody")]
    assert more[0].status_code == 422 and answer(more[0])[1]["fields"][0]["field"] == "mailboxes[0].email"
    assert answer(more[0])[1]["fields"][0]["issue"] == answer(more[1])[1]["fields"][0]["issue"]


def test_woodpecker_lookups_answer_the_same_as_for_nothing(caller, holder):
    pairs = [
        (f"/rest/v2/domains/{holder.domain}", f"/rest/v2/domains/{unique('none')}.com"),
        (f"/rest/v2/domains/{holder.domain}/mailboxes", f"/rest/v2/domains/{unique('none')}.com/mailboxes"),
        (f"/rest/v2/domains/{holder.domain}/mailboxes/ann@{holder.domain}", f"/rest/v2/domains/{unique('none')}.com/mailboxes/ann@x.com"),
    ]
    for held, nothing in pairs:
        assert caller.get(held).status_code == 404
        assert answer(caller.get(held)) == answer(caller.get(nothing)), held


def reseller_order(client: httpx.Client, domain: str, username: str, *, multipart: bool, confirm: bool = True) -> httpx.Response:
    domains = [{"domain": domain}]
    mailboxes = {domain: [{"username": username, "firstName": "Ann", "lastName": "Lee"}]}
    if multipart:
        data = {"domains": json.dumps(domains), "mailboxes": json.dumps(mailboxes), "confirm": str(confirm).lower()}
        return client.post("/orders?userId=", data=data, files={"_": ("", b"")})
    return client.post("/orders", json={"domains": domains, "mailboxes": mailboxes, "confirm": confirm})


@pytest.mark.parametrize("multipart", [False, True], ids=["json", "multipart"])
def test_reseller_orders_answer_the_same_whether_the_address_exists(caller_reseller, holder, multipart):
    existing = reseller_order(caller_reseller, holder.domain, "ann", multipart=multipart)
    unknown = reseller_order(caller_reseller, holder.domain, "nobody", multipart=multipart)
    assert existing.status_code == 422, existing.text
    assert error_data(existing) == {"code": "domain_unavailable", "errors": [{"field": "domains[0].domain", "message": "Domain is not available"}]}
    assert answer(existing) == answer(unknown)


def test_reseller_processing_answers_the_same_whether_the_address_exists(caller_reseller, holder, server, make_account):
    # Two orders of a free name, created (not processed: they hold nothing) ...
    free = f"{unique('free')}.com"
    created = [reseller_order(caller_reseller, free, name, multipart=False, confirm=False) for name in ("ann", "nobody")]
    assert [c.status_code for c in created] == [201, 201], created[0].text
    # ... then someone else takes the name, with ann@ on it.
    with client_for(server, make_account()) as other:
        other.post("/rest/v2/domains/owner", json=OWNER).raise_for_status()
        assert_accepted(order_domains(other, [free], [mailbox(f"ann@{free}")]), "19.00")
    processed = [caller_reseller.post(f"/orders/{c.json()['data']['orderId']}/process") for c in created]
    assert processed[0].status_code == 422, processed[0].text
    assert processed[0].json()["data"]["errors"] == [{"field": "domains[0].domain", "message": "Domain is not available"}]
    assert answer(processed[0]) == answer(processed[1])


def test_reseller_lookups_by_id_answer_the_same_as_for_nothing(caller_reseller, holder):
    user_id = create_user(caller_reseller)["userId"]
    pairs = [
        (
            caller_reseller.post("/orders/mailboxes", json={"domainId": holder.domain_id, "mailboxes": [{"username": "ann", "firstName": "A", "lastName": "L"}]}),
            caller_reseller.post("/orders/mailboxes", json={"domainId": "0" * 28, "mailboxes": [{"username": "ann", "firstName": "A", "lastName": "L"}]}),
        ),
        (
            caller_reseller.get("/mailboxes/details", params={"userId": user_id, "mailboxId": holder.mailbox_id}),
            caller_reseller.get("/mailboxes/details", params={"userId": user_id, "mailboxId": "0" * 28}),
        ),
        (
            caller_reseller.request("DELETE", "/mailboxes", json={"mailboxId": holder.mailbox_id}),
            caller_reseller.request("DELETE", "/mailboxes", json={"mailboxId": "0" * 28}),
        ),
        (
            caller_reseller.get("/domains/dns-records", params={"userId": user_id, "domainId": holder.domain_id}),
            caller_reseller.get("/domains/dns-records", params={"userId": user_id, "domainId": "0" * 28}),
        ),
        (
            caller_reseller.post("/domains/renewal-price", json={"userId": user_id, "domains": [holder.domain, holder.domain_id]}),
            caller_reseller.post("/domains/renewal-price", json={"userId": user_id, "domains": [f"{unique('none')}.com", "0" * 28]}),
        ),
    ]
    for held, nothing in pairs:
        assert held.status_code == 404, held.text
        assert answer(held) == answer(nothing), held.request.url
