from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime

# An auto-incrementing integer on both backends (SQLite only auto-increments INTEGER keys).
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """Something that happened to an account's domains, mailboxes, orders or subscriptions.

    Written in the same transaction as the change it reports; `seq` orders an account's events.
    `data` never holds secrets: those travel encrypted in `secret_data_enc` and are merged
    into the payload only when it is sent."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    # A reseller's end customer the event concerns, if any.
    user_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)  # JSON object
    secret_data_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (Index("ix_events_account_seq", "account_id", "seq"),)
