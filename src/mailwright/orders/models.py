from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class OrderStatus:
    # Recorded with its validated plan and price; nothing charged, no name held (see
    # docs/decisions/0750-orders-created-then-processed.md). Expired once older than
    # Settings.unprocessed_order_hours (computed at read time, see orders.service.status_of).
    CREATED = "created"
    EXPIRED = "expired"  # never stored
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_COMPLETED = "partially_completed"
    FAILED = "failed"
    # Open, not final: some item waits for a person (see its failure_reason); the rest is
    # settled. `mailwright orders retry` (or POST .../orders/{id}/retry) resumes it.
    NEEDS_ACTION = "needs_action"
    FINAL = (COMPLETED, PARTIALLY_COMPLETED, FAILED)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The reseller's end customer it belongs to; NULL: the account itself (the Woodpecker-style face).
    user_id: Mapped[str | None] = mapped_column(ForeignKey("reseller_users.id"), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(20))  # domains | mailboxes
    status: Mapped[str] = mapped_column(String(24), default=OrderStatus.CREATED)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # The validated plan (orders.requests.OrderPlan as JSON) that processing carries out.
    plan_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=False)
    billing_cycle: Mapped[str] = mapped_column(String(20), default="MONTHLY")
    # Settings the customer gave for exporting the mailboxes to sending platforms (JSON).
    export_settings: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # How many times an operator resumed the order after it needed action.
    retries: Mapped[int] = mapped_column(Integer, default=0)


class OrderPicture(Base):
    """A checked profile picture uploaded with an order, kept until the order's mailbox exists."""

    __tablename__ = "order_pictures"

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


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
