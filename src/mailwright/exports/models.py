"""Sending platforms a customer registered (their API key encrypted), exports of mailboxes to
them (one item per mailbox), and where each mailbox was exported, so that removing the mailbox
deletes it there too."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class ExportItemStatus:
    PENDING = "pending"  # waiting its turn, or between retries
    EXPORTED = "exported"  # the platform has the email account (remote_id)
    FAILED = "failed"  # refused by the platform (error: its own words), or not exportable


class ExportPlatform(Base):
    """A customer's account at a sending platform (Instantly, Smartlead, Woodpecker)."""

    __tablename__ = "export_platforms"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The reseller's end customer it belongs to; NULL: the account itself.
    user_id: Mapped[str | None] = mapped_column(ForeignKey("reseller_users.id"), index=True, nullable=True)
    platform: Mapped[str] = mapped_column(String(20))  # INSTANTLY | SMARTLEAD | WOODPECKER
    name: Mapped[str] = mapped_column(String(100))
    # NULL: the platform's public API (the adapter's DEFAULT_BASE_URL).
    base_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # Encrypted at rest (mailwright.crypto); never shown again after it was given.
    api_key_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Removed platforms keep their row (exports point at it) but are never used again.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Export(Base):
    """Mailboxes sent to one platform: asked for through the API or CLI, or by an order's exportTo."""

    __tablename__ = "exports"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("reseller_users.id"), index=True, nullable=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("export_platforms.id"), index=True)
    # The order whose mailboxes it exports as they go live (exportTo); one export per order.
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), unique=True, nullable=True)
    # The Idempotency-Key it was requested with (its answer is kept in idempotency_records).
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class ExportItem(Base):
    """One mailbox of an export."""

    __tablename__ = "export_items"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    export_id: Mapped[str] = mapped_column(ForeignKey("exports.id"), index=True)
    mailbox_id: Mapped[str] = mapped_column(ForeignKey("mailboxes.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default=ExportItemStatus.PENDING)
    # Why it failed: the platform's own message, or why the mailbox cannot be exported.
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ExportedMailbox(Base):
    """A mailbox the platform has: deleted there when the mailbox is removed (withdrawn_at), or
    the reason it could not be (withdraw_error)."""

    __tablename__ = "exported_mailboxes"

    mailbox_id: Mapped[str] = mapped_column(ForeignKey("mailboxes.id"), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("export_platforms.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    remote_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    exported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdraw_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
