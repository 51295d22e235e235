"""Durable exports (DBOS Transact): each mailbox of an export is one step, and each call to the
platform holds a slot of the "exports" role (its limits: MAILWRIGHT_QUEUE_LIMITS), retried
with backoff and the platform's Retry-After (provisioning.workflows.attempt).

export_mailboxes(export_id, item_ids), per item:
  not exportable over an API (api_export_refusal)? → FAILED with that reason, no platform call
  → look the address up at the platform, add it only if missing (a retry or a crash in between
    never adds it twice) → EXPORTED with the platform's id, recorded where it was exported
  a refusal (TerminalError, NeedsActionError) → FAILED with the platform's own message; the rest go on.

withdraw_exported_mailbox(mailbox_id): a removed mailbox is deleted at every platform it was
exported to; best effort, each outcome recorded on exported_mailboxes."""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import sqlalchemy as sa
from dbos import DBOS

from mailwright import clock
from mailwright.db.cas import transition
from mailwright.events import types
from mailwright.events.service import record
from mailwright.exports import service
from mailwright.exports.accounts import ExportDefaults, account_to_export, api_export_refusal
from mailwright.exports.models import Export, ExportedMailbox, ExportItem, ExportItemStatus, ExportPlatform
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.net.outbound import OutboundPolicy
from mailwright.providers.base import NeedsActionError, RetriableError, TerminalError
from mailwright.provisioning import steps
from mailwright.provisioning.queues import EXPORTS
from mailwright.provisioning.steps import FAILED, OK, Outcome
from mailwright.provisioning.workflows import attempt, run
from mailwright.runtime import current

log = logging.getLogger(__name__)
REMOVED_PLATFORM = "The sending platform was removed before this mailbox was exported"


def platform_step(fn: Callable[..., Outcome]) -> Callable[..., Outcome]:
    """A step that calls a sending platform, holding an "exports" slot: RetriableError is
    retried; a refusal or a wrong key fails the item with the platform's own words."""

    @functools.wraps(fn)
    def step(*args: Any) -> Outcome:
        try:
            return fn(*args)
        except RetriableError as exc:
            return steps.retry(str(exc), exc.retry_after)
        except (TerminalError, NeedsActionError) as exc:
            return steps.failed(str(exc))

    step.role = EXPORTS  # type: ignore[attr-defined]
    steps.PROVIDER_STEPS[fn.__name__] = step
    return step


# ------------------------------------------------------------------ export


@DBOS.workflow(name=service.EXPORT_WORKFLOW)
def export_mailboxes(export_id: str, item_ids: list[str]) -> None:
    for item_id in item_ids:
        refusal = run(export_refusal, item_id)
        outcome = steps.failed(refusal) if refusal else attempt(export_mailbox, item_id)
        if outcome["result"] == OK:
            run(record_exported, item_id, outcome.get("remote_id"))
        elif outcome["result"] == FAILED:
            run(record_failed, item_id, outcome["reason"])


def export_refusal(item_id: str) -> str | None:
    """Why the item's mailbox cannot go to the platform (None: it can, or the item is settled)."""
    with current().db.read() as session:
        item = session.get(ExportItem, item_id)
        if item is None or item.status != ExportItemStatus.PENDING:
            return None
        platform = _platform_of(session, item)
        if platform.deleted_at is not None:
            return REMOVED_PLATFORM
        mailbox = session.get(Mailbox, item.mailbox_id)
        assert mailbox is not None
        return api_export_refusal(mailbox)


@platform_step
def export_mailbox(item_id: str) -> Outcome:
    """Find the email account at the platform; add it only if it is not there."""
    rt = current()
    with rt.db.write() as session:
        item = session.get(ExportItem, item_id)
        if item is None or item.status != ExportItemStatus.PENDING:
            return steps.ok(remote_id=item.remote_id if item else None)
        item.attempts += 1
        platform = _platform_of(session, item)
        mailbox = session.get(Mailbox, item.mailbox_id)
        assert mailbox is not None
        refusal = api_export_refusal(mailbox)  # again: it may have been removed while it waited its turn
        if refusal:
            return steps.failed(refusal)
        account = account_to_export(mailbox, rt.secrets, ExportDefaults.from_settings(rt.settings))
        client = service.platform_client(platform, rt.secrets, OutboundPolicy.of(rt.settings))
    found = client.find_account(account.email) or client.create_account(account)
    return steps.ok(remote_id=found.remote_id)


def record_exported(item_id: str, remote_id: str | None) -> None:
    with current().db.write() as session:
        if not transition(
            session, ExportItem, item_id, ExportItemStatus.PENDING,
            status=ExportItemStatus.EXPORTED, remote_id=remote_id, error=None, finished_at=clock.now(),
        ):
            return
        item, export, platform, mailbox = _context(session, item_id)
        place = session.get(ExportedMailbox, (mailbox.id, platform.id))
        if place is None:
            session.add(ExportedMailbox(mailbox_id=mailbox.id, platform_id=platform.id, email=item.email, remote_id=remote_id, exported_at=clock.now()))
        else:
            place.email, place.remote_id, place.exported_at, place.withdrawn_at, place.withdraw_error = item.email, remote_id, clock.now(), None, None
        session.flush()
        _event(session, types.MAILBOX_EXPORTED, item, export, platform, mailbox)
        if mailbox.status == MailboxStatus.DELETED:  # removed while it was on its way: withdrawn too
            service.withdraw_removed(session, current(), mailbox.id)


def record_failed(item_id: str, reason: str) -> None:
    with current().db.write() as session:
        if transition(
            session, ExportItem, item_id, ExportItemStatus.PENDING,
            status=ExportItemStatus.FAILED, error=reason[:500], finished_at=clock.now(),
        ):
            item, export, platform, mailbox = _context(session, item_id)
            _event(session, types.MAILBOX_EXPORT_FAILED, item, export, platform, mailbox)


def _platform_of(session: Any, item: ExportItem) -> ExportPlatform:
    export = session.get(Export, item.export_id)
    platform = session.get(ExportPlatform, export.platform_id)
    assert platform is not None
    return platform


def _context(session: Any, item_id: str) -> tuple[ExportItem, Export, ExportPlatform, Mailbox]:
    item = session.scalars(sa.select(ExportItem).where(ExportItem.id == item_id).execution_options(populate_existing=True)).one()
    export = session.get(Export, item.export_id)
    platform = session.get(ExportPlatform, export.platform_id)
    mailbox = session.get(Mailbox, item.mailbox_id)
    return item, export, platform, mailbox


def _event(session: Any, type_: str, item: ExportItem, export: Export, platform: ExportPlatform, mailbox: Mailbox) -> None:
    data = {
        "export_id": export.id,
        "mailbox_id": mailbox.id,
        "email": item.email,
        "domain_id": mailbox.domain_id,
        "order_id": export.order_id,
        "platform_id": platform.id,
        "platform": platform.platform,
        "platform_name": platform.name,
        "status": item.status.upper(),
        "remote_id": item.remote_id,
        "attempts": item.attempts,
    }
    if type_ == types.MAILBOX_EXPORT_FAILED:
        data["error"] = item.error
    record(session, account_id=export.account_id, user_id=mailbox.user_id, type=type_, data=data)


# ------------------------------------------------------------------ removal


@DBOS.workflow(name=service.WITHDRAW_WORKFLOW)
def withdraw_exported_mailbox(mailbox_id: str) -> None:
    for platform_id in run(places_to_withdraw, mailbox_id):
        outcome = attempt(withdraw_from_platform, mailbox_id, platform_id)
        run(record_withdrawn, mailbox_id, platform_id, None if outcome["result"] == OK else outcome["reason"])


def places_to_withdraw(mailbox_id: str) -> list[str]:
    with current().db.read() as session:
        return [p.platform_id for p in service.exported_places(session, mailbox_id) if p.withdrawn_at is None]


@platform_step
def withdraw_from_platform(mailbox_id: str, platform_id: str) -> Outcome:
    rt = current()
    with rt.db.read() as session:
        place = session.get(ExportedMailbox, (mailbox_id, platform_id))
        platform = session.get(ExportPlatform, platform_id)
        if place is None or place.withdrawn_at is not None or platform is None:
            return steps.ok()
        email = place.email
        client = service.platform_client(platform, rt.secrets, OutboundPolicy.of(rt.settings))
    client.delete_account(email)
    return steps.ok()


def record_withdrawn(mailbox_id: str, platform_id: str, error: str | None) -> None:
    """Deleted there (withdrawn_at), or why not (withdraw_error, the platform's words)."""
    with current().db.write() as session:
        place = session.get(ExportedMailbox, (mailbox_id, platform_id))
        if place is None or place.withdrawn_at is not None:
            return
        if error is None:
            place.withdrawn_at, place.withdraw_error = clock.now(), None
        else:
            place.withdraw_error = error[:500]
            log.warning("mailbox not deleted at its sending platform", extra={"mailbox_id": mailbox_id, "platform_id": platform_id})
