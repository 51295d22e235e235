"""Renewal prices, renewals, auto-renew, cancellation and removal through the reseller face:
the billing rules are the core's; this checks the face's shapes, user scoping and errors."""

from __future__ import annotations

import datetime as dt

from mailwright.billing.lifecycle import add_months, add_years
from mailwright.mailboxes.models import Mailbox
from tests.conftest import wait_until
from tests.reseller.conftest import field_errors
from tests.reseller.test_domains import _domain_ids


def _when(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _subscription(client, domain):
    subs = client.get("/subscriptions", params={"domain": domain}).json()["data"]["subscriptions"]
    return subs[0] if subs else None


def test_renewal_price_by_name_or_id(held, holdings, runtime):
    first, second = holdings.domains[0], holdings.domains[1]
    second_id = _domain_ids(runtime, [second])[second]
    response = held.post("/domains/renewal-price", json={"userId": holdings.user_id, "domains": [first, second_id]})
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Renewal prices fetched successfully"
    data = response.json()["data"]
    assert [d["domainName"] for d in data] == [first, second]
    item = data[1]
    assert set(item) == {"domainName", "domainId", "years", "renewalPrice", "currency", "expireOn", "autoRenew", "registrationStatus"}
    assert item["domainId"] == second_id and item["years"] == 1 and item["registrationStatus"] == "ACTIVE"
    assert item["renewalPrice"].count(".") == 1 and item["currency"] == "USD" and item["autoRenew"] is True


def test_renewal_price_names_every_unknown_domain(held, holdings):
    response = held.post(
        "/domains/renewal-price", json={"userId": holdings.user_id, "domains": [holdings.domains[0], holdings.other_domain, 7]}
    )
    # A malformed entry and an unknown one in one answer: 400, naming both.
    assert response.status_code == 400
    assert field_errors(response) == {"domains[1]": "No such domain of this user", "domains[2]": "Must be a domain name or id"}
    response = held.post("/domains/renewal-price", json={"userId": holdings.user_id, "domains": [holdings.other_domain, "nope.example"]})
    assert response.status_code == 404
    assert response.json()["message"] == "Domain not found"
    assert field_errors(response) == {"domains[0]": "No such domain of this user", "domains[1]": "No such domain of this user"}
    assert field_errors(held.post("/domains/renewal-price", json={"userId": holdings.user_id})) == {"domains": "Field is required"}


def test_renew_a_domain_adds_a_year_and_charges_the_wallet(held, holdings):
    name = holdings.domains[0]
    before = held.post("/domains/renewal-price", json={"userId": holdings.user_id, "domains": [name]}).json()["data"][0]
    balance = held.get("/wallet").json()["data"]["balance"]
    response = held.post("/domains/renew", json={"userId": holdings.user_id, "domains": [name]})
    assert response.status_code == 200, response.text
    after = response.json()["data"][0]
    assert _when(after["expireOn"]) == add_years(_when(before["expireOn"]), 1)
    spent = float(balance) - float(held.get("/wallet").json()["data"]["balance"])
    assert f"{spent:.2f}" == before["renewalPrice"]


def test_domain_auto_renew_off_and_on(held, holdings):
    name = holdings.domains[0]
    off = held.patch("/domains/auto-renew", json={"userId": holdings.user_id, "domains": [name], "autoRenew": False})
    assert off.status_code == 200
    assert off.json()["message"] == "Auto-renew disabled successfully"
    assert off.json()["data"][0]["autoRenew"] is False
    listed = held.get("/domains", params={"userId": holdings.user_id}).json()["data"]["domains"]
    assert next(d for d in listed if d["domainName"] == name)["autoRenew"] is False
    on = held.patch("/domains/auto-renew", json={"userId": holdings.user_id, "domains": [name], "autoRenew": True})
    assert on.json()["data"][0]["autoRenew"] is True
    bad = held.patch("/domains/auto-renew", json={"userId": holdings.user_id, "domains": [name], "autoRenew": "yes"})
    assert bad.status_code == 400 and field_errors(bad) == {"autoRenew": "Must be true or false"}


def test_renew_subscriptions_returns_an_action_id(held, holdings):
    sub = _subscription(held, holdings.domains[1])
    response = held.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [sub["subscriptionId"]]})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert len(data["actionId"]) == 28
    assert data["renewed"] == [{
        "subscriptionId": sub["subscriptionId"], "periodEnd": data["renewed"][0]["periodEnd"],
        "domain": holdings.domains[1], "amount": data["totalCharged"],
    }]
    assert data["userId"] == holdings.user_id and data["currency"] == "USD"
    assert _when(data["renewed"][0]["periodEnd"]) == add_months(_when(sub["periodEnd"]), 1)
    assert _subscription(held, holdings.domains[1])["periodEnd"] == data["renewed"][0]["periodEnd"]


def test_renew_subscriptions_names_unknown_ids(held, reseller, holdings):
    sub = _subscription(held, holdings.domains[1])
    response = held.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [sub["subscriptionId"], "0" * 28]})
    assert response.status_code == 404
    assert field_errors(response) == {"subscriptionIds[1]": "No such subscription of yours"}
    foreign = reseller.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [sub["subscriptionId"]]})
    assert foreign.status_code == 404
    assert field_errors(held.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": []})) == {"subscriptionIds": "Field is required"}


def test_subscription_auto_renew_toggle(held, holdings):
    sub = _subscription(held, holdings.domains[1])
    off = held.patch("/subscriptions/auto-renew", json={"subscriptionId": sub["subscriptionId"], "autoRenew": False})
    assert off.status_code == 200, off.text
    assert off.json()["message"] == "Auto-renewal disabled successfully"
    assert off.json()["data"]["autoRenew"] is False and off.json()["data"]["userId"] == holdings.user_id
    on = held.patch("/subscriptions/auto-renew", json={"subscriptionId": sub["subscriptionId"], "autoRenew": True})
    assert on.json()["data"]["autoRenew"] is True
    bad = held.patch("/subscriptions/auto-renew", json={})
    assert field_errors(bad) == {"subscriptionId": "Field is required", "autoRenew": "Field is required"}


def test_remove_a_mailbox(held, holdings, runtime):
    email = f"jane@{holdings.domains[1]}"
    with runtime.db.read() as session:
        mailbox_id = session.query(Mailbox.id).filter(Mailbox.email == email).scalar()
    response = held.request("DELETE", "/mailboxes", json={"mailboxId": mailbox_id})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": 200, "message": "Mailbox removed successfully", "data": None}
    details = held.get("/mailboxes/details", params={"userId": holdings.user_id, "mailboxId": mailbox_id}).json()["data"]
    assert details["status"] == "DELETED"
    again = held.delete("/mailboxes", params={"mailboxId": mailbox_id})
    assert again.status_code == 422 and again.json()["data"]["code"] == "mailbox_not_removable"
    assert _subscription(held, holdings.domains[1])["totalMailboxQuantity"] == 1
    other_user = held.delete("/mailboxes", params={"mailboxId": mailbox_id, "userId": holdings.other_user_id})
    assert other_user.status_code == 404 and field_errors(other_user) == {"mailboxId": "No such mailbox of yours"}


def test_cancel_by_domain_deletes_the_workspace(held, holdings):
    name = holdings.domains[2]
    response = held.post("/subscriptions/cancel", json={"domain": name})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["subscriptionStatus"] == "CANCELLED"
    boxes = held.get("/mailboxes", params={"userId": holdings.user_id}).json()["data"]["mailboxes"]
    assert {m["status"] for m in boxes if m["domainName"] == name} == {"DELETED"}
    again = held.post("/subscriptions/cancel", json={"domain": name})
    assert again.status_code == 404 and field_errors(again) == {"domain": "No running subscription of yours on this domain"}


def test_cancel_needs_exactly_one_of_id_or_domain(held):
    both = held.post("/subscriptions/cancel", json={"subscriptionId": "x", "domain": "y.com"})
    assert field_errors(both) == {"subscriptionId": "Send subscriptionId or domain, not both", "domain": "Send subscriptionId or domain, not both"}
    neither = held.post("/subscriptions/cancel", json={})
    assert field_errors(neither) == {"subscriptionId": "Send either subscriptionId or domain", "domain": "Send either subscriptionId or domain"}


def test_remove_domains(held, holdings):
    name = holdings.other_domain
    response = held.request("DELETE", "/domains", json={"userId": holdings.other_user_id, "domains": [name]})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": 200, "message": "Domains removed successfully", "data": None}
    listed = held.get("/domains", params={"userId": holdings.other_user_id}).json()["data"]["domains"]
    assert [(d["domainName"], d["status"], d["autoRenew"]) for d in listed] == [(name, "RELEASED", False)]
    assert _subscription(held, name)["subscriptionStatus"] == "CANCELLED"
    wait_until(lambda: held.delete("/users", params={"userId": holdings.other_user_id}).status_code == 200)
