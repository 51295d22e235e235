"""Renewals run at the same moment from many threads at once (as several workers or a cron job
beside the schedule would): each period is charged and extended exactly once."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from mailwright.billing import renewals
from mailwright.billing.models import Subscription
from mailwright.domains.models import Domain
from mailwright.events.models import Event
from mailwright.wallet.models import LedgerEntry
from tests.billing.conftest import utc
from tests.billing.story import Story
from tests.conftest import OWNER, client_for, unique

RUNNERS = 8


def _run_together(runtime, moment, account_id: str) -> list[dict]:
    barrier = threading.Barrier(RUNNERS)
    reports: list[dict] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            barrier.wait(timeout=30)
            reports.append(renewals.run_due(runtime, moment, account_id=account_id).as_dict())
        except BaseException as exc:  # surfaced below with the test's assertion
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(RUNNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(reports) == RUNNERS
    return reports


def test_concurrent_runs_charge_and_extend_each_period_once(runtime, server, make_account, moving_clock):
    # 2 domains (13.00 + 15.00) with 2 + 1 MAILFORGE mailboxes at 4.00: 40.00; then one month of
    # each subscription (8.00 + 4.00), and 8.00 to spare.
    account = make_account(credit="60.00")
    first, second = f"{unique('race')}.com", f"{unique('race')}.net"
    with client_for(server, account) as api:
        story = Story(runtime, api, account.id)
        story.at(utc(2032, 5, 10, 8))
        assert api.post("/rest/v2/domains/owner", json=OWNER).status_code == 200
        story.order("/rest/v2/domains/order", {
            "provider": "MAILFORGE", "domains": [first, second],
            "mailboxes": [
                {"first_name": "Big", "last_name": "Head", "email": f"big@{first}"},
                {"first_name": "Monica", "last_name": "Hall", "email": f"monica@{first}"},
                {"first_name": "Laurie", "last_name": "Bream", "email": f"laurie@{second}"},
            ],
        })
        story.new_entries()
        story.new_events()

        reports = _run_together(runtime, utc(2032, 6, 10, 8), account.id)
        renewed = [sub for report in reports for sub in report["subscriptions_renewed"]]
        assert len(renewed) == 2 and len(set(renewed)) == 2  # each renewed by exactly one runner
        assert sorted(a for a, _ in story.new_entries()) == ["-4.00", "-8.00"]
        assert [kind for kind, _ in story.new_events()] == ["subscription.renewal.success"] * 2
        assert story.balance() == "8.00"
        with runtime.db.read() as session:
            ends = set(session.scalars(sa.select(Subscription.period_end).where(Subscription.account_id == account.id)))
        assert ends == {utc(2032, 7, 10, 8)}

        # 8.00 cannot pay both next months (8.00 + 4.00): whichever is charged first is renewed,
        # the other fails, and its failure is recorded once however many runners saw it.
        reports = _run_together(runtime, utc(2032, 7, 10, 8), account.id)
        renewed = [sub for r in reports for sub in r["subscriptions_renewed"]]
        failed = [sub for r in reports for sub in r["subscriptions_failed"]]
        assert len(renewed) == 1 and len(failed) == 1 and renewed != failed, reports
        assert len(story.new_entries()) == 1
        assert sorted(kind for kind, _ in story.new_events()) == ["subscription.renewal.failed", "subscription.renewal.success"]
        assert story.balance() in ("0.00", "4.00")

        # Domain renewals: one of each, even with every runner racing for it.
        story.credit(utc(2033, 4, 10, 8), "100.00")
        story.new_entries()
        reports = _run_together(runtime, utc(2033, 4, 10, 9), account.id)
        domains_renewed = [d for r in reports for d in r["domains_renewed"]]
        assert len(domains_renewed) == 2 and len(set(domains_renewed)) == 2
        with runtime.db.read() as session:
            charges = session.scalars(
                sa.select(LedgerEntry.amount_minor).where(
                    LedgerEntry.account_id == account.id, LedgerEntry.dedupe_key.like("renewal:domain:%")
                )
            ).all()
            expiries = set(session.scalars(sa.select(Domain.expires_at).where(Domain.account_id == account.id)))
            success = session.scalar(
                sa.select(sa.func.count()).select_from(Event).where(
                    Event.account_id == account.id, Event.type == "domain.renewal.success"
                )
            )
        assert sorted(charges) == [-1500, -1300]
        assert expiries == {utc(2034, 5, 10, 8)}
        assert success == 2
