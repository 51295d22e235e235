"""Renewals through the reseller face are all or nothing: a batch of subscriptions or domains is
charged and extended in one transaction, or not at all (no funds, an item that cannot be renewed,
a concurrent spend); each batch is recorded and can be looked up by its actionId."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from mailwright.accounts import service as accounts
from mailwright.billing.lifecycle import next_period_end
from mailwright.billing.models import Subscription
from mailwright.domains.models import Domain
from mailwright.mailboxes.models import Mailbox
from mailwright.money import Money
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry
from mailwright.wallet.service import InsufficientFunds
from tests.billing.conftest import moving_clock  # noqa: F401  (fixture)
from tests.conftest import OWNER, Customer, client_for, unique, wait_for_order
from tests.reseller.conftest import create_user, field_errors, order_for_user, reseller_client

SPENDERS = 4
ROUNDS = 6
SPARE_SPENDS = 12  # the batch still fits after this many concurrent spends


@dataclass
class Estate:
    """A reseller whose one user holds five ready domains, each with one mailbox and subscription."""

    customer: Customer
    user_id: str
    domains: list[str]  # by name
    domain_ids: dict[str, str]
    subscription_ids: dict[str, str]  # domain name -> subscription id


@pytest.fixture(scope="module")
def estate(server, runtime) -> Estate:
    with runtime.db.write() as session:
        account, key = accounts.create_account(session, f"Reseller {unique()}", "USD", credit=Money(100_000, "USD"))
    customer = Customer(account.id, key, "USD")
    names = sorted(f"{unique('rb')}.com" for _ in range(5))
    with client_for(server, customer) as woodpecker, reseller_client(server, customer) as client:
        assert woodpecker.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        user_id = create_user(client)["userId"]
        order_id = order_for_user(runtime, customer, user_id, names, ("ann",))
        assert wait_for_order(woodpecker, order_id)["status"] == "completed"
    with runtime.db.read() as session:
        ids = dict(session.execute(sa.select(Domain.name, Domain.id).where(Domain.name.in_(names))).all())
        subs = dict(session.execute(
            sa.select(Domain.name, Subscription.id).join(Subscription, Subscription.domain_id == Domain.id).where(Domain.name.in_(names))
        ).all())
    return Estate(customer, user_id, names, ids, subs)


@pytest.fixture
def client(server, estate):
    with reseller_client(server, estate.customer) as c:
        yield c


# ------------------------------------------------------------------ helpers


def set_balance(runtime, account_id: str, minor: int) -> None:
    with runtime.db.write() as session:
        account = wallet.lock_account(session, account_id)
        difference = minor - wallet.balance(session, account).minor
        if difference > 0:
            wallet.credit(session, account, Money(difference, account.currency), "Top-up")
        elif difference < 0:
            wallet.debit(session, account_id, Money(-difference, account.currency), "Spent elsewhere")


@dataclass(frozen=True)
class Snapshot:
    period_ends: dict[str, dt.datetime]
    anchors: dict[str, dt.datetime]
    expiries: dict[str, dt.datetime]
    balance_minor: int
    renewal_charges: int  # ledger entries of renewals

    def next_end(self, sub_id: str) -> dt.datetime:
        """Where the subscription's period ends once renewed (whole months from its anchor)."""
        return next_period_end(self.anchors[sub_id], self.period_ends[sub_id])


def snapshot(runtime, estate: Estate) -> Snapshot:
    with runtime.db.read() as session:
        subs = session.execute(sa.select(Subscription).where(Subscription.account_id == estate.customer.id)).scalars().all()
        ends, anchors = {s.id: s.period_end for s in subs}, {s.id: s.anchor_at for s in subs}
        expiries = dict(session.execute(sa.select(Domain.id, Domain.expires_at).where(Domain.account_id == estate.customer.id)).all())
        balance = session.scalar(sa.select(sa.func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.account_id == estate.customer.id))
        charges = session.scalar(
            sa.select(sa.func.count()).select_from(LedgerEntry)
            .where(LedgerEntry.account_id == estate.customer.id, LedgerEntry.dedupe_key.like("renewal:%"))
        )
    return Snapshot(ends, anchors, expiries, int(balance), int(charges))


def subscription_cost(client, estate: Estate, names: list[str]) -> int:
    """What renewing these subscriptions costs, in cents (mailboxes x price per mailbox)."""
    total = 0
    for name in names:
        sub = client.get("/subscriptions", params={"domain": name}).json()["data"]["subscriptions"][0]
        total += sub["totalMailboxQuantity"] * round(float(sub["pricePerMailbox"]) * 100)
    return total


def domain_cost(client, estate: Estate, names: list[str]) -> int:
    prices = client.post("/domains/renewal-price", json={"userId": estate.user_id, "domains": names}).json()["data"]
    return sum(round(float(p["renewalPrice"]) * 100) for p in prices)


def cents(text: str) -> int:
    return round(float(text) * 100)


# ------------------------------------------------------------------ no funds: nothing renewed


def test_renew_subscriptions_without_enough_funds_renews_none(client, estate, runtime):
    names = estate.domains[:2]
    cost = subscription_cost(client, estate, names)
    set_balance(runtime, estate.customer.id, cost - 1)
    before = snapshot(runtime, estate)
    response = client.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [estate.subscription_ids[n] for n in names]})
    assert response.status_code == 402, response.text
    assert response.json()["data"] == {"code": "insufficient_funds", "errors": [], "requestId": response.headers["x-request-id"]}
    total, balance = Money(cost, "USD").decimal, Money(cost - 1, "USD").decimal
    assert response.json()["message"] == f"Insufficient funds: the renewal costs {total} USD and the balance is {balance} USD"
    assert snapshot(runtime, estate) == before


def test_renew_domains_without_enough_funds_renews_none(client, estate, runtime):
    names = estate.domains[:2]
    cost = domain_cost(client, estate, names)
    set_balance(runtime, estate.customer.id, cost - 1)
    before = snapshot(runtime, estate)
    response = client.post("/domains/renew", json={"userId": estate.user_id, "domains": names})
    assert response.status_code == 402, response.text
    assert response.json()["data"] == {"code": "insufficient_funds", "errors": [], "requestId": response.headers["x-request-id"]}
    total, balance = Money(cost, "USD").decimal, Money(cost - 1, "USD").decimal
    assert response.json()["message"] == f"Insufficient funds: the renewal costs {total} USD and the balance is {balance} USD"
    assert snapshot(runtime, estate) == before


# ------------------------------------------------------------------ one item refused: nothing renewed


def test_a_batch_with_an_ended_subscription_renews_none(client, estate, runtime):
    ended = estate.domains[3]
    assert client.post("/subscriptions/cancel", json={"domain": ended}).status_code == 200
    cancelled = client.get("/subscriptions", params={"userId": estate.user_id, "status": "CANCELLED"}).json()["data"]
    assert [s["domain"] for s in cancelled["subscriptions"]] == [ended] and cancelled["pagination"]["totalSearchedCount"] == 1
    set_balance(runtime, estate.customer.id, 100_000)
    before = snapshot(runtime, estate)
    ids = [estate.subscription_ids[estate.domains[0]], estate.subscription_ids[ended]]
    response = client.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": ids})
    assert response.status_code == 422, response.text
    assert response.json()["data"]["code"] == "subscription_ended"
    errors = field_errors(response)
    assert list(errors) == ["subscriptionIds[1]"] and errors["subscriptionIds[1]"].startswith("The subscription ended (cancelled) at ")
    assert snapshot(runtime, estate) == before


def test_a_batch_with_a_released_domain_renews_none(client, estate, runtime):
    released = estate.domains[4]
    removed = client.request("DELETE", "/domains", json={"userId": estate.user_id, "domains": [released]})
    assert removed.status_code == 200, removed.text
    set_balance(runtime, estate.customer.id, 100_000)
    before = snapshot(runtime, estate)
    response = client.post("/domains/renew", json={"userId": estate.user_id, "domains": [estate.domains[0], estate.domain_ids[released]]})
    assert response.status_code == 422, response.text
    assert response.json()["data"]["code"] == "domain_not_renewable"
    assert field_errors(response) == {"domains[1]": "The domain is released and cannot be renewed"}
    assert snapshot(runtime, estate) == before


def test_unknown_items_are_named_where_the_request_gave_them(client, estate):
    sub_id = estate.subscription_ids[estate.domains[0]]
    response = client.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [sub_id, sub_id, "0" * 28]})
    assert response.status_code == 404
    assert field_errors(response) == {"subscriptionIds[2]": "No such subscription of yours"}


# ------------------------------------------------------------------ removal near the renewal


def test_removing_a_mailbox_within_a_day_of_the_period_end_is_refused(client, estate, runtime, moving_clock):  # noqa: F811
    name = estate.domains[2]
    with runtime.db.read() as session:
        period_end = session.get(Subscription, estate.subscription_ids[name]).period_end
        mailbox_id = session.scalar(sa.select(Mailbox.id).where(Mailbox.email == f"ann@{name}"))
    moving_clock.at(period_end - dt.timedelta(hours=1))
    response = client.request("DELETE", "/mailboxes", json={"mailboxId": mailbox_id})
    assert response.status_code == 422, response.text
    assert response.json()["data"]["code"] == "removal_too_close_to_renewal"
    cutoff = (period_end - dt.timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = period_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert field_errors(response) == {"mailboxId": f"Removal closed from {cutoff} until {until}"}
    moving_clock.release()
    details = client.get("/mailboxes/details", params={"userId": estate.user_id, "mailboxId": mailbox_id}).json()["data"]
    assert details["status"] == "LIVE"


# ------------------------------------------------------------------ racing a concurrent spend


def test_a_batch_racing_concurrent_spends_is_renewed_whole_or_not_at_all(client, estate, runtime):
    names = estate.domains[:2]
    ids = [estate.subscription_ids[n] for n in names]
    cost = subscription_cost(client, estate, names)
    spend = Money(max(cost // 10, 1), "USD")
    outcomes = []
    for _ in range(ROUNDS):
        # The spenders drain the wallet while the batch is in flight: whether it still fits
        # depends on timing, but it is never renewed in part.
        set_balance(runtime, estate.customer.id, cost + SPARE_SPENDS * spend.minor)
        before = snapshot(runtime, estate)
        status, spent = _race(client, runtime, estate.customer.id, ids, spend)
        after = snapshot(runtime, estate)
        outcomes.append(status)
        assert after.balance_minor >= 0
        if status == 200:
            assert {i: after.period_ends[i] for i in ids} == {i: before.next_end(i) for i in ids}
            assert after.renewal_charges == before.renewal_charges + len(ids)
            assert after.balance_minor == before.balance_minor - cost - spent * spend.minor
        else:
            assert status == 402, outcomes
            assert {i: after.period_ends[i] for i in ids} == {i: before.period_ends[i] for i in ids}
            assert after.renewal_charges == before.renewal_charges
            assert after.balance_minor == before.balance_minor - spent * spend.minor


def _race(client, runtime, account_id: str, ids: list[str], spend: Money) -> tuple[int, int]:
    """The batch renewal while SPENDERS threads keep debiting `spend` until the batch has
    answered or the wallet is empty; returns the batch's HTTP status and how many spends went through."""
    barrier = threading.Barrier(SPENDERS + 1)
    answered = threading.Event()
    spent: list[int] = []
    statuses: list[int] = []
    errors: list[BaseException] = []

    def spender() -> None:
        try:
            barrier.wait(timeout=30)
            while not answered.is_set():
                with runtime.db.write() as session:
                    wallet.debit(session, account_id, spend, "Concurrent spend")
                spent.append(1)
        except InsufficientFunds:
            pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def renewer() -> None:
        try:
            barrier.wait(timeout=30)
            statuses.append(client.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": ids}).status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            answered.set()

    threads = [threading.Thread(target=spender) for _ in range(SPENDERS)] + [threading.Thread(target=renewer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(statuses) == 1
    return statuses[0], len(spent)


# ------------------------------------------------------------------ recorded actions


def test_a_subscription_renewal_is_recorded_and_looked_up(client, other_reseller, estate, runtime):
    set_balance(runtime, estate.customer.id, 100_000)
    names = estate.domains[:2]
    before = snapshot(runtime, estate)
    response = client.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [estate.subscription_ids[n] for n in names]})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"actionId", "userId", "createdAt", "totalCharged", "currency", "renewed"}
    assert data["userId"] == estate.user_id and data["currency"] == "USD"
    assert [(r["subscriptionId"], r["domain"]) for r in data["renewed"]] == [(estate.subscription_ids[n], n) for n in names]
    for item in data["renewed"]:
        expected = before.next_end(item["subscriptionId"])
        assert item["periodEnd"] == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cents(data["totalCharged"]) == sum(cents(r["amount"]) for r in data["renewed"]) == before.balance_minor - snapshot(runtime, estate).balance_minor

    looked_up = client.get(f"/subscriptions/renew-subscriptions/{data['actionId']}")
    assert looked_up.status_code == 200
    assert looked_up.json() == {"status": 200, "message": "Renewal fetched successfully", "data": data}
    foreign = other_reseller.get(f"/subscriptions/renew-subscriptions/{data['actionId']}")
    assert foreign.status_code == 404 and field_errors(foreign) == {"actionId": "No such renewal action of yours"}
    unknown = client.get(f"/subscriptions/renew-subscriptions/{'0' * 28}")
    assert unknown.status_code == 404 and field_errors(unknown) == {"actionId": "No such renewal action of yours"}
    assert client.get(f"/domains/renew/{data['actionId']}").status_code == 404  # not a renewal of domains


def test_a_domain_renewal_is_recorded_and_looked_up(client, other_reseller, estate, runtime):
    set_balance(runtime, estate.customer.id, 100_000)
    names = estate.domains[:2]
    response = client.post("/domains/renew", json={"userId": estate.user_id, "domains": names})
    assert response.status_code == 200, response.text
    items = response.json()["data"]
    assert [i["domainName"] for i in items] == names
    action_ids = {i["actionId"] for i in items}
    assert len(action_ids) == 1
    action_id = action_ids.pop()
    looked_up = client.get(f"/domains/renew/{action_id}")
    assert looked_up.status_code == 200, looked_up.text
    action = looked_up.json()["data"]
    assert action["userId"] == estate.user_id
    assert [(r["domainId"], r["domainName"], r["expireOn"], r["amount"]) for r in action["renewed"]] == [
        (i["domainId"], i["domainName"], i["expireOn"], i["renewalPrice"]) for i in items
    ]
    assert cents(action["totalCharged"]) == sum(cents(i["renewalPrice"]) for i in items)
    assert other_reseller.get(f"/domains/renew/{action_id}").status_code == 404
    assert client.get(f"/subscriptions/renew-subscriptions/{action_id}").status_code == 404


# ------------------------------------------------------------------ Idempotency-Key


def test_a_repeated_keyed_renewal_is_charged_once(client, estate, runtime):
    set_balance(runtime, estate.customer.id, 100_000)
    body = {"subscriptionIds": [estate.subscription_ids[estate.domains[0]]]}
    key = {"Idempotency-Key": unique("renew")}
    first = client.post("/subscriptions/renew-subscriptions", json=body, headers=key)
    assert first.status_code == 200, first.text
    after_first = snapshot(runtime, estate)
    again = client.post("/subscriptions/renew-subscriptions", json=body, headers=key)
    assert again.status_code == 200 and again.json() == first.json()
    assert snapshot(runtime, estate) == after_first
    other = client.post("/subscriptions/renew-subscriptions", json={"subscriptionIds": [estate.subscription_ids[estate.domains[1]]]}, headers=key)
    assert other.status_code == 422 and other.json()["data"]["code"] == "idempotency_key_reused"

    # A domain not renewed before in this module: its registrar renewal is the only one in flight.
    domains_body = {"userId": estate.user_id, "domains": [estate.domains[2]]}
    domain_key = {"Idempotency-Key": unique("renew")}
    first = client.post("/domains/renew", json=domains_body, headers=domain_key)
    assert first.status_code == 200, first.text
    after_first = snapshot(runtime, estate)
    assert client.post("/domains/renew", json=domains_body, headers=domain_key).json() == first.json()
    assert snapshot(runtime, estate) == after_first
