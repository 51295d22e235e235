from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class OperatorKey(Base):
    """A key that signs an operator in to the dashboard's operator views; stored like API keys."""

    __tablename__ = "operator_keys"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    # SHA-256 of the whole key (mailwright.crypto.hash_api_key); the key is shown once.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
