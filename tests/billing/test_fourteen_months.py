"""Fourteen months of one account: three domains and their mailbox subscriptions, auto-renew on
and off, a wallet that runs dry and is topped up, a mailbox removed mid-period, one added
mid-period, a cancellation — every charge, status and event asserted at each step."""

from __future__ import annotations

import sqlalchemy as sa

from mailwright.providers.sandbox.models import SandboxDomain, SandboxMailbox
from tests.billing.conftest import utc
from tests.billing.story import Story
from tests.conftest import OWNER, client_for, unique, wait_until


def _box(local: str, domain: str) -> dict[str, str]:
    return {"first_name": local.title(), "last_name": "Hendricks", "email": f"{local}@{domain}"}


def _sandbox_mailboxes(runtime, domain: str) -> dict[str, str]:
    with runtime.db.read() as session:
        rows = session.scalars(sa.select(SandboxMailbox).where(SandboxMailbox.email.like(f"%@{domain}"))).all()
        return {r.email.split("@")[0]: r.status for r in rows}


def _sandbox_expiry(runtime, domain: str) -> str:
    with runtime.db.read() as session:
        return session.get(SandboxDomain, domain).expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_fourteen_months_of_renewals(runtime, server, make_account, moving_clock):
    account = make_account(credit="112.00")
    with client_for(server, account) as api:
        _story(runtime, api, account.id)


def _story(runtime, api, account_id: str) -> None:
    story = Story(runtime, api, account_id)
    alpha, beta, gamma = f"{unique('alpha')}.com", f"{unique('beta')}.net", f"{unique('gamma')}.org"

    # ---- January 2031: the wallet holds 112.00.
    story.at(utc(2031, 1, 15, 12))
    assert api.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
    assert story.new_entries() == [("112.00", "Opening credit")]
    story.order("/rest/v2/domains/order", {
        "provider": "GOOGLE", "domains": [alpha, beta],
        "mailboxes": [_box("a1", alpha), _box("a2", alpha), _box("b1", beta)],
    })
    story.at(utc(2031, 1, 25, 12))
    story.order("/rest/v2/domains/order", {
        "provider": "GOOGLE", "domains": [gamma], "mailboxes": [_box("g1", gamma), _box("g2", gamma), _box("g3", gamma)],
    })
    entries = story.new_entries()
    assert [amount for amount, _ in entries] == ["-46.00", "-30.00"]  # 13.00 + 15.00 + 3 x 6.00; 12.00 + 3 x 6.00
    assert story.balance() == "36.00"
    subs = story.subscriptions()
    assert {d: (s["quantity"], s["period_start"], s["period_end"]) for d, s in subs.items()} == {
        alpha: (2, "2031-01-15T12:00:00Z", "2031-02-15T12:00:00Z"),
        beta: (1, "2031-01-15T12:00:00Z", "2031-02-15T12:00:00Z"),
        gamma: (3, "2031-01-25T12:00:00Z", "2031-02-25T12:00:00Z"),
    }
    assert story.registration(alpha)["expires"] == "2032-01-15T12:00:00Z"
    assert story.registration(alpha)["renews_at"] == "2031-12-16T12:00:00Z"
    assert story.registration(gamma)["expires"] == "2032-01-25T12:00:00Z"
    story.new_events()

    # Quotes ahead of time: today's catalog price x mailboxes.
    quote = api.get(f"/rest/v2/subscriptions/{subs[alpha]['subscription_id']}/renewal_quote").json()
    assert quote == {
        "subscription_id": subs[alpha]["subscription_id"], "due": "2031-02-15T12:00:00Z", "will_renew": True,
        "quantity": 2, "price_per_mailbox": {"amount": "6.00", "currency": "USD"}, "total": {"amount": "12.00", "currency": "USD"},
    }

    # ---- 15 February: alpha and beta renew.
    assert story.run(utc(2031, 2, 14, 12)) == {}
    report = story.run(utc(2031, 2, 15, 12))
    assert sorted(report["subscriptions_renewed"]) == sorted([subs[alpha]["subscription_id"], subs[beta]["subscription_id"]])
    assert sorted(story.new_entries()) == sorted([
        ("-12.00", f"Subscription {subs[alpha]['subscription_id']}: 2 GOOGLE mailboxes on {alpha} x 6.00 USD, "
                   "2031-02-15T12:00:00Z to 2031-03-15T12:00:00Z"),
        ("-6.00", f"Subscription {subs[beta]['subscription_id']}: 1 GOOGLE mailbox on {beta} x 6.00 USD, "
                  "2031-02-15T12:00:00Z to 2031-03-15T12:00:00Z"),
    ])
    assert story.balance() == "18.00"
    assert sorted(story.billing_events()) == sorted([("subscription.renewal.success", alpha), ("subscription.renewal.success", beta)])

    # ---- 20 February: g3 removed, a3 added (a full month's price for the current period), beta set to end.
    story.at(utc(2031, 2, 20, 12))
    removed = api.delete(f"/rest/v2/domains/{gamma}/mailboxes/g3%40{gamma}")
    assert removed.status_code == 200, removed.text
    assert removed.json()["subscription"]["quantity"] == 2
    story.order("/rest/v2/domains/mailboxes/order", {"mailboxes": [_box("a3", alpha)]})
    assert [a for a, _ in story.new_entries()] == ["-6.00"]
    assert api.patch(f"/rest/v2/subscriptions/{subs[beta]['subscription_id']}/auto_renew", json={"auto_renew": False}).status_code == 200
    assert api.patch(f"/rest/v2/domains/{beta}/auto_renew", json={"auto_renew": False}).json()["renews_at"] is None
    assert story.balance() == "12.00"
    subs = story.subscriptions()
    assert subs[alpha]["quantity"] == 3 and subs[alpha]["next_charge"] == {"amount": "18.00", "currency": "USD"}
    assert subs[beta]["next_charge"] is None
    wait_until(lambda: "g3" not in _sandbox_mailboxes(runtime, gamma))
    story.new_events()

    # ---- 25 February: gamma renews for its two remaining mailboxes: the wallet is empty.
    report = story.run(utc(2031, 2, 25, 12))
    assert report == {"subscriptions_renewed": [subs[gamma]["subscription_id"]]}
    assert [a for a, _ in story.new_entries()] == ["-12.00"]
    assert story.billing_events() == [("subscription.renewal.success", gamma)]
    assert story.balance() == "0.00"

    # ---- March: beta is warned 7 and 1 days ahead, then ends; alpha cannot be paid.
    assert list(story.run(utc(2031, 3, 8, 12))) == ["notices"]
    assert list(story.run(utc(2031, 3, 14, 12))) == ["notices"]
    assert story.billing_events() == [("subscription.expiring", beta), ("subscription.expiring", beta)]
    story.at(utc(2031, 3, 14, 13))
    refused = api.delete(f"/rest/v2/domains/{alpha}/mailboxes/a1%40{alpha}")
    assert refused.status_code == 422
    assert refused.json()["code"] == "removal_too_close_to_renewal"
    assert refused.json()["fields"][0]["field"] == "mailbox_email"

    report = story.run(utc(2031, 3, 15, 12))
    assert report == {
        "subscriptions_failed": [subs[alpha]["subscription_id"]], "subscriptions_ended": [subs[beta]["subscription_id"]],
    }
    assert story.new_entries() == []
    events = story.new_events()
    failed = next(data for kind, data in events if kind == "subscription.renewal.failed")
    assert failed["reason"] == "Insufficient funds: the renewal costs 18.00 USD and the balance is 0.00 USD"
    assert (failed["suspended_at"], failed["next_attempt"]) == ("2031-03-22T12:00:00Z", "2031-03-16T12:00:00Z")
    assert sorted((k, d["domain"]) for k, d in events) == sorted([("subscription.renewal.failed", alpha), ("subscription.cancelled", beta)])
    assert story.statuses() == {alpha: "PAST_DUE", beta: "EXPIRED", gamma: "ACTIVE"}
    wait_until(lambda: _sandbox_mailboxes(runtime, beta) == {})

    assert story.run(utc(2031, 3, 15, 18)) == {}  # retried, but the failure event is daily
    assert story.run(utc(2031, 3, 16, 12)) == {"subscriptions_failed": [subs[alpha]["subscription_id"]]}
    assert story.billing_events() == [("subscription.renewal.failed", alpha)]

    # ---- 22 March: grace is over; alpha's mailboxes are suspended at the host.
    assert story.run(utc(2031, 3, 22, 12)) == {"subscriptions_suspended": [subs[alpha]["subscription_id"]]}
    assert story.billing_events() == [("subscription.suspended", alpha)]
    assert story.statuses()[alpha] == "SUSPENDED"
    wait_until(lambda: _sandbox_mailboxes(runtime, alpha) == {"a1": "suspended", "a2": "suspended", "a3": "suspended"})
    assert story.run(utc(2031, 3, 25, 12)) == {"subscriptions_failed": [subs[gamma]["subscription_id"]]}
    assert story.billing_events() == [("subscription.renewal.failed", gamma)]

    # ---- 26 March: a top-up; the next run restores alpha (new period from now) and renews gamma.
    story.credit(utc(2031, 3, 26, 10), "30.00")
    report = story.run(utc(2031, 3, 26, 12))
    assert sorted(report["subscriptions_renewed"]) == sorted([subs[alpha]["subscription_id"], subs[gamma]["subscription_id"]])
    assert sorted(story.new_entries()) == sorted([
        ("30.00", "Top-up"),
        ("-18.00", f"Subscription {subs[alpha]['subscription_id']}: 3 GOOGLE mailboxes on {alpha} x 6.00 USD, "
                   "2031-03-26T12:00:00Z to 2031-04-26T12:00:00Z"),
        ("-12.00", f"Subscription {subs[gamma]['subscription_id']}: 2 GOOGLE mailboxes on {gamma} x 6.00 USD, "
                   "2031-03-25T12:00:00Z to 2031-04-25T12:00:00Z"),
    ])
    assert story.balance() == "0.00"
    assert story.statuses() == {alpha: "ACTIVE", beta: "EXPIRED", gamma: "ACTIVE"}
    wait_until(lambda: _sandbox_mailboxes(runtime, alpha) == {"a1": "active", "a2": "active", "a3": "active"})
    story.new_events()

    # ---- 27 March: gamma cancelled for the end of its paid period.
    story.at(utc(2031, 3, 27, 12))
    cancelled = api.post(f"/rest/v2/subscriptions/{subs[gamma]['subscription_id']}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["auto_renew"]) == ("ACTIVE", False)
    assert story.run(utc(2031, 4, 18, 12)) == {"notices": [f"subscription-expiring:{subs[gamma]['subscription_id']}:2031-04-25T12:00:00Z:7d"]}
    story.credit(utc(2031, 4, 20, 12), "163.00")
    assert list(story.run(utc(2031, 4, 24, 12))) == ["notices"]
    assert story.run(utc(2031, 4, 25, 12)) == {"subscriptions_ended": [subs[gamma]["subscription_id"]]}
    assert story.billing_events() == [
        ("subscription.expiring", gamma), ("subscription.expiring", gamma), ("subscription.cancelled", gamma),
    ]
    assert story.statuses() == {alpha: "ACTIVE", beta: "EXPIRED", gamma: "CANCELLED"}
    wait_until(lambda: _sandbox_mailboxes(runtime, gamma) == {})

    # ---- April to November: alpha renews on the 26th, 18.00 each time.
    for month in range(4, 12):
        assert story.run(utc(2031, month, 26, 12)) == {"subscriptions_renewed": [subs[alpha]["subscription_id"]]}
    assert [a for a, _ in story.new_entries()] == ["163.00"] + ["-18.00"] * 8
    assert story.billing_events() == [("subscription.renewal.success", alpha)] * 8
    assert story.balance() == "19.00"

    # ---- 16 December: alpha.com renews its registration 30 days ahead.
    assert story.run(utc(2031, 12, 16, 11)) == {}
    assert story.run(utc(2031, 12, 16, 12)) == {"domains_renewed": [_domain_id(runtime, alpha)]}
    assert story.new_entries() == [
        ("-13.00", f"Domain {alpha}: renewal for 1 year, expiry 2032-01-15T12:00:00Z to 2033-01-15T12:00:00Z"),
    ]
    assert story.billing_events() == [("domain.renewal.success", alpha)]
    assert story.registration(alpha)["expires"] == "2033-01-15T12:00:00Z"
    wait_until(lambda: _sandbox_expiry(runtime, alpha) == "2033-01-15T12:00:00Z")
    assert story.balance() == "6.00"

    # ---- 26 December: neither gamma.org's registration (12.00) nor alpha's month (18.00) can be paid.
    report = story.run(utc(2031, 12, 26, 12))
    assert report == {"domains_failed": [_domain_id(runtime, gamma)], "subscriptions_failed": [subs[alpha]["subscription_id"]]}
    assert story.billing_events() == [("domain.renewal.failed", gamma), ("subscription.renewal.failed", alpha)]
    story.credit(utc(2031, 12, 27, 10), "30.00")
    report = story.run(utc(2031, 12, 27, 12))
    assert report == {"domains_renewed": [_domain_id(runtime, gamma)], "subscriptions_renewed": [subs[alpha]["subscription_id"]]}
    assert story.new_entries() == [
        ("30.00", "Top-up"),
        ("-12.00", f"Domain {gamma}: renewal for 1 year, expiry 2032-01-25T12:00:00Z to 2033-01-25T12:00:00Z"),
        ("-18.00", f"Subscription {subs[alpha]['subscription_id']}: 3 GOOGLE mailboxes on {alpha} x 6.00 USD, "
                   "2031-12-26T12:00:00Z to 2032-01-26T12:00:00Z"),  # paid in grace: the period continues
    ]
    assert story.billing_events() == [("domain.renewal.success", gamma), ("subscription.renewal.success", alpha)]
    assert story.balance() == "6.00"

    # ---- January and February 2032: beta.net is left to expire, then released.
    assert list(story.run(utc(2032, 1, 8, 12))) == ["notices"]
    assert list(story.run(utc(2032, 1, 14, 12))) == ["notices"]
    assert story.billing_events() == [("domain.expiring", beta), ("domain.expiring", beta)]
    assert story.run(utc(2032, 1, 15, 12)) == {}
    assert story.registration(beta)["status"] == "EXPIRED"
    story.credit(utc(2032, 1, 20, 12), "30.00")
    assert story.run(utc(2032, 1, 26, 12)) == {"subscriptions_renewed": [subs[alpha]["subscription_id"]]}
    assert story.run(utc(2032, 2, 14, 12)) == {"domains_released": [_domain_id(runtime, beta)]}
    assert story.registration(beta)["status"] == "RELEASED"
    assert story.run(utc(2032, 2, 26, 12)) == {"subscriptions_renewed": [subs[alpha]["subscription_id"]]}
    assert story.run(utc(2032, 3, 15, 12)) == {}
    assert [a for a, _ in story.new_entries()] == ["30.00", "-18.00", "-18.00"]
    assert story.billing_events() == [("subscription.renewal.success", alpha)] * 2

    # ---- March 2032: where everything stands, and the whole ledger.
    assert story.balance() == "0.00"
    subs = story.subscriptions()
    assert {d: (s["status"], s["quantity"], s["period_end"]) for d, s in subs.items()} == {
        alpha: ("ACTIVE", 3, "2032-03-26T12:00:00Z"),
        beta: ("EXPIRED", 0, "2031-03-15T12:00:00Z"),
        gamma: ("CANCELLED", 0, "2031-04-25T12:00:00Z"),
    }
    assert (subs[beta]["end_reason"], subs[gamma]["end_reason"]) == ("auto_renew_off", "cancelled")
    assert [story.registration(d)["status"] for d in (alpha, beta, gamma)] == ["ACTIVE", "RELEASED", "ACTIVE"]
    wallet_body = api.get("/rest/v2/wallet", params={"per_page": 200}).json()
    debits = [e["amount"] for e in reversed(wallet_body["entries"]) if e["kind"] == "debit"]
    # orders, Feb renewals, a3, gamma, restore + gamma, 8 x alpha, alpha.com, gamma.org + alpha, 2 x alpha
    assert sorted(debits) == sorted(
        ["-46.00", "-30.00", "-12.00", "-6.00", "-6.00", "-12.00", "-18.00", "-12.00"]
        + ["-18.00"] * 8 + ["-13.00", "-12.00", "-18.00", "-18.00", "-18.00"]
    )


def _domain_id(runtime, name: str) -> str:
    from mailwright.domains.models import Domain

    with runtime.db.read() as session:
        return session.scalar(sa.select(Domain.id).where(Domain.name == name))

