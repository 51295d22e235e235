from tests.billing.conftest import utc
from tests.conftest import unique, wait_for_order


def _mailbox(name: str, domain: str) -> dict[str, str]:
    return {"first_name": name.title(), "last_name": "Bachman", "email": f"{name}@{domain}"}


def test_ordering_mailboxes_opens_one_subscription_per_domain_and_more_join_it(api_with_owner, moving_clock):
    api = api_with_owner
    domain = f"{unique('sub')}.com"
    ordered_at = moving_clock.at(utc(2031, 1, 31, 10, 0, 0))
    response = api.post(
        "/rest/v2/domains/order",
        json={"provider": "GOOGLE", "domains": [domain], "mailboxes": [_mailbox("erlich", domain), _mailbox("jared", domain)]},
    )
    assert response.status_code == 202, response.text
    assert wait_for_order(api, response.json()["order_id"])["status"] == "completed"

    subs = api.get("/rest/v2/subscriptions").json()["subscriptions"]
    assert len(subs) == 1
    sub = subs[0]
    assert sub["domain"] == domain
    assert sub["provider"] == "GOOGLE"
    assert sub["status"] == "ACTIVE"
    assert sub["billing_cycle"] == "MONTHLY"
    assert sub["quantity"] == 2
    assert sub["price_per_mailbox"] == {"amount": "6.00", "currency": "USD"}
    assert sub["period_start"] == "2031-01-31T10:00:00Z"
    assert sub["period_end"] == "2031-02-28T10:00:00Z"  # 31 January + 1 month: the last day of February
    assert sub["auto_renew"] is True
    assert sub["next_charge"] == {"amount": "12.00", "currency": "USD"}

    moving_clock.at(utc(2031, 2, 10, 9, 0, 0))
    response = api.post("/rest/v2/domains/mailboxes/order", json={"mailboxes": [_mailbox("dinesh", domain)]})
    assert response.status_code == 202, response.text
    wait_for_order(api, response.json()["order_id"])
    subs = api.get("/rest/v2/subscriptions").json()["subscriptions"]
    assert [s["subscription_id"] for s in subs] == [sub["subscription_id"]]
    assert subs[0]["quantity"] == 3
    assert subs[0]["period_end"] == "2031-02-28T10:00:00Z"  # the added mailbox joins the current period
    assert subs[0]["next_charge"] == {"amount": "18.00", "currency": "USD"}
    assert ordered_at.year == 2031


def test_wallet_shows_balance_and_a_paginated_ledger(api_with_owner, account):
    api = api_with_owner
    domain = f"{unique('wal')}.net"
    response = api.post(
        "/rest/v2/domains/order", json={"provider": "MAILDOSO", "domains": [domain], "mailboxes": [_mailbox("gavin", domain)]}
    )
    assert response.status_code == 202, response.text
    order_id = response.json()["order_id"]
    body = api.get("/rest/v2/wallet").json()
    assert body["balance"] == "981.00"  # 1000.00 - 15.00 (.net) - 4.00 (one MAILDOSO mailbox)
    assert body["currency"] == "USD"
    assert [e["amount"] for e in body["entries"]] == ["-19.00", "1000.00"]
    assert body["entries"][0]["order_id"] == order_id
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 2, "total_pages": 1}

    second = api.get("/rest/v2/wallet", params={"page": 2, "per_page": 1}).json()
    assert [e["amount"] for e in second["entries"]] == ["1000.00"]
    assert second["pagination"] == {"page": 2, "per_page": 1, "total": 2, "total_pages": 2}

    bad = api.get("/rest/v2/wallet", params={"page": 0, "per_page": 1000})
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["fields"]} == {"page", "per_page"}
