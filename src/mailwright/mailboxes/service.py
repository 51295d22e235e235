"""Reading mailboxes (with their credentials) and changing their profile pictures."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from mailwright import clock, totp
from mailwright.domains.models import Domain
from mailwright.domains.names import split_email
from mailwright.events import orders as order_events
from mailwright.errors import NotFound
from mailwright.mailboxes.models import Mailbox, MailboxStatus, ProfilePicture
from mailwright.mailboxes.pictures import CheckedPicture

if TYPE_CHECKING:
    from mailwright.crypto import SecretBox
    from mailwright.runtime import Runtime

SYNC_MAILBOX_SETTINGS_WORKFLOW = "sync_mailbox_settings"


def domain_mailboxes(session: Session, domain: Domain) -> list[Mailbox]:
    return list(session.scalars(sa.select(Mailbox).where(Mailbox.domain_id == domain.id).order_by(Mailbox.created_at, Mailbox.email)))


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


def one_time_code(secrets_box: SecretBox, mailbox: Mailbox) -> str | None:
    if mailbox.status != MailboxStatus.LIVE:
        return None
    return totp.code_at(secrets_box.decrypt(mailbox.totp_secret_enc), clock.now())


def get_picture(session: Session, picture_id: str) -> ProfilePicture | None:
    return session.get(ProfilePicture, picture_id)


def set_profile_picture(session: Session, runtime: Runtime, mailbox: Mailbox, picture: CheckedPicture) -> ProfilePicture:
    """A new picture for an existing mailbox: announced (mailbox.updated) and pushed to the host."""
    row = attach_picture(session, mailbox, picture)
    order_events.mailbox_updated(session, mailbox, ["profile_picture"], profile_picture_id=row.id)
    runtime.enqueue(
        session, SYNC_MAILBOX_SETTINGS_WORKFLOW, f"mailbox-settings-{mailbox.id}-v{mailbox.settings_version}", mailbox.id
    )
    return row


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
