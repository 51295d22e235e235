"""Sending platforms and exports: the rules both API faces and the command line share.

A platform is registered only once its API key is accepted by the platform itself (`probe`), and
its key is stored encrypted and never shown again. An export records one PENDING item per mailbox
and enqueues, in the caller's transaction, the workflow that sends them (exports/workflows.py).
Services flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock
from mailwright import validation as check
from mailwright.crypto import SecretBox
from mailwright.errors import FieldIssue, FieldIssues, InvalidFields, NotFound
from mailwright.exports import instantly, smartlead, woodpecker
from mailwright.exports.models import Export, ExportedMailbox, ExportItem, ExportItemStatus, ExportPlatform
from mailwright.exports.platforms import SendingPlatform
from mailwright.ids import new_id
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.net import outbound
from mailwright.net.outbound import OutboundPolicy
from mailwright.orders.models import Order
from mailwright.orders.requests import OrderPlan
from mailwright.providers.base import NeedsActionError, ProviderError, RetriableError, TerminalError

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

EXPORT_WORKFLOW = "export_mailboxes"
WITHDRAW_WORKFLOW = "withdraw_exported_mailbox"
NAME_MAX_LENGTH = 100
API_KEY_MAX_LENGTH = 500
MAX_MAILBOXES_PER_EXPORT = 1000

# The adapter of each platform, by the name the API takes.
ADAPTERS: dict[str, Any] = {
    "INSTANTLY": instantly.InstantlyPlatform,
    "SMARTLEAD": smartlead.SmartleadPlatform,
    "WOODPECKER": woodpecker.WoodpeckerPlatform,
}
DEFAULT_BASE_URLS = {
    "INSTANTLY": instantly.DEFAULT_BASE_URL,
    "SMARTLEAD": smartlead.DEFAULT_BASE_URL,
    "WOODPECKER": woodpecker.DEFAULT_BASE_URL,
}


class ExportStatus:
    """An export's status, computed from its items."""

    PENDING = "PENDING"  # some mailbox is still on its way
    COMPLETED = "COMPLETED"  # every mailbox is at the platform
    PARTIALLY_COMPLETED = "PARTIALLY_COMPLETED"
    FAILED = "FAILED"


# ------------------------------------------------------------------ platforms


@dataclass(frozen=True)
class NewPlatform:
    platform: str
    name: str
    api_key: str
    base_url: str | None


def check_new_platform(issues: FieldIssues, values: dict[str, Any], policy: OutboundPolicy) -> NewPlatform | None:
    """The fields of a platform to register (platform, name, apiKey, baseUrl); None with every
    problem noted in `issues`. The base URL goes through the outbound guard's early check."""
    named = {"platform": "platform", "name": "name", "apiKey": "apiKey", "baseUrl": "baseUrl"}
    before = len(issues.items)
    platform = values.get("platform")
    if platform in (None, ""):
        issues.add(named["platform"], check.REQUIRED)
    elif not isinstance(platform, str) or platform.upper() not in ADAPTERS:
        issues.add(named["platform"], f"Must be one of {', '.join(ADAPTERS)}", check.shown(platform))
    name = check.text(issues, named["name"], values.get("name"), max_length=NAME_MAX_LENGTH)
    api_key = check.text(issues, named["apiKey"], values.get("apiKey"), max_length=API_KEY_MAX_LENGTH)
    base_url = _base_url(issues, named["baseUrl"], values.get("baseUrl"), policy)
    if len(issues.items) > before:
        return None
    assert isinstance(platform, str) and name is not None and api_key is not None
    return NewPlatform(platform.upper(), name, api_key, base_url)


def _base_url(issues: FieldIssues, field: str, value: Any, policy: OutboundPolicy) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 2048:
        issues.add(field, "Must be an absolute http(s) URL of at most 2048 characters", check.shown(value))
        return None
    try:
        outbound.check_url(value, policy, schemes=("https", "http"))
    except outbound.OutboundRefused as exc:
        issues.add(field, str(exc), value)
        return None
    return value.rstrip("/")


def adapter(platform: str, api_key: str, base_url: str | None, policy: OutboundPolicy) -> SendingPlatform:
    return ADAPTERS[platform](api_key, base_url, policy)  # type: ignore[no-any-return]


def probe(new: NewPlatform, policy: OutboundPolicy, *, key_field: str = "apiKey", url_field: str = "baseUrl") -> str:
    """Ask the platform whether it accepts the key (outside any transaction: it is an outside
    call). A refused key is InvalidFields naming the key; a URL that is not the platform's names
    the base URL; a platform that does not answer now is Unavailable."""
    from mailwright.errors import Unavailable

    try:
        return adapter(new.platform, new.api_key, new.base_url, policy).probe()
    except RetriableError as exc:
        raise Unavailable(f"{new.platform.title()} did not answer the key check; try again shortly ({exc})") from exc
    except (NeedsActionError, TerminalError) as exc:
        # The guard refused where the URL leads now, or the platform said the URL is not its API.
        about_url = isinstance(exc.__cause__, outbound.OutboundRefused) or "base URL" in str(exc)
        field = url_field if about_url else key_field
        raise InvalidFields([FieldIssue(field, _hidden(str(exc), new.api_key))]) from exc


def _hidden(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret]")
    return text[:500]


def add_platform(
    session: Session, secrets: SecretBox, *, account_id: str, user_id: str | None, new: NewPlatform
) -> ExportPlatform:
    row = ExportPlatform(
        account_id=account_id,
        user_id=user_id,
        platform=new.platform,
        name=new.name,
        base_url=new.base_url,
        api_key_enc=secrets.encrypt(new.api_key),
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def platforms_of(session: Session, account_id: str, user_id: str | None = None, *, every_user: bool = False) -> list[ExportPlatform]:
    """The account's platforms in use: of `user_id` (None: the account's own), or of everyone."""
    query = sa.select(ExportPlatform).where(ExportPlatform.account_id == account_id, ExportPlatform.deleted_at.is_(None))
    if not every_user:
        query = query.where(ExportPlatform.user_id.is_(None) if user_id is None else ExportPlatform.user_id == user_id)
    return list(session.scalars(query.order_by(ExportPlatform.created_at, ExportPlatform.id)))


def get_platform(session: Session, account_id: str, platform_id: str, user_id: str | None = None) -> ExportPlatform:
    """The account's platform in use (of `user_id` when given); NotFound otherwise."""
    row = session.get(ExportPlatform, platform_id)
    if row is None or row.account_id != account_id or row.deleted_at is not None or (user_id is not None and row.user_id != user_id):
        raise NotFound("sending platform")
    return row


def remove_platform(session: Session, row: ExportPlatform) -> None:
    """Never used again; what it already has at the platform stays there."""
    session.execute(
        sa.update(ExportPlatform).where(ExportPlatform.id == row.id, ExportPlatform.deleted_at.is_(None)).values(deleted_at=clock.now())
    )
    session.flush()


def platform_client(row: ExportPlatform, secrets: SecretBox, policy: OutboundPolicy) -> SendingPlatform:
    return adapter(row.platform, secrets.decrypt(row.api_key_enc), row.base_url, policy)


def base_url_of(row: ExportPlatform) -> str:
    return row.base_url or DEFAULT_BASE_URLS[row.platform]


# ------------------------------------------------------------------ exports


def mailbox_fits_platform(mailbox: Mailbox, platform: ExportPlatform) -> bool:
    """A user's platform takes that user's mailboxes only; the account's own takes any of its."""
    return mailbox.account_id == platform.account_id and (platform.user_id is None or mailbox.user_id == platform.user_id)


def start_export(
    session: Session,
    runtime: Runtime,
    platform: ExportPlatform,
    mailboxes: Iterable[Mailbox],
    *,
    order_id: str | None = None,
    idempotency_key: str | None = None,
) -> Export:
    """Record the export and its items, and enqueue the workflow that sends them."""
    export = Export(
        account_id=platform.account_id,
        user_id=platform.user_id,
        platform_id=platform.id,
        order_id=order_id,
        idempotency_key=idempotency_key,
        created_at=clock.now(),
    )
    session.add(export)
    session.flush()
    items = add_items(session, export, mailboxes)
    enqueue_items(session, runtime, export, items)
    return export


def add_items(session: Session, export: Export, mailboxes: Iterable[Mailbox]) -> list[ExportItem]:
    items = [ExportItem(export_id=export.id, mailbox_id=m.id, email=m.email, created_at=clock.now()) for m in mailboxes]
    session.add_all(items)
    session.flush()
    return items


def enqueue_items(session: Session, runtime: Runtime, export: Export, items: list[ExportItem]) -> None:
    if items:
        # On the order workflows' queue; each platform call holds an "exports" slot.
        runtime.enqueue(session, EXPORT_WORKFLOW, f"export-{export.id}-{items[0].id}", export.id, [i.id for i in items])


def live_mailboxes(session: Session, domain_id: str) -> list[Mailbox]:
    """What exporting a domain exports: its live mailboxes."""
    return list(
        session.scalars(sa.select(Mailbox).where(Mailbox.domain_id == domain_id, Mailbox.status == MailboxStatus.LIVE).order_by(Mailbox.email))
    )


def get_export(session: Session, account_id: str, export_id: str, user_id: str | None = None) -> Export:
    row = session.get(Export, export_id)
    if row is None or row.account_id != account_id or (user_id is not None and row.user_id != user_id):
        raise NotFound("export")
    return row


def items_of(session: Session, export_id: str) -> list[ExportItem]:
    return list(session.scalars(sa.select(ExportItem).where(ExportItem.export_id == export_id).order_by(ExportItem.email, ExportItem.id)))


def status_of(items: list[ExportItem]) -> str:
    statuses = {i.status for i in items}
    if not items or ExportItemStatus.PENDING in statuses:
        return ExportStatus.PENDING
    if statuses == {ExportItemStatus.EXPORTED}:
        return ExportStatus.COMPLETED
    return ExportStatus.FAILED if statuses == {ExportItemStatus.FAILED} else ExportStatus.PARTIALLY_COMPLETED


def exports_of(session: Session, account_id: str, *, limit: int = 50) -> list[Export]:
    return list(session.scalars(sa.select(Export).where(Export.account_id == account_id).order_by(Export.created_at.desc()).limit(limit)))


# ------------------------------------------------------------------ orders with exportTo


def check_export_to(
    session: Session, account_id: str, user_id: str | None, value: Any, issues: FieldIssues, field: str = "exportTo"
) -> str | None:
    """The platform an order's mailboxes go to once live: one of the account's, and when it is a
    user's, the user the order is for. Problems are noted against `field`."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        issues.add(field, "Must be a string (a platformId)", check.shown(value))
        return None
    row = session.get(ExportPlatform, value)
    if row is None or row.account_id != account_id or row.deleted_at is not None or (row.user_id is not None and row.user_id != user_id):
        issues.add(field, "No such sending platform of yours", value)
        return None
    return row.id


def export_when_live(session: Session, runtime: Runtime, mailbox: Mailbox) -> None:
    """The mailbox just went live: if its order names a platform (exportTo), its export starts
    in this same transaction (the order's one export gets one more item)."""
    order = session.get(Order, mailbox.order_id) if mailbox.order_id else None
    if order is None or not order.plan_json:
        return
    platform_id = OrderPlan.from_json(order.plan_json).options.export_to
    if platform_id is None:
        return
    platform = session.get(ExportPlatform, platform_id)
    if platform is None:
        return
    export = session.scalars(sa.select(Export).where(Export.order_id == order.id)).one_or_none()
    if export is None:
        start_export(session, runtime, platform, [mailbox], order_id=order.id)
        return
    enqueue_items(session, runtime, export, add_items(session, export, [mailbox]))


def order_export_id(session: Session, order_id: str) -> str | None:
    return session.scalars(sa.select(Export.id).where(Export.order_id == order_id)).one_or_none()


# ------------------------------------------------------------------ removal


def withdraw_removed(session: Session, runtime: Runtime, mailbox_id: str) -> None:
    """The mailbox was removed: it is deleted at every platform it was exported to, by a workflow
    enqueued in this transaction (best effort; each outcome is recorded on exported_mailboxes)."""
    places = session.scalars(
        sa.select(ExportedMailbox.platform_id).where(ExportedMailbox.mailbox_id == mailbox_id, ExportedMailbox.withdrawn_at.is_(None))
    ).all()
    if places:
        # A new id each time: a mailbox removed while its export was on its way is withdrawn again
        # once that export records it (each run does only what is not withdrawn yet).
        runtime.enqueue(session, WITHDRAW_WORKFLOW, f"withdraw-{mailbox_id}-{new_id()}", mailbox_id)


def exported_places(session: Session, mailbox_id: str) -> list[ExportedMailbox]:
    return list(session.scalars(sa.select(ExportedMailbox).where(ExportedMailbox.mailbox_id == mailbox_id).order_by(ExportedMailbox.exported_at)))


def refusal_text(exc: ProviderError, platform: ExportPlatform, secrets: SecretBox) -> str:
    """A platform's refusal as recorded and shown: its own words, never the key."""
    return _hidden(str(exc), secrets.decrypt(platform.api_key_enc))
