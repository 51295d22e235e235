"""Subscriptions: listed with filters (user, status, domain) and the family's pagination."""

from __future__ import annotations

from tests.reseller.conftest import field_errors


def test_all_subscriptions_of_the_reseller(held, holdings):
    response = held.get("/subscriptions")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Subscriptions fetched successfully"
    subs = body["data"]["subscriptions"]
    assert sorted(s["domain"] for s in subs) == sorted([*holdings.domains, holdings.other_domain])
    assert body["data"]["pagination"] == {"totalSearchedCount": 4, "currentPage": 1, "nextPage": None, "totalPages": 1}
    item = next(s for s in subs if s["domain"] == holdings.other_domain)
    assert set(item) == {
        "subscriptionId", "subscriptionStatus", "totalMailboxQuantity", "billingCycle", "pricePerMailbox", "currency",
        "periodStart", "periodEnd", "serviceProvider", "autoRenew", "userId", "domain", "domainId",
    }
    assert item["subscriptionStatus"] == "ACTIVE" and item["totalMailboxQuantity"] == 1
    assert item["billingCycle"] == "MONTHLY" and item["serviceProvider"] == "GOOGLE" and item["autoRenew"] is True
    assert item["userId"] == holdings.other_user_id and item["pricePerMailbox"].count(".") == 1


def test_filters_and_pages(held, holdings):
    mine = held.get("/subscriptions", params={"userId": holdings.user_id, "limit": 2, "page": 2}).json()["data"]
    assert mine["pagination"] == {"totalSearchedCount": 3, "currentPage": 2, "nextPage": None, "totalPages": 2}
    assert len(mine["subscriptions"]) == 1 and mine["subscriptions"][0]["userId"] == holdings.user_id
    one = held.get("/subscriptions", params={"domain": holdings.domains[0].upper()}).json()["data"]["subscriptions"]
    assert [s["domain"] for s in one] == [holdings.domains[0]]
    active = held.get("/subscriptions", params={"status": "active"}).json()["data"]["pagination"]["totalSearchedCount"]
    assert active == 4
    assert held.get("/subscriptions", params={"status": "CANCELLED"}).json()["data"]["subscriptions"] == []


def test_bad_filters_are_named(held):
    response = held.get("/subscriptions", params={"status": "LIVE", "limit": 500})
    assert response.status_code == 400
    assert set(field_errors(response)) == {"limit"}  # query validation first
    response = held.get("/subscriptions", params={"status": "LIVE"})
    assert field_errors(response) == {"status": "Valid values are ACTIVE, PAST_DUE, SUSPENDED, CANCELLED, EXPIRED"}


def test_another_resellers_subscriptions_are_not_listed(reseller, holdings):
    assert reseller.get("/subscriptions").json()["data"]["subscriptions"] == []
    assert reseller.get("/subscriptions", params={"userId": holdings.user_id}).status_code == 404


def _subscription(client, domain):
    return client.get("/subscriptions", params={"domain": domain}).json()["data"]["subscriptions"][0]


def test_a_given_user_scopes_every_subscription_call(held, holdings):
    sub = _subscription(held, holdings.domains[0])  # the first user's
    sub_id, other = sub["subscriptionId"], holdings.other_user_id
    balance = held.get("/wallet").json()["data"]["balance"]
    refused = {
        "auto-renew, userId in the body": held.patch("/subscriptions/auto-renew", json={"subscriptionId": sub_id, "autoRenew": False, "userId": other}),
        "auto-renew, userId in the query": held.patch("/subscriptions/auto-renew", params={"userId": other}, json={"subscriptionId": sub_id, "autoRenew": False}),
        "cancel, userId in the body": held.post("/subscriptions/cancel", json={"subscriptionId": sub_id, "userId": other}),
        "cancel, userId in the query": held.post("/subscriptions/cancel", params={"userId": other}, json={"subscriptionId": sub_id}),
        "renew": held.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [sub_id], "userId": other}),
    }
    for call, response in refused.items():
        assert response.status_code == 404, (call, response.text)
        assert list(field_errors(response).values()) == ["No such subscription of this user"], call
    by_domain = held.post("/subscriptions/cancel", json={"domain": holdings.domains[0], "userId": other})
    assert by_domain.status_code == 404 and field_errors(by_domain) == {"domain": "No running subscription of this user on this domain"}
    unknown = held.patch("/subscriptions/auto-renew", json={"subscriptionId": sub_id, "autoRenew": False, "userId": "NOSUCHUSER"})
    assert unknown.status_code == 404 and field_errors(unknown) == {"userId": "No such user"}
    assert _subscription(held, holdings.domains[0]) == sub
    assert held.get("/wallet").json()["data"]["balance"] == balance

    # The right user's calls go through, and its renewal is found only with that user.
    off = held.patch("/subscriptions/auto-renew", json={"subscriptionId": sub_id, "autoRenew": False, "userId": holdings.user_id})
    assert off.status_code == 200 and off.json()["data"]["autoRenew"] is False
    assert held.patch("/subscriptions/auto-renew", params={"userId": holdings.user_id}, json={"subscriptionId": sub_id, "autoRenew": True}).status_code == 200
    renewed = held.post("/subscriptions/renew-subscriptions", params={"userId": holdings.user_id}, json={"subscriptionIds": [sub_id]})
    assert renewed.status_code == 200, renewed.text
    action_id = renewed.json()["data"]["actionId"]
    assert held.get(f"/subscriptions/renew-subscriptions/{action_id}", params={"userId": holdings.user_id}).status_code == 200
    foreign = held.get(f"/subscriptions/renew-subscriptions/{action_id}", params={"userId": other})
    assert foreign.status_code == 404 and field_errors(foreign) == {"actionId": "No such renewal action of this user"}


def test_cancel_by_the_subscriptions_user(held, holdings):
    response = held.post("/subscriptions/cancel", json={"domain": holdings.domains[2], "userId": holdings.user_id})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["subscriptionStatus"] == "CANCELLED"
    # An ended one is named by this face's field.
    ended = {"subscriptionId": response.json()["data"]["subscriptionId"], "userId": holdings.user_id}
    for again in (held.post("/subscriptions/cancel", json=ended), held.patch("/subscriptions/auto-renew", json=ended | {"autoRenew": True})):
        assert again.status_code == 422 and again.json()["data"]["code"] == "subscription_ended", again.text
        assert list(field_errors(again)) == ["subscriptionId"]
