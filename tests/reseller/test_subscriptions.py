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
