"""Changes to a subscription's mailboxes, recorded in the caller's transaction together with
the workflow that makes the mailbox host match (suspend, restore, delete, delete workspace)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright.billing import notify, repository
from mailwright.billing.models import Subscription, SubscriptionRecord
from mailwright.db.cas import transition
from mailwright.domains.models import Domain
from mailwright.events import types
from mailwright.ids import new_id
from mailwright.mailboxes.models import Mailbox, MailboxStatus

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

SYNC_WORKSPACE_WORKFLOW = "billing_sync_workspace"


def request_sync(session: Session, runtime: Runtime, subscription_id: str) -> None:
    """The host is brought to the state the database now records, after this transaction commits."""
    runtime.enqueue(session, SYNC_WORKSPACE_WORKFLOW, f"billing-sync-{subscription_id}-{new_id()}", subscription_id)


def set_mailboxes(session: Session, domain_id: str, expected: str, new: str) -> int:
    """Compare-and-set every mailbox of the domain in status `expected` to `new`."""
    result = session.execute(
        sa.update(Mailbox)
        .where(Mailbox.domain_id == domain_id, Mailbox.status == expected)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def delete_mailbox(session: Session, mailbox: Mailbox, at: dt.datetime) -> bool:
    """Mark one mailbox deleted and free its address; False if it was not billable any more.
    Where it was exported to a sending platform, it is deleted there too (enqueued here)."""
    if not transition(
        session, Mailbox, mailbox.id, repository.BILLABLE, status=MailboxStatus.DELETED, email_claim=None, deleted_at=at
    ):
        return False
    from mailwright.exports import service as exports  # exports build on billing's mailboxes
    from mailwright.runtime import current

    exports.withdraw_removed(session, current(), mailbox.id)
    return True


def end_subscription(session: Session, runtime: Runtime, sub_id: str, at: dt.datetime, reason: str) -> bool:
    """End a running subscription now: its mailboxes and workspace are deleted at the host.
    False if it had already ended (nothing is done twice)."""
    if not transition(
        session, Subscription, sub_id, SubscriptionRecord.RUNNING,
        status=SubscriptionRecord.ENDED, ended_at=at, end_reason=reason, domain_claim=None,
    ):
        return False
    sub = fresh_subscription(session, sub_id)
    for mailbox in repository.billable_mailboxes(session, sub.domain_id):
        delete_mailbox(session, mailbox, at)
    request_sync(session, runtime, sub_id)
    domain = session.get(Domain, sub.domain_id)
    notify.subscription_event(session, types.SUBSCRIPTION_CANCELLED, sub, domain.name if domain else "", reason=reason)
    return True


def fresh_subscription(session: Session, sub_id: str) -> Subscription:
    return session.scalars(
        sa.select(Subscription).where(Subscription.id == sub_id).execution_options(populate_existing=True)
    ).one()
