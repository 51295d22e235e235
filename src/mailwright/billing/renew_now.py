"""Renewals on request: a batch of subscriptions (next period each) or of domains (one more year
each), paid from the wallet ALL OR NOTHING.

One write transaction locks the account, checks every item, checks the wallet can pay the
total, then charges and extends each item with the same compare-and-set and period-named ledger
entry the schedule uses (renewals.charge_*), and records the batch as a RenewalAction. Any
refusal raises before commit, so nothing is charged or extended unless everything is.
The caller (the edge) owns the transaction: use `renewal_transaction`."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright.accounts.models import Account
from mailwright.billing import lifecycle, repository
from mailwright.billing.models import RenewalAction, RenewalKind
from mailwright.billing.renewals import HELD, RenewalPriceUnavailable, charge_domain_year, charge_subscription_period, period_price, quote_domain
from mailwright.billing.service import running_subscription
from mailwright.domains.models import Domain
from mailwright.errors import FieldIssue, NotFound, RuleViolation
from mailwright.money import Money
from mailwright.runtime import Runtime
from mailwright.wallet import service as wallet
from mailwright.wallet.service import InsufficientFunds

# (field naming the item in the request, e.g. "subscriptionIds[0]", and the item's id)
Item = tuple[str, str]


@dataclass(frozen=True)
class RenewedItem:
    id: str
    name: str  # the domain's name (of the subscription's workspace, or the registration)
    ends_at: dt.datetime  # the new period end, or the new expiry
    amount: Money


@dataclass(frozen=True)
class _Due:
    """One item checked and priced, ready to be charged."""

    field: str
    id: str
    name: str
    owner: str | None  # the reseller's user holding it
    expected: dt.datetime  # the period end / expiry the charge must find unchanged
    amount: Money
    quantity: int = 0
    restore: bool = False


@contextlib.contextmanager
def renewal_transaction(runtime: Runtime) -> Iterator[Session]:
    """The write transaction of a renewal on request. A charge for the same period committed
    concurrently (ledger dedupe key) is a conflict to report, not a server error."""
    try:
        with runtime.db.write() as session:
            yield session
    except IntegrityError as exc:
        raise RuleViolation("renewal_conflict", "An item was renewed or changed meanwhile; check it and try again") from exc


def renew_subscriptions(session: Session, runtime: Runtime, account_id: str, items: Sequence[Item], *, at: dt.datetime | None = None) -> RenewalAction:
    """Pay the next period of each subscription now: ahead of its period end, or to end a past-due
    or suspended state. Raises NotFound, RuleViolation (naming the item), InsufficientFunds."""
    at = at or clock.now()
    account = wallet.lock_account(session, account_id)
    dues = [_subscription_due(session, runtime, account_id, field, sub_id, at) for field, sub_id in items]
    _check_affordable(session, account, dues)
    renewed = []
    for due in dues:
        end = charge_subscription_period(session, runtime, due.id, due.expected, due.quantity, at, due.restore)
        renewed.append(_renewed(due, end))
    return _record(session, account, RenewalKind.SUBSCRIPTIONS, dues, renewed)


def renew_domains(session: Session, runtime: Runtime, account_id: str, items: Sequence[Item]) -> RenewalAction:
    """Renew each domain's registration for one more year now; the registrar is asked by a
    workflow enqueued in this transaction. Raises NotFound, RuleViolation, InsufficientFunds."""
    account = wallet.lock_account(session, account_id)
    dues = [_domain_due(session, runtime, account_id, field, domain_id) for field, domain_id in items]
    _check_affordable(session, account, dues)
    renewed = []
    for due in dues:
        moved = charge_domain_year(session, runtime, due.id, due.expected, due.amount)
        renewed.append(_renewed(due, lifecycle.add_years(due.expected, 1) if moved else None))
    return _record(session, account, RenewalKind.DOMAINS, dues, renewed)


def renew_subscription_now(runtime: Runtime, account_id: str, subscription_id: str, at: dt.datetime | None = None) -> dt.datetime:
    """One subscription's next period, in its own transaction. Returns the new period end."""
    with renewal_transaction(runtime) as session:
        action = renew_subscriptions(session, runtime, account_id, [("subscriptionId", subscription_id)], at=at)
    return items_of(action)[0].ends_at


def renew_domain_now(runtime: Runtime, account_id: str, domain_id: str) -> dt.datetime:
    """One domain's next year, in its own transaction. Returns the new expiry."""
    with renewal_transaction(runtime) as session:
        action = renew_domains(session, runtime, account_id, [("domainId", domain_id)])
    return items_of(action)[0].ends_at


def find_action(session: Session, account_id: str, action_id: str, kind: str) -> RenewalAction:
    """A recorded renewal of the account; another account's is not found."""
    action = session.get(RenewalAction, action_id)
    if action is None or action.account_id != account_id or action.kind != kind:
        raise NotFound("renewal action")
    return action


def items_of(action: RenewalAction) -> list[RenewedItem]:
    return [
        RenewedItem(i["id"], i["name"], dt.datetime.fromisoformat(i["endsAt"]), Money(i["amountMinor"], action.currency))
        for i in json.loads(action.items_json)
    ]


# ------------------------------------------------------------------ checks


def _subscription_due(session: Session, runtime: Runtime, account_id: str, field: str, sub_id: str, at: dt.datetime) -> _Due:
    sub = running_subscription(session, account_id, sub_id, field, "The subscription has ended and cannot be renewed")
    quantity = repository.billable_counts(session, [sub.domain_id]).get(sub.domain_id, 0)
    if quantity == 0:
        raise RuleViolation("subscription_empty", "The subscription has no mailboxes to renew", [FieldIssue(field, "No mailboxes to renew", sub_id)])
    restore = sub.suspended_at is not None or at >= sub.period_end + dt.timedelta(days=runtime.settings.subscription_grace_days)
    domain = session.get(Domain, sub.domain_id)
    assert domain is not None
    return _Due(field, sub_id, domain.name, domain.user_id, sub.period_end, period_price(session, sub, quantity), quantity, restore)


def _domain_due(session: Session, runtime: Runtime, account_id: str, field: str, domain_id: str) -> _Due:
    domain = session.get(Domain, domain_id)
    if domain is None or domain.account_id != account_id:
        raise NotFound("domain")
    if domain.status not in HELD or domain.expires_at is None:
        raise RuleViolation(
            "domain_not_renewable",
            "Only a registered domain held by this account can be renewed",
            [FieldIssue(field, f"The domain is {domain.status} and cannot be renewed", domain.name)],
        )
    price = quote_domain(session, runtime, domain)
    if price is None:
        raise RenewalPriceUnavailable(domain.name, field)
    return _Due(field, domain_id, domain.name, domain.user_id, domain.expires_at, price)


def _check_affordable(session: Session, account: Account, dues: list[_Due]) -> None:
    """Under the account lock: the balance covers every item, or nothing is charged."""
    total = sum((d.amount for d in dues), Money.zero(account.currency))
    balance = wallet.balance(session, account)
    if balance.minor < total.minor:
        raise InsufficientFunds(balance, total, "the renewal")


def _renewed(due: _Due, ends_at: dt.datetime | None) -> RenewedItem:
    if ends_at is None:  # its period end / expiry moved since it was checked
        raise RuleViolation(
            "renewal_conflict",
            "An item was renewed or changed meanwhile; check it and try again",
            [FieldIssue(due.field, "Renewed or changed meanwhile", due.id)],
        )
    return RenewedItem(due.id, due.name, ends_at, due.amount)


def _record(session: Session, account: Account, kind: str, dues: list[_Due], renewed: list[RenewedItem]) -> RenewalAction:
    owners = {d.owner for d in dues}
    items = [{"id": r.id, "name": r.name, "endsAt": r.ends_at.isoformat(), "amountMinor": r.amount.minor} for r in renewed]
    action = RenewalAction(
        account_id=account.id,
        user_id=owners.pop() if len(owners) == 1 else None,
        kind=kind,
        total_minor=sum(r.amount.minor for r in renewed),
        currency=account.currency,
        items_json=json.dumps(items),
    )
    session.add(action)
    session.flush()
    return action

