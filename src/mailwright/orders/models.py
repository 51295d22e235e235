from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class OrderStatus:
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    FAILED = "failed"
    FINAL = (COMPLETED, PARTIALLY_COMPLETED, FAILED)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # domains | mailboxes
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.PROCESSING)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyRecord(Base):
    """The first response to a request sent with an Idempotency-Key, replayed for repeats."""

    __tablename__ = "idempotency_records"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
