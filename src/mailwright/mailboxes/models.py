from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class MailboxStatus:
    ORDERED = "ordered"  # paid, waiting for its domain or the mailbox host
    LIVE = "live"  # created at the host; credentials usable
    FAILED = "failed"  # refunded; see failure_reason
    SUSPENDED = "suspended"  # its subscription is unpaid past grace; suspended at the host
    DELETED = "deleted"  # removed, or its subscription ended; deleted at the host
    # Parked: a person must act (failure_reason says what); `mailwright orders retry` resumes it.
    NEEDS_ACTION = "needs_action"


class Mailbox(Base):
    __tablename__ = "mailboxes"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    domain_id: Mapped[str] = mapped_column(ForeignKey("domains.id"), index=True)
    # The reseller's end customer it belongs to; NULL: the account itself (the Woodpecker-style face).
    user_id: Mapped[str | None] = mapped_column(ForeignKey("reseller_users.id"), index=True, nullable=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True, nullable=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    # Equal to `email` while the mailbox holds the address (see Domain.name_claim).
    email_claim: Mapped[str | None] = mapped_column(String(254), unique=True, nullable=True)
    local_part: Mapped[str] = mapped_column(String(64))
    # The address as ordered: the order's plan names its mailboxes by it, whatever `email` is now.
    ordered_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # The address the mailbox has at its host, set once created there. It differs from `email`
    # while a change of address waits to be applied at the host (see apply_mailbox_settings).
    host_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=MailboxStatus.ORDERED)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # While parked (needs_action): the status provisioning resumes from on retry.
    resume_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Encrypted at rest (Fernet); see mailwright.crypto.
    password_enc: Mapped[str] = mapped_column(Text)
    totp_secret_enc: Mapped[str] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    smtp_host: Mapped[str | None] = mapped_column(String(253), nullable=True)
    smtp_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    imap_host: Mapped[str | None] = mapped_column(String(253), nullable=True)
    imap_port: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The host's word on signing in (providers/base.py MailboxAccess.sign_in_note).
    sign_in_note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    profile_picture_id: Mapped[str | None] = mapped_column(String(43), nullable=True)
    # An https URL the provisioning workflow fetches the picture from (never the request).
    profile_picture_source_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    profile_picture_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    settings_version: Mapped[int] = mapped_column(Integer, default=0)
    settings_applied_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    live_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def address_at_host(self) -> str:
        """Where the host knows the mailbox now: the address the host has, else the one ordered."""
        return self.host_email or self.email


class ProfilePicture(Base):
    """A checked PNG or JPEG, served at an unguessable URL so it can be used in <img>."""

    __tablename__ = "profile_pictures"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    mailbox_id: Mapped[str] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
