"""Renewals: what the schedule runs (and `mailwright billing run-due`), as of a moment `at`.

Every change states what it expects to change — a subscription's period end, a domain's expiry
— and is a compare-and-set in the same transaction as its ledger entry (whose dedupe key names
the same period). So however often, however concurrently, and with whatever `at` it runs, one
period is charged and extended at most once.

Subscriptions (monthly):
  period end reached, auto-renew on  -> charge quantity x today's price book price, extend one month
  not enough funds                   -> PAST_DUE: retried every run, `subscription.renewal.failed`
                                        at most once per renewal_retry_hours (daily)
  grace over (subscription_grace_days) -> mailboxes suspended at the host, `subscription.suspended`
  paid while suspended               -> restored; the new period starts when paid (no charge for
                                        the suspended days)
  suspension over (subscription_suspension_days) -> mailboxes and workspace deleted
  auto-renew off                     -> `subscription.expiring` 7 and 1 days before; ends at period end
Domains (yearly): renewed domain_renew_days_before expiry; unpaid: `domain.renewal.failed`
daily, `domain.expiring` 7 and 1 days before expiry; released domain_grace_days after expiry.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.billing import lifecycle, notify, repository, workspace
from mailwright.billing.models import BillingNotice, EndReason, Subscription, SubscriptionRecord
from mailwright.billing.service import domain_renewal_price, mailbox_price
from mailwright.clock import iso
from mailwright.db.cas import transition
from mailwright.domains.models import Domain, DomainStatus
from mailwright.errors import FieldIssue
from mailwright.events import types
from mailwright.mailboxes.models import MailboxStatus
from mailwright.money import Money
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet
from mailwright.wallet.service import InsufficientFunds, PaymentFailed

log = logging.getLogger(__name__)

RENEW_REGISTRATION_WORKFLOW = "billing_renew_registration"
# Registrations we still hold (not failed, not released).
HELD = (DomainStatus.ORDERED, DomainStatus.REGISTERED, DomainStatus.DNS_CONFIGURED, DomainStatus.READY)


@dataclass
class RunReport:
    """What one run did, by id (also the CLI's --json output)."""

    at: str
    subscriptions_renewed: list[str] = field(default_factory=list)
    subscriptions_failed: list[str] = field(default_factory=list)
    subscriptions_suspended: list[str] = field(default_factory=list)
    subscriptions_ended: list[str] = field(default_factory=list)
    domains_renewed: list[str] = field(default_factory=list)
    domains_failed: list[str] = field(default_factory=list)
    domains_released: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_due(runtime: Runtime, at: dt.datetime | None = None, *, account_id: str | None = None) -> RunReport:
    """Renew, retry, suspend, end and warn whatever is due at `at` (default now), each item in
    its own transaction. `account_id` limits the run to one account."""
    at = at or clock.now()
    report = RunReport(iso(at) or "")
    settings = runtime.settings
    notice_horizon = dt.timedelta(days=max(settings.notice_days, default=0))
    # Domains first: a domain released in this run ends its subscription instead of renewing it.
    domain_horizon = max(dt.timedelta(days=settings.domain_renew_days_before), notice_horizon)
    with runtime.db.read() as session:
        domain_ids = repository.registered_domains_to_check(session, at, domain_horizon, account_id)
    for domain_id in domain_ids:
        _process_domain(runtime, domain_id, at, report)
    with runtime.db.read() as session:
        sub_ids = repository.running_subscriptions_to_check(session, at, notice_horizon, account_id)
    for sub_id in sub_ids:
        _process_subscription(runtime, sub_id, at, report)
    return report


# ------------------------------------------------------------------ subscriptions


def _process_subscription(runtime: Runtime, sub_id: str, at: dt.datetime, report: RunReport) -> None:
    settings = runtime.settings
    with runtime.db.read() as session:
        sub = session.get(Subscription, sub_id)
        if sub is None or sub.status != SubscriptionRecord.RUNNING:
            return
        expected_end, auto_renew, suspended = sub.period_end, sub.auto_renew, sub.suspended_at is not None
        end_reason = sub.end_reason  # set while running when cancelled for the period end
        quantity = repository.billable_counts(session, [sub.domain_id]).get(sub.domain_id, 0)
    if at < expected_end:
        if not auto_renew:
            _notice(runtime, report, "subscription", sub_id, expected_end, at)
        return
    grace_end = expected_end + dt.timedelta(days=settings.subscription_grace_days)
    delete_at = grace_end + dt.timedelta(days=settings.subscription_suspension_days)
    if quantity == 0:
        _end(runtime, report, sub_id, expected_end, expected_end, EndReason.NO_MAILBOXES)
    elif not auto_renew:
        _end(runtime, report, sub_id, expected_end, expected_end, end_reason or EndReason.AUTO_RENEW_OFF)
    elif at >= delete_at:
        _end(runtime, report, sub_id, expected_end, delete_at, EndReason.UNPAID)
    else:
        restore = suspended or at >= grace_end
        try:
            renewed_to = _renew_subscription(runtime, sub_id, expected_end, quantity, at, restore)
        except (InsufficientFunds, PaymentFailed) as exc:
            _renewal_unpaid(runtime, report, sub_id, expected_end, at, grace_end, exc)
            return
        if renewed_to is not None:
            report.subscriptions_renewed.append(sub_id)
            if renewed_to <= at:  # catching up after downtime: the next period is due too
                _process_subscription(runtime, sub_id, at, report)


def _renew_subscription(
    runtime: Runtime, sub_id: str, expected_end: dt.datetime, quantity: int, at: dt.datetime, restore: bool
) -> dt.datetime | None:
    """Charge and extend one period in its own transaction; None if another run already did.
    Raises InsufficientFunds / PaymentFailed."""
    try:
        with runtime.db.write() as session:
            return charge_subscription_period(session, runtime, sub_id, expected_end, quantity, at, restore)
    except IntegrityError:
        return None  # the ledger already holds this period's charge: renewed concurrently


def charge_subscription_period(
    session: Session, runtime: Runtime, sub_id: str, expected_end: dt.datetime, quantity: int, at: dt.datetime, restore: bool
) -> dt.datetime | None:
    """Charge and extend one period in the caller's transaction. None if the period no longer ends
    at `expected_end` (renewed or changed meanwhile). Raises InsufficientFunds / PaymentFailed; a
    second charge of the same period fails on the ledger's dedupe key (IntegrityError)."""
    sub = session.get(Subscription, sub_id)
    assert sub is not None
    # The account before the subscription, as every writer takes them: no lock-order deadlock.
    wallet.lock_account(session, sub.account_id)
    unit = mailbox_price(session, sub.provider, sub.currency)
    if unit is None:
        raise MailboxPriceUnavailable(sub.provider, sub.currency)
    # Paid in grace: the period continues from where it ended. Paid while suspended: a new
    # period starts now, and the suspended days are not charged.
    start, anchor = (at, at) if restore else (expected_end, sub.anchor_at)
    end = lifecycle.add_months(at, 1) if restore else lifecycle.next_period_end(anchor, expected_end)
    if not _cas(session, sub_id, expected_end, period_start=start, period_end=end, anchor_at=anchor,
                price_per_mailbox_minor=unit.minor, renewal_failed_at=None, suspended_at=None):
        return None
    sub = workspace.fresh_subscription(session, sub_id)
    domain = session.get(Domain, sub.domain_id)
    assert domain is not None
    amount = unit * quantity
    wallet.debit(
        session,
        sub.account_id,
        amount,
        f"Subscription {sub.id}: {quantity} {sub.provider} mailbox{'es' if quantity != 1 else ''} on "
        f"{domain.name} x {unit.decimal} {unit.currency}, {iso(start)} to {iso(end)}",
        domain_id=domain.id,
        subscription_id=sub.id,
        dedupe_key=f"renewal:subscription:{sub.id}:{iso(expected_end)}",
    )
    if restore and workspace.set_mailboxes(session, domain.id, MailboxStatus.SUSPENDED, MailboxStatus.LIVE):
        workspace.request_sync(session, runtime, sub.id)
    notify.subscription_event(
        session, types.SUBSCRIPTION_RENEWAL_SUCCESS, sub, domain.name,
        quantity=quantity, price_per_mailbox=notify.price(unit), amount=notify.price(amount), restored=restore,
    )
    return end


def period_price(session: Session, sub: Subscription, quantity: int) -> Money:
    """What one period of `quantity` mailboxes costs today (what charge_subscription_period takes)."""
    unit = mailbox_price(session, sub.provider, sub.currency)
    if unit is None:
        raise MailboxPriceUnavailable(sub.provider, sub.currency)
    return unit * quantity


class MailboxPriceUnavailable(PaymentFailed):
    def __init__(self, provider: str, currency: str) -> None:
        super().__init__(f"the price book has no monthly price of {provider} mailboxes in {currency}")


def _renewal_unpaid(
    runtime: Runtime, report: RunReport, sub_id: str, expected_end: dt.datetime, at: dt.datetime,
    grace_end: dt.datetime, error: Exception,
) -> None:
    retry = dt.timedelta(hours=runtime.settings.renewal_retry_hours)
    with runtime.db.write() as session:
        if at >= grace_end:
            if _cas(session, sub_id, expected_end, sa.and_(Subscription.suspended_at.is_(None)), suspended_at=at):
                sub = workspace.fresh_subscription(session, sub_id)
                if workspace.set_mailboxes(session, sub.domain_id, MailboxStatus.LIVE, MailboxStatus.SUSPENDED):
                    workspace.request_sync(session, runtime, sub_id)
                delete_at = grace_end + dt.timedelta(days=runtime.settings.subscription_suspension_days)
                notify.subscription_event(
                    session, types.SUBSCRIPTION_SUSPENDED, sub, _domain_name(session, sub.domain_id),
                    reason=_reason(error), deleted_at=iso(delete_at),
                )
                report.subscriptions_suspended.append(sub_id)
            return
        due_again = sa.or_(Subscription.renewal_failed_at.is_(None), Subscription.renewal_failed_at <= at - retry)
        if _cas(session, sub_id, expected_end, due_again, renewal_failed_at=at):
            sub = workspace.fresh_subscription(session, sub_id)
            notify.subscription_event(
                session, types.SUBSCRIPTION_RENEWAL_FAILED, sub, _domain_name(session, sub.domain_id),
                reason=_reason(error), suspended_at=iso(grace_end), next_attempt=iso(at + retry),
            )
            report.subscriptions_failed.append(sub_id)


def _end(
    runtime: Runtime, report: RunReport, sub_id: str, expected_end: dt.datetime, ended_at: dt.datetime, reason: str
) -> None:
    with runtime.db.write() as session:
        still = session.scalar(
            sa.select(Subscription.id).where(Subscription.id == sub_id, Subscription.period_end == expected_end)
        )
        if still and workspace.end_subscription(session, runtime, sub_id, ended_at, reason):
            report.subscriptions_ended.append(sub_id)


def _cas(session: sa.orm.Session, sub_id: str, expected_end: dt.datetime, *conditions: Any, **values: Any) -> bool:
    """UPDATE the running subscription only if its period still ends where the caller saw it."""
    result = session.execute(
        sa.update(Subscription)
        .where(
            Subscription.id == sub_id,
            Subscription.status == SubscriptionRecord.RUNNING,
            Subscription.period_end == expected_end,
            *conditions,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# ------------------------------------------------------------------ domains


def _process_domain(runtime: Runtime, domain_id: str, at: dt.datetime, report: RunReport) -> None:
    settings = runtime.settings
    with runtime.db.read() as session:
        domain = session.get(Domain, domain_id)
        if domain is None or domain.status not in HELD or domain.expires_at is None:
            return
        expected, auto_renew = domain.expires_at, domain.auto_renew
    if at >= expected + dt.timedelta(days=settings.domain_grace_days):
        _release(runtime, report, domain_id, expected, at)
        return
    if auto_renew and at >= expected - dt.timedelta(days=settings.domain_renew_days_before):
        try:
            if _renew_domain(runtime, domain_id, expected):
                report.domains_renewed.append(domain_id)
            return  # renewed, here or by a concurrent run
        except (InsufficientFunds, PaymentFailed) as exc:
            _domain_unpaid(runtime, report, domain_id, expected, at, exc)
    if at < expected:
        _notice(runtime, report, "domain", domain_id, expected, at)


def quote_domain(session: Session, runtime: Runtime, domain: Domain) -> Money | None:
    """What renewing the domain for one year is sold at today (None: the registrar quotes no
    renewal cost, or the price book has no renewal price covering it)."""
    return domain_renewal_price(session, runtime.providers, domain)


class RenewalPriceUnavailable(PaymentFailed):
    def __init__(self, name: str, field: str | None = None) -> None:
        super().__init__(f"no renewal price for {name}: the registrar quotes none, or the price book has none covering the registrar's cost")
        if field:
            self.fields = [FieldIssue(field, "No renewal price: the registrar quotes none, or the price book has none covering the registrar's cost", name)]


def _renew_domain(runtime: Runtime, domain_id: str, expected: dt.datetime) -> bool:
    """Charge and extend one year in its own transaction; False if another run already did."""
    try:
        with runtime.db.write() as session:
            domain = session.get(Domain, domain_id)
            assert domain is not None
            price = quote_domain(session, runtime, domain)
            if price is None:
                raise RenewalPriceUnavailable(domain.name)
            return charge_domain_year(session, runtime, domain_id, expected, price)
    except IntegrityError:
        return False


def charge_domain_year(session: Session, runtime: Runtime, domain_id: str, expected: dt.datetime, price: Money) -> bool:
    """Charge `price` and extend the registration one year in the caller's transaction, with the
    registrar's renewal enqueued in it. False if the expiry is no longer `expected`. Raises
    InsufficientFunds / PaymentFailed; a second charge of the same year fails on the ledger's
    dedupe key (IntegrityError)."""
    domain = session.get(Domain, domain_id)
    assert domain is not None
    wallet.lock_account(session, domain.account_id)  # the account first, as every writer
    new_expiry = lifecycle.add_years(expected, 1)
    moved = session.execute(
        sa.update(Domain)
        .where(Domain.id == domain_id, Domain.expires_at == expected, Domain.status.in_(HELD))
        .values(expires_at=new_expiry, renewal_failed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        return False
    wallet.debit(
        session,
        domain.account_id,
        price,
        f"Domain {domain.name}: renewal for 1 year, expiry {iso(expected)} to {iso(new_expiry)}",
        domain_id=domain_id,
        dedupe_key=f"renewal:domain:{domain_id}:{iso(expected)}",
    )
    # The workflow gets the expiry to the microsecond (iso() keeps whole seconds): the registrar
    # renews only from exactly the expiry it holds.
    runtime.enqueue(
        session, RENEW_REGISTRATION_WORKFLOW, f"billing-renew-{domain_id}-{iso(expected)}", domain_id, expected.isoformat()
    )
    domain = session.scalars(sa.select(Domain).where(Domain.id == domain_id).execution_options(populate_existing=True)).one()
    notify.domain_event(
        session, types.DOMAIN_RENEWAL_SUCCESS, domain, years=1, amount=notify.price(price), previous_expires_at=iso(expected)
    )
    return True


def _domain_unpaid(
    runtime: Runtime, report: RunReport, domain_id: str, expected: dt.datetime, at: dt.datetime, error: Exception
) -> None:
    retry = dt.timedelta(hours=runtime.settings.renewal_retry_hours)
    with runtime.db.write() as session:
        moved = session.execute(
            sa.update(Domain)
            .where(
                Domain.id == domain_id,
                Domain.expires_at == expected,
                sa.or_(Domain.renewal_failed_at.is_(None), Domain.renewal_failed_at <= at - retry),
            )
            .values(renewal_failed_at=at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved == 1:
            domain = session.get(Domain, domain_id)
            assert domain is not None
            release_at = expected + dt.timedelta(days=runtime.settings.domain_grace_days)
            notify.domain_event(
                session, types.DOMAIN_RENEWAL_FAILED, domain,
                reason=_reason(error), next_attempt=iso(at + retry), released_at=iso(release_at),
            )
            report.domains_failed.append(domain_id)


def _release(runtime: Runtime, report: RunReport, domain_id: str, expected: dt.datetime, at: dt.datetime) -> None:
    with runtime.db.write() as session:
        released_at = expected + dt.timedelta(days=runtime.settings.domain_grace_days)
        if not transition(
            session, Domain, domain_id, HELD, status=DomainStatus.RELEASED, name_claim=None, released_at=released_at, auto_renew=False
        ):
            return
        sub = repository.running_subscription(session, domain_id)
        if sub is not None:
            workspace.end_subscription(session, runtime, sub.id, released_at, EndReason.DOMAIN_RELEASED)
            report.subscriptions_ended.append(sub.id)
        report.domains_released.append(domain_id)


# ------------------------------------------------------------------ notices


def _notice(runtime: Runtime, report: RunReport, kind: str, row_id: str, ends_at: dt.datetime, at: dt.datetime) -> None:
    """Warn once per threshold (e.g. 7 and 1 days) before an end that no renewal will prevent."""
    due = [days for days in runtime.settings.notice_days if at >= ends_at - dt.timedelta(days=days)]
    if not due:
        return
    days = min(due)  # the nearest threshold passed; one missed while down is not sent late
    key = f"{kind}-expiring:{row_id}:{iso(ends_at)}:{days}d"
    try:
        with runtime.db.write() as session:
            if session.get(BillingNotice, key) is not None:
                return
            if kind == "domain":
                domain = session.get(Domain, row_id)
                assert domain is not None
                session.add(BillingNotice(key=key, account_id=domain.account_id, sent_at=at))
                notify.domain_event(session, types.DOMAIN_EXPIRING, domain, days=days, released_at=iso(
                    ends_at + dt.timedelta(days=runtime.settings.domain_grace_days)))
            else:
                sub = session.get(Subscription, row_id)
                assert sub is not None
                session.add(BillingNotice(key=key, account_id=sub.account_id, sent_at=at))
                notify.subscription_event(
                    session, types.SUBSCRIPTION_EXPIRING, sub, _domain_name(session, sub.domain_id), days=days, ends_at=iso(ends_at)
                )
            session.flush()
        report.notices.append(key)
    except IntegrityError:
        return  # sent concurrently


def _reason(error: Exception) -> str:
    if isinstance(error, InsufficientFunds):
        return (
            f"Insufficient funds: the renewal costs {error.required.decimal} {error.required.currency} "
            f"and the balance is {error.balance.decimal} {error.balance.currency}"
        )
    return str(error.args[0] if error.args else error)


def _domain_name(session: sa.orm.Session, domain_id: str) -> str:
    return session.scalar(sa.select(Domain.name).where(Domain.id == domain_id)) or ""
