"""A subscription's status is derived from stored times twice: in Python for what the APIs show,
and in SQL for filtering and paging listings in the database. Both must agree on every branch
and at every boundary (one microsecond either side)."""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from mailwright.billing import service as billing
from mailwright.billing.lifecycle import SubscriptionStatus, subscription_status, subscription_status_sql
from mailwright.billing.models import EndReason, Subscription, SubscriptionRecord
from mailwright.domains.models import Domain, DomainStatus
from mailwright.pagination import PageRequest
from tests.billing.conftest import utc
from tests.conftest import unique

# Far beyond any moment the schedule or other tests use, so nothing acts on these rows meanwhile.
NOW = utc(2090, 3, 15, 12, 30)
MICRO = dt.timedelta(microseconds=1)


def _period_ends(settings) -> list[dt.datetime]:
    grace = dt.timedelta(days=settings.subscription_grace_days)
    deleted = grace + dt.timedelta(days=settings.subscription_suspension_days)
    ends = []
    for boundary in (NOW, NOW - grace, NOW - deleted):
        ends += [boundary - MICRO, boundary, boundary + MICRO]
    return ends + [NOW + dt.timedelta(days=20), NOW - dt.timedelta(days=400)]


def _rows(account_id: str, domain_id: str, settings) -> list[Subscription]:
    rows = []
    for end, auto_renew, suspended, status, reason in itertools.product(
        _period_ends(settings), (True, False), (None, NOW - dt.timedelta(days=1)),
        (SubscriptionRecord.RUNNING, SubscriptionRecord.ENDED), (None, EndReason.CANCELLED, EndReason.UNPAID),
    ):
        rows.append(Subscription(
            account_id=account_id, domain_id=domain_id, domain_claim=None, provider="GOOGLE", price_per_mailbox_minor=300,
            currency="USD", anchor_at=end - dt.timedelta(days=31), period_start=end - dt.timedelta(days=31), period_end=end,
            auto_renew=auto_renew, status=status, suspended_at=suspended, end_reason=reason,
            ended_at=end if status == SubscriptionRecord.ENDED else None,
        ))
    return rows


def test_sql_and_python_statuses_agree(runtime, make_account):
    account = make_account()
    settings = runtime.settings
    with runtime.db.write() as session:
        domain = Domain(
            account_id=account.id, name=f"{unique('st')}.com", provider="GOOGLE", status=DomainStatus.FAILED,
            price_minor=0, currency="USD", max_mailboxes=5, owner_snapshot="{}",
        )
        session.add(domain)
        session.flush()
        rows = _rows(account.id, domain.id, settings)
        session.add_all(rows)
        session.flush()
        expected = {row.id: subscription_status(row, NOW, settings) for row in rows}
    with runtime.db.read() as session:
        in_sql = dict(session.execute(
            sa.select(Subscription.id, subscription_status_sql(NOW, settings)).where(Subscription.account_id == account.id)
        ).all())
        assert in_sql == expected
        assert set(expected.values()) == set(SubscriptionStatus.ALL)  # every branch is covered

        # The listing's filter and count come from SQL, what it shows from Python: the same rows,
        # each once across the pages.
        for status in SubscriptionStatus.ALL:
            shown, number = [], 1
            while number:
                page = billing.subscriptions_page(
                    session, settings, runtime.providers, account.id, PageRequest(number, 40), status=status, at=NOW
                )
                assert page.total == sum(1 for s in expected.values() if s == status)
                shown += [(v.id, v.status) for v in page.items]
                number = page.next_page
            assert sorted(shown) == sorted((i, s) for i, s in expected.items() if s == status)
