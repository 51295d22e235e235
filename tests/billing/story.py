"""A helper that drives one account's billing through time: the clock is frozen at each moment,
renewals run as of that moment (twice, to show a repeat does nothing), and what changed — ledger
entries, events — is collected for exact assertions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import sqlalchemy as sa

from mailwright import clock
from mailwright.accounts.models import Account
from mailwright.billing import renewals
from mailwright.events.models import Event
from mailwright.money import Money
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet
from mailwright.wallet.models import LedgerEntry
from tests.conftest import wait_for_order

ACTIONS = (
    "subscriptions_renewed", "subscriptions_failed", "subscriptions_suspended", "subscriptions_ended",
    "domains_renewed", "domains_failed", "domains_released", "notices",
)


class Story:
    def __init__(self, runtime: Runtime, api: httpx.Client, account_id: str) -> None:
        self.runtime, self.api, self.account_id = runtime, api, account_id
        self.seen_entries: set[str] = set()
        self.event_seq = 0

    def at(self, moment: dt.datetime) -> None:
        clock.freeze(moment)

    def run(self, moment: dt.datetime) -> dict[str, list[str]]:
        """run-due as of `moment`; a second run at the same moment must change nothing."""
        self.at(moment)
        report = renewals.run_due(self.runtime, moment, account_id=self.account_id).as_dict()
        again = renewals.run_due(self.runtime, moment, account_id=self.account_id).as_dict()
        assert all(again[name] == [] for name in ACTIONS), again
        return {name: report[name] for name in ACTIONS if report[name]}

    def order(self, path: str, body: dict[str, Any]) -> str:
        response = self.api.post(path, json=body)
        assert response.status_code == 202, response.text
        order = wait_for_order(self.api, response.json()["order_id"])
        assert order["status"] == "completed", order
        return order["order_id"]

    def credit(self, moment: dt.datetime, amount: str) -> None:
        self.at(moment)
        with self.runtime.db.write() as session:
            account = wallet.lock_account(session, self.account_id)
            wallet.credit(session, account, Money.parse(amount, account.currency), "Top-up")

    def new_entries(self) -> list[tuple[str, str]]:
        """Ledger entries since the last call, oldest first: (amount, description)."""
        with self.runtime.db.read() as session:
            rows = session.scalars(
                sa.select(LedgerEntry).where(LedgerEntry.account_id == self.account_id).order_by(LedgerEntry.created_at, LedgerEntry.id)
            ).all()
        fresh = [r for r in rows if r.id not in self.seen_entries]
        self.seen_entries.update(r.id for r in fresh)
        return [(Money(r.amount_minor, r.currency).decimal, r.description) for r in fresh]

    def new_events(self) -> list[tuple[str, dict[str, Any]]]:
        with self.runtime.db.read() as session:
            rows = session.scalars(
                sa.select(Event).where(Event.account_id == self.account_id, Event.seq > self.event_seq).order_by(Event.seq)
            ).all()
        if rows:
            self.event_seq = rows[-1].seq
        return [(r.type, json.loads(r.data)) for r in rows]

    def billing_events(self) -> list[tuple[str, str]]:
        """New billing events as (type, domain), order events left out."""
        return [
            (kind, data["domain"]) for kind, data in self.new_events()
            if kind.startswith("subscription.") or kind.startswith("domain.renewal") or kind == "domain.expiring"
        ]

    def balance(self) -> str:
        with self.runtime.db.read() as session:
            account = session.get(Account, self.account_id)
            assert account is not None
            total = wallet.balance(session, account)
            ledger_sum = session.scalar(
                sa.select(sa.func.sum(LedgerEntry.amount_minor)).where(LedgerEntry.account_id == self.account_id)
            )
        assert total.minor == ledger_sum
        return total.decimal

    def subscriptions(self) -> dict[str, dict[str, Any]]:
        """As the API shows them at the frozen moment, by domain."""
        response = self.api.get("/rest/v2/subscriptions")
        assert response.status_code == 200, response.text
        return {s["domain"]: s for s in response.json()["subscriptions"]}

    def statuses(self) -> dict[str, str]:
        return {domain: s["status"] for domain, s in self.subscriptions().items()}

    def registration(self, domain: str) -> dict[str, Any]:
        response = self.api.get(f"/rest/v2/domains/{domain}/renewal")
        assert response.status_code == 200, response.text
        return response.json()
