"""Reading mailboxes (with their credentials) and changing their names, address and profile pictures."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailwright import clock, totp
from mailwright import validation as check
from mailwright.domains.models import Domain
from mailwright.domains.names import LOCAL_PART_RULE, normalize_local_part, split_email
from mailwright.events import orders as order_events
from mailwright.errors import FieldIssue, FieldIssues, InvalidFields, NotFound, RuleViolation
from mailwright.mailboxes.models import Mailbox, MailboxStatus, ProfilePicture
from mailwright.mailboxes.pictures import CheckedPicture
from mailwright.pagination import Page, PageRequest, fetch
from mailwright.providers.base import Capability

if TYPE_CHECKING:
    from mailwright.runtime import Runtime

SYNC_MAILBOX_SETTINGS_WORKFLOW = "sync_mailbox_settings"
ADDRESS_TAKEN = "Mailbox already exists"


def domain_mailboxes(session: Session, domain: Domain) -> list[Mailbox]:
    return list(session.scalars(sa.select(Mailbox).where(Mailbox.domain_id == domain.id).order_by(Mailbox.created_at, Mailbox.email)))


def user_mailboxes(
    session: Session, account_id: str, user_id: str, page: PageRequest, *, domain_id: str | None = None
) -> Page[Mailbox]:
    """One page of a reseller user's mailboxes (optionally of one domain), oldest first."""
    statement = sa.select(Mailbox).where(Mailbox.account_id == account_id, Mailbox.user_id == user_id)
    if domain_id is not None:
        statement = statement.where(Mailbox.domain_id == domain_id)
    return fetch(session, statement.order_by(Mailbox.created_at, Mailbox.email, Mailbox.id), page)


def get_user_mailbox(session: Session, account_id: str, user_id: str, mailbox_id: str) -> Mailbox:
    """A mailbox of the reseller's user, by id; any other mailbox is not found."""
    mailbox = session.get(Mailbox, mailbox_id)
    if mailbox is None or mailbox.account_id != account_id or mailbox.user_id != user_id:
        raise NotFound("mailbox")
    return mailbox


def set_names(session: Session, runtime: Runtime, mailbox: Mailbox, first_name: str, last_name: str) -> list[str]:
    """Rename the mailbox's person: announced (mailbox.updated) and pushed to the host.
    Returns the fields that changed (none: nothing happens)."""
    if mailbox.email_claim is None:
        raise RuleViolation("mailbox_not_active", "The mailbox failed or was removed; it cannot be changed")
    changed = [f for f, old, new in (("first_name", mailbox.first_name, first_name), ("last_name", mailbox.last_name, last_name)) if old != new]
    if not changed:
        return []
    mailbox.first_name, mailbox.last_name = first_name, last_name
    mailbox.settings_version += 1
    session.flush()
    order_events.mailbox_updated(session, mailbox, changed)
    _sync(session, runtime, mailbox)
    return changed


def check_local_part(issues: FieldIssues, field: str, value: object) -> str | None:
    """The new part before @ of an address (the rule orders follow), or None with the issue noted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        issues.add(field, check.REQUIRED, check.shown(value))
        return None
    local = normalize_local_part(value)
    if local is None:
        issues.add(field, LOCAL_PART_RULE, check.shown(value))
    return local


def change_address(session: Session, runtime: Runtime, mailbox: Mailbox, new_local_part: str, *, field: str = "username") -> bool:
    """Move a live mailbox to `new_local_part`@its own domain: the new address is claimed now
    (answered in the response), announced (mailbox.updated with the previous address) and applied
    at the host by the settings workflow. The same address again changes nothing (False)."""
    issues = FieldIssues()
    local = check_local_part(issues, field, new_local_part)
    issues.raise_if_any()
    assert local is not None
    _require_live(mailbox, field)
    domain = session.get(Domain, mailbox.domain_id)
    assert domain is not None
    address, previous = f"{local}@{domain.name}", mailbox.email
    if address == previous:
        return False
    _claim_address(session, mailbox, local, address, field)
    order_events.mailbox_updated(session, mailbox, ["email"], previous_email=previous)
    _sync(session, runtime, mailbox)
    return True


# How a mailbox that is not live is described to the caller.
_NOT_LIVE = {
    MailboxStatus.ORDERED: "still being created",
    MailboxStatus.NEEDS_ACTION: "still being created",
    MailboxStatus.FAILED: "failed",
    MailboxStatus.SUSPENDED: "suspended",
    MailboxStatus.DELETED: "removed",
}


def _require_live(mailbox: Mailbox, field: str) -> None:
    if mailbox.status != MailboxStatus.LIVE:
        state = _NOT_LIVE.get(mailbox.status, mailbox.status)
        raise RuleViolation(
            "mailbox_not_live",
            "Only a live mailbox's address can be changed",
            [FieldIssue(field, f"The mailbox is {state}; only a live mailbox can change its address", mailbox.email)],
        )


def _claim_address(session: Session, mailbox: Mailbox, local: str, address: str, field: str) -> None:
    """Compare-and-set on the live mailbox; the unique email_claim decides between concurrent
    claims of one address (the savepoint keeps the caller's transaction usable when it refuses)."""
    try:
        with session.begin_nested():
            moved = session.execute(
                sa.update(Mailbox)
                .where(Mailbox.id == mailbox.id, Mailbox.status == MailboxStatus.LIVE, Mailbox.email == mailbox.email)
                .values(email=address, email_claim=address, local_part=local, settings_version=Mailbox.settings_version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
    except IntegrityError:
        raise InvalidFields([FieldIssue(field, ADDRESS_TAKEN, address)]) from None
    session.refresh(mailbox)
    if not moved:  # changed by a concurrent request since it was read
        _require_live(mailbox, field)
        raise RuleViolation("mailbox_changed", "The mailbox changed meanwhile; read it again", [FieldIssue(field, "Changed meanwhile", address)])


def get_mailbox(session: Session, domain: Domain, email: str) -> Mailbox:
    parts = split_email(email)
    address = f"{parts[0]}@{parts[1]}" if parts else email.lower()
    mailbox = session.scalar(
        sa.select(Mailbox)
        .where(Mailbox.domain_id == domain.id, Mailbox.email == address)
        .order_by(Mailbox.email_claim.is_(None), Mailbox.created_at.desc())
        .limit(1)
    )
    if mailbox is None:
        raise NotFound("mailbox")
    return mailbox


def one_time_code(runtime: Runtime, mailbox: Mailbox) -> str | None:
    """The current code of the mailbox's authenticator; None until it is live, and at a host that
    enrols no seed Mailwright generates (Google Workspace, Microsoft 365: no API does)."""
    if mailbox.status != MailboxStatus.LIVE:
        return None
    host = runtime.providers.mailbox_hosts.get(mailbox.provider)
    if Capability.ONE_TIME_CODES not in getattr(host, "SUPPORTS", frozenset()):
        return None
    return totp.code_at(runtime.secrets.decrypt(mailbox.totp_secret_enc), clock.now())


def get_picture(session: Session, picture_id: str) -> ProfilePicture | None:
    return session.get(ProfilePicture, picture_id)


def set_profile_picture(session: Session, runtime: Runtime, mailbox: Mailbox, picture: CheckedPicture) -> ProfilePicture:
    """A new picture for an existing mailbox: announced (mailbox.updated) and pushed to the host."""
    row = attach_picture(session, mailbox, picture)
    order_events.mailbox_updated(session, mailbox, ["profile_picture"], profile_picture_id=row.id)
    _sync(session, runtime, mailbox)
    return row


def _sync(session: Session, runtime: Runtime, mailbox: Mailbox) -> None:
    runtime.enqueue(
        session, SYNC_MAILBOX_SETTINGS_WORKFLOW, f"mailbox-settings-{mailbox.id}-v{mailbox.settings_version}", mailbox.id
    )


def attach_picture(session: Session, mailbox: Mailbox, picture: CheckedPicture) -> ProfilePicture:
    """Make `picture` the mailbox's; the host gets it when its settings are next applied."""
    row = ProfilePicture(
        id=secrets.token_urlsafe(24),
        mailbox_id=mailbox.id,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        size_bytes=len(picture.data),
        data=picture.data,
    )
    session.add(row)
    mailbox.profile_picture_id = row.id
    mailbox.settings_version += 1
    session.flush()
    return row
