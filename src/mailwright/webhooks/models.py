from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.events.models import Sequence
from mailwright.ids import new_id


class EndpointStatus:
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"  # by its owner, or because it answered 410 Gone


class DeliveryStatus:
    PENDING = "pending"  # waiting its turn, or between retries
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # attempts ran out, or the endpoint answered 410 Gone
    CANCELLED = "cancelled"  # the endpoint was unsubscribed before it was sent
    SKIPPED = "skipped"  # the endpoint's format has no body for this event type


class WebhookEndpoint(Base):
    """A URL an account receives events at, signed with the endpoint's own secret."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    target_url: Mapped[str] = mapped_column(String(2048))
    # One event type, or "*" for all of them.
    event: Mapped[str] = mapped_column(String(64))
    # How bodies are rendered for this endpoint (see webhooks.formats).
    format: Mapped[str] = mapped_column(String(20))
    secret_enc: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=EndpointStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WebhookDelivery(Base):
    """One event on its way to one endpoint. Sent in event order per endpoint."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_status_seq", "endpoint_id", "status", "event_seq"),
        Index("uq_webhook_deliveries_endpoint_event", "endpoint_id", "event_seq", unique=True),
    )


class WebhookAttempt(Base):
    """One HTTP request of a delivery: what the endpoint answered, or why it could not."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
